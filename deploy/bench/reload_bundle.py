#!/usr/bin/env python3
"""Writes Gatehouse policy bundles for the reload benchmarks: large ones, and each kind a server must refuse.

    reload_bundle.py -o OUT.tar.gz --revision R [--rules N] [--kind KIND] [--key KEY.pem --kid ID]
    reload_bundle.py --directory DIR [--rules N]          # only the policy directory, for `gatehouse bundle build`

KIND is one of
  valid          compiles, its policy tests pass, signed with --key/--kid (the default);
  invalid        one policy does not compile (signed, so only the compile step can refuse it);
  unsigned       valid content without .signatures.json;
  unknown-key    valid content signed by a throw-away key the server does not hold;
  failing-test   compiles and is signed, but one *_test.yaml case fails.

The archive is written here, with Python's tarfile and PyJWT, not by `gatehouse bundle build`
(which compiles first and so could not write `invalid`): the format of policies/BUNDLES.md,
a ustar .tar.gz with .manifest.json and .signatures.json (compact JWS, EdDSA or ES256, whose
payload is {"files", "name", "revision"}).

The policy set: a small `reload` policy on host reload.example (`/public/**` allowed, everything
else denied) that the load probes check, plus --rules generated rules in policies of 100, one
file each, written like Tests/Benchmarks' PolicySet (flow style, ten rule kinds per resource:
paths with `*` and `**`, methods, claims, headers, a SPIFFE ID, a CIDR, a deny for every second
resource) under a JWT issuer whose test-only key is keys/idp.jwks.json.

Needs: pip install pyjwt cryptography.
"""

import argparse
import hashlib
import io
import json
import pathlib
import sys
import tarfile
import time

RULES_PER_POLICY = 100
RULES_PER_RESOURCE = 10


def idp_jwks():
    """A test-only Ed25519 public key from a public seed: the generated policies only need a key set that loads."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    import base64
    seed = hashlib.sha256(b"gatehouse reload bench test-only idp key").digest()
    raw = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "bench-idp", "alg": "EdDSA", "x": x}]}


def reload_policy(revision):
    return f"""# Revision {revision}: what the reload probes check.
kind: Policy
name: reload
select:
  hosts: [reload.example]
rules:
  - name: public
    action: allow
    methods: [GET]
    paths: [/public/**]
"""


def reload_tests(failing):
    expected = "deny" if failing else "allow"
    return f"""kind: PolicyTests
tests:
  - name: a public page is {"denied (a wrong expectation)" if failing else "allowed"}
    request: {{ method: GET, path: /public/page, host: reload.example }}
    expect: {{ decision: {expected} }}
"""


def rule(index, block):
    resource = f"r{index // RULES_PER_RESOURCE:04d}"
    reader = f"{{ contains: {resource}-reader }}"
    kind = index % RULES_PER_RESOURCE
    if kind == 0:
        fields = [("name", f"{resource}-readers-read"), ("action", "allow"), ("methods", "[GET, HEAD]"),
                  ("paths", f"[/{resource}/*]"), ("claims", f"{{realm_access.roles: {reader}}}")]
    elif kind == 1:
        fields = [("name", f"{resource}-writers-create"), ("action", "allow"), ("methods", "[POST]"),
                  ("paths", f"[/{resource}]"),
                  ("claims", f"{{realm_access.roles: {{ contains: {resource}-writer }}}}")]
    elif kind == 2:
        fields = [("name", f"{resource}-auditors-read-all"), ("action", "allow"), ("methods", "[GET]"),
                  ("paths", f"[/{resource}/**]"),
                  ("claims", "{realm_access.roles: { contains: auditor }, department: audit}")]
    elif kind == 3:
        fields = [("name", f"{resource}-service-reads-status"), ("action", "allow"), ("methods", "[GET]"),
                  ("paths", f"[/{resource}/*/status]"),
                  ("spiffeIds", f'["spiffe://gov.example/ns/{block}/sa/{resource}-worker"]')]
    elif kind == 4:
        fields = [("name", f"{resource}-department-edits-items"), ("action", "allow"), ("methods", "[PUT, PATCH]"),
                  ("paths", f"[/{resource}/*/items/*]"), ("headers", '{x-api-version: "2"}'),
                  ("claims", f"{{department: {resource}-office}}")]
    elif kind == 5:
        fields = [("name", f"{resource}-tenants-read-summary"), ("action", "allow"), ("methods", "[GET]"),
                  ("paths", f"[/{resource}/reports/summary, /{resource}/reports/summary.csv]"),
                  ("headers", "{x-tenant: { prefix: gov- }}"), ("authenticated", "true")]
    elif kind == 6 and (index // RULES_PER_RESOURCE) % 2 == 0:
        fields = [("name", f"{resource}-no-bulk-export"), ("action", "deny"), ("paths", f"[/{resource}/export/**]")]
    elif kind == 6:
        fields = [("name", f"{resource}-readers-read-attachments"), ("action", "allow"), ("methods", "[GET]"),
                  ("paths", f"[/{resource}/*/attachments/**]"), ("claims", f"{{realm_access.roles: {reader}}}")]
    elif kind == 7:
        fields = [("name", f"{resource}-admins-delete"), ("action", "allow"), ("methods", "[DELETE]"),
                  ("paths", f"[/{resource}/*]"),
                  ("claims", f"{{realm_access.roles: {{ contains: {resource}-admin }}, level: {{ in: [2, 3] }}}}")]
    elif kind == 8:
        fields = [("name", f"{resource}-readers-search"), ("action", "allow"), ("methods", "[GET, POST]"),
                  ("paths", f"[/{resource}/search]"), ("headers", "{x-request-id: { present: true }}"),
                  ("claims", f"{{realm_access.roles: {reader}}}")]
    else:
        fields = [("name", f"{resource}-office-reads-history"), ("action", "allow"), ("methods", "[GET]"),
                  ("paths", f"[/{resource}/*/history]"), ("sourceCidrs", "[10.0.0.0/8]"),
                  ("claims", f"{{realm_access.roles: {reader}}}")]
    return "  - {" + ", ".join(f"{key}: {value}" for key, value in fields) + "}\n"


def generated_policy(index, count):
    block = f"bb-{index:04d}"
    lines = [f"""# Generated: building block {block}, {count} rules.
kind: Policy
name: {block}
select:
  hosts: [{block}.gov.example, "*.{block}.gov.example"]
  contextExtensions:
    building_block: {block}
authentication:
  realm: {block}
  jwt:
    - issuer: https://idp.gov.example
      audiences: [{block}]
      jwks: {{ file: keys/idp.jwks.json }}
      algorithms: [EdDSA]
rules:
"""]
    lines += [rule(position, block) for position in range(count)]
    lines.append("""response:
  forbidden:
    status: 403
    headers: [{ name: content-type, value: application/json }]
    body: '{"error":"forbidden"}'
""")
    return "".join(lines)


def files(rules, revision, kind):
    """The bundle's files (name -> bytes) for `kind`."""
    result = {
        "reload.yaml": reload_policy(revision).encode(),
        "reload_test.yaml": reload_tests(kind == "failing-test").encode(),
        "keys/idp.jwks.json": (json.dumps(idp_jwks(), indent=2) + "\n").encode(),
    }
    for index in range((rules + RULES_PER_POLICY - 1) // RULES_PER_POLICY):
        count = min(RULES_PER_POLICY, rules - index * RULES_PER_POLICY)
        result[f"bb-{index:04d}.yaml"] = generated_policy(index, count).encode()
    if kind == "invalid":
        result["broken.yaml"] = b"kind: Policy\nname: broken\nrules:\n  - { name: x, action: perhaps }\n"
    return result


def sign(payload, key_path, kid):
    import jwt  # PyJWT
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if key_path is None:  # unknown-key: a key that exists nowhere else
        key, algorithm = ed25519.Ed25519PrivateKey.generate(), "EdDSA"
    else:
        key = serialization.load_pem_private_key(pathlib.Path(key_path).read_bytes(), password=None)
        algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"
    return jwt.api_jws.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


def archive(contents, revision, kind, key, kid):
    created = int(time.time())
    hashes = [{"name": name, "hash": hashlib.sha256(data).hexdigest(), "algorithm": "SHA-256"}
              for name, data in sorted(contents.items())]
    manifest = {"name": "reload-bench", "revision": revision,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created)), "files": hashes}
    entries = sorted(contents.items())
    entries.append((".manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"))
    if kind != "unsigned":
        payload = json.dumps({"files": hashes, "name": "reload-bench", "revision": revision},
                             sort_keys=True, separators=(",", ":")).encode()
        signer = None if kind == "unknown-key" else key
        signatures = {"signatures": [sign(payload, signer, "bench-stranger" if signer is None else kid)]}
        entries.append((".signatures.json", json.dumps(signatures).encode() + b"\n"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, created
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output")
    parser.add_argument("--directory")
    parser.add_argument("--revision", default="r1")
    parser.add_argument("--rules", type=int, default=0)
    parser.add_argument("--kind", default="valid",
                        choices=["valid", "invalid", "unsigned", "unknown-key", "failing-test"])
    parser.add_argument("--key")
    parser.add_argument("--kid")
    options = parser.parse_args()
    contents = files(options.rules, options.revision, options.kind)
    if options.directory:
        for name, data in contents.items():
            path = pathlib.Path(options.directory, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return 0
    if not options.output:
        parser.error("give -o OUT.tar.gz or --directory DIR")
    if options.kind in ("valid", "invalid", "failing-test") and not (options.key and options.kid):
        parser.error(f"--kind {options.kind} is signed: give --key and --kid")
    data = archive(contents, options.revision, options.kind, options.key, options.kid)
    pathlib.Path(options.output + ".tmp").write_bytes(data)
    pathlib.Path(options.output + ".tmp").rename(options.output)  # atomic: a server never reads half
    return 0


if __name__ == "__main__":
    sys.exit(main())
