#!/usr/bin/env bash
# A self-signed certificate for trying the deployment (browsers will warn): deploy/certs/{fullchain,privkey}.pem.
# Usage: bash deploy/dev-cert.sh [host name, default localhost]. Never use it in production.
set -euo pipefail
host="${1:-localhost}"
dir="$(cd "$(dirname "$0")" && pwd)/certs"
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=$host" \
  -addext "subjectAltName=DNS:$host,IP:127.0.0.1" -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem"
chmod 600 "$dir/privkey.pem"
echo "wrote $dir/fullchain.pem and $dir/privkey.pem for $host (self-signed, 30 days)"
