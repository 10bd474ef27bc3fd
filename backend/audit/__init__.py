"""The security audit log (安全审计): an append-only record of who did what to accounts, rules and settings."""
