#!/usr/bin/env python3
"""Bundle-signature test vectors made with a real JOSE library (PyJWT), and the reverse check.

TEST-ONLY KEYS. Every private key written here is derived from a public, fixed seed so that the
output is reproducible; anyone can recompute them. Never configure them anywhere but in tests.

    pip install pyjwt cryptography
    python3 make-vectors.py                      # (re)writes the fixtures beside this script
    python3 make-vectors.py --verify JWKS JWS... # verifies Gatehouse-made signatures with PyJWT

Written: test-only-*.pem (private keys: Ed25519 and P-256 as PKCS#8, P-256 also as SEC1),
bundle-keys.jwks (the public keys the verifier is given: two Ed25519 keys for rotation and one
P-256 key) and vectors.json (the payload and PyJWT's compact JWS over it per key, plus one by a
key that is not in bundle-keys.jwks). ES256 signatures are randomised, so each run writes
different ES256 strings that verify the same way.
"""

import base64
import hashlib
import json
import pathlib
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

HERE = pathlib.Path(__file__).resolve().parent

# An OPA-style signed payload: the files of a bundle and their SHA-256.
PAYLOAD = json.dumps(
    {
        "files": [
            {"name": ".manifest", "hash": hashlib.sha256(b"manifest").hexdigest(), "algorithm": "SHA-256"},
            {"name": "policies/api.yaml", "hash": hashlib.sha256(b"policy").hexdigest(), "algorithm": "SHA-256"},
        ]
    },
    separators=(",", ":"),
).encode()


def seed(label):
    return hashlib.sha256(("gatehouse test-only bundle key: " + label).encode()).digest()


def ed25519_key(label):
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed(label))


def p256_key(label):
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(int.from_bytes(seed(label), "big") % (order - 1) + 1, ec.SECP256R1())


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key, kid):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": kid, "alg": "EdDSA", "use": "sig"}
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.x.to_bytes(32, "big")),
        "y": b64(numbers.y.to_bytes(32, "big")),
        "kid": kid,
        "alg": "ES256",
        "use": "sig",
    }


def pem(key, fmt=serialization.PrivateFormat.PKCS8):
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def generate():
    keys = {
        "test-only-ed25519-2025": ed25519_key("ed25519-2025"),
        "test-only-ed25519-2026": ed25519_key("ed25519-2026"),
        "test-only-p256": p256_key("p256"),
    }
    unknown = ed25519_key("unknown")
    for kid, key in keys.items():
        (HERE / f"{kid}.pem").write_bytes(pem(key))
    (HERE / "test-only-p256-sec1.pem").write_bytes(pem(keys["test-only-p256"], serialization.PrivateFormat.TraditionalOpenSSL))
    (HERE / "test-only-unknown.pem").write_bytes(pem(unknown))
    jwks = {"keys": [public_jwk(key, kid) for kid, key in keys.items()]}
    (HERE / "bundle-keys.jwks").write_text(json.dumps(jwks, indent=2) + "\n")

    def sign(key, alg, kid):
        headers = {"kid": kid} if kid else {}
        # PyJWS signs the payload bytes as they are; PyJWT adds "typ":"JWT" to the header.
        return jwt.api_jws.encode(PAYLOAD, key, algorithm=alg, headers=headers)

    tokens = {
        "eddsa-2025": sign(keys["test-only-ed25519-2025"], "EdDSA", "test-only-ed25519-2025"),
        "eddsa-2026": sign(keys["test-only-ed25519-2026"], "EdDSA", "test-only-ed25519-2026"),
        "es256": sign(keys["test-only-p256"], "ES256", "test-only-p256"),
        "es256-no-kid": sign(keys["test-only-p256"], "ES256", None),
        "eddsa-unknown-kid": sign(unknown, "EdDSA", "test-only-unknown"),
    }
    # Our own check of what we wrote: every token PyJWT made verifies with PyJWT.
    for name, token in tokens.items():
        if name == "eddsa-unknown-kid":
            continue
        kid = jwt.get_unverified_header(token).get("kid", "test-only-p256")
        jwt.api_jws.decode(token, key=keys[kid].public_key(), algorithms=["EdDSA", "ES256"])
    vectors = {
        "note": "TEST-ONLY keys derived from public seeds by make-vectors.py; never use them outside tests.",
        "generator": f"PyJWT {jwt.__version__}",
        "payload": PAYLOAD.decode(),
        "tokens": tokens,
    }
    (HERE / "vectors.json").write_text(json.dumps(vectors, indent=2) + "\n")
    print(f"wrote {len(tokens)} tokens with PyJWT {jwt.__version__} to {HERE}")


def verify(jwks_path, tokens):
    """Verifies Gatehouse-made compact JWS with PyJWT against a JWKS; prints one line per token."""
    keys = jwt.PyJWKSet.from_json(pathlib.Path(jwks_path).read_text())
    failures = 0
    for token in tokens:
        kid = jwt.get_unverified_header(token)["kid"]
        try:
            key = keys[kid]
            payload = jwt.api_jws.decode(token, key=key.key, algorithms=["EdDSA", "ES256"])
            print(f"verified {jwt.get_unverified_header(token)['alg']} kid={kid} payload={len(payload)} bytes")
        except Exception as error:  # report every token, then fail
            failures += 1
            print(f"FAILED kid={kid}: {error!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--verify":
        sys.exit(verify(sys.argv[2], sys.argv[3:]))
    generate()
