"""Notifications that reach people when the app is closed: Web Push (and SMS / WeChat adapters) fed by the event log."""
