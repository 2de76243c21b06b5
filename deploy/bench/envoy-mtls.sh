#!/usr/bin/env bash
# ENVOY_BIN for ../shared/bench that makes Envoy call the ext_authz server over mTLS.
#
# The harness renders its Envoy configs with a plaintext ext_authz cluster; this wrapper copies
# the config Envoy is started with, adds an UpstreamTlsContext (ALPN h2, the dev Envoy
# certificate from certs-dev/, Gatehouse's certificate verified against certs-dev/ca.pem) to
# the `ext_authz` cluster and points it at Gatehouse's mTLS port, and runs the real Envoy on the
# copy. It does so only while a Gatehouse started by `GATEHOUSE_BENCH_TLS=mtls deploy/bench/serve.sh`
# runs (its PID and port are in $BENCH_WORK/gatehouse-mtls); with any other peer (null, go, ...)
# and for configs without that cluster (noauth, jwt) Envoy runs the config unchanged. So one run
# measures Gatehouse over mTLS beside the plaintext peers:
#
#   ENVOY_BIN="$PWD/deploy/bench/envoy-mtls.sh" GATEHOUSE_BENCH_TLS=mtls \
#   EXTAUTHZ_CMD='exec deploy/bench/serve.sh' EXTAUTHZ_NAME=gatehouse-mtls \
#     ../shared/bench/run.sh noauth extauthz:null extauthz:gatehouse-mtls
#
# The dev certificates are the clearly marked development set; never use them elsewhere.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
certs="$(cd "$here/../../certs-dev" && pwd)"
envoy="${REAL_ENVOY_BIN:-${BENCH_VENV:-/tmp/bench-venv}/bin/envoy}"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ "${args[$i]}" == "-c" || "${args[$i]}" == "--config-path" ]] && ((i + 1 < ${#args[@]})); then
        source="${args[$((i + 1))]}"
        copy="$(dirname "$source")/mtls-$(basename "$source")"
        marker_file="${BENCH_WORK:-/tmp/bench-work}/gatehouse-mtls"
        read -r pid port < "$marker_file" 2>/dev/null || pid=""
        if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then continue; fi
        python3 - "$source" "$copy" "$certs" "$port" <<'PY'
import re
import sys

source, copy, certs, port = sys.argv[1:5]
text = open(source).read()
marker = "  - name: ext_authz\n"
start = text.find(marker)
if start >= 0 and "pipe:" not in text[start:]:
    text = text[:start] + re.sub(r"port_value: \d+", f"port_value: {port}", text[start:], count=1)
    tls = f"""    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: gatehouse
        common_tls_context:
          alpn_protocols: [h2]
          tls_certificates:
          - certificate_chain: {{ filename: {certs}/envoy.pem }}
            private_key: {{ filename: {certs}/envoy-dev-key.pem }}
          validation_context:
            trusted_ca: {{ filename: {certs}/ca.pem }}
            match_typed_subject_alt_names:
            - san_type: URI
              matcher: {{ exact: "spiffe://gov.example/gatehouse" }}
"""
    at = start + len(marker)
    text = text[:at] + tls + text[at:]
open(copy, "w").write(text)
PY
        args[$((i + 1))]="$copy"
    fi
done
exec "$envoy" "${args[@]}"
