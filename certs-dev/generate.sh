#!/usr/bin/env bash
# Regenerates the development CA and certificates in this directory.
# DEVELOPMENT ONLY: the private keys (*-dev-key.pem) are committed and therefore public.
set -euo pipefail
cd "$(dirname "$0")/.."
swift run gatehouse certs dev --out certs-dev --days 3650
# The example policies trust this CA for client certificates and this key set for access tokens.
cp certs-dev/ca.pem policies/certs/ca-bundle.pem
cp certs-dev/idp.jwks.json policies/keys/idp.jwks.json
