"""Mints a JWS with PyJWT, a real JOSE library, for the end-to-end tests.

usage: mint_token.py KEY_FILE ALG KID CLAIMS_JSON [HEADERS_JSON]
KEY_FILE is a PEM private key (or a shared secret file for HS*); KID may be "-" for none.
Claims "iat", "nbf" and "exp" given as strings "+N"/"-N" are relative to now, in seconds.

Two attacks PyJWT rightly refuses to produce are built by hand: ALG "none" (an unsigned
token) and "HS256-WITH-PUBLIC-KEY" (KEY_FILE is the issuer's PUBLIC key PEM, used as an
HMAC secret: the classic algorithm-confusion attack).
"""
import base64
import hashlib
import hmac
import json
import sys
import time

import jwt


def segment(value: dict) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(key: bytes, alg: str, claims: dict, headers: dict) -> str:
    header = dict(headers, alg="none" if alg == "none" else "HS256", typ="JWT")
    signing_input = segment(header) + "." + segment(claims)
    if alg == "none":
        return signing_input + "."
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def main() -> None:
    key_file, alg, kid, claims_json = sys.argv[1:5]
    headers = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    with open(key_file, "rb") as handle:
        key = handle.read()
    claims = json.loads(claims_json)
    now = int(time.time())
    for name in ("iat", "nbf", "exp"):
        value = claims.get(name)
        if isinstance(value, str) and value[:1] in "+-":
            claims[name] = now + int(value)
    if kid != "-":
        headers["kid"] = kid
    if alg in ("none", "HS256-WITH-PUBLIC-KEY"):
        print(forge(key, alg, claims, headers))
    else:
        print(jwt.encode(claims, key, algorithm=alg, headers=headers))


if __name__ == "__main__":
    main()
