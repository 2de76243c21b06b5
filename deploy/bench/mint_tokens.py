#!/usr/bin/env python3
"""mint_tokens.py COUNT OUT: COUNT distinct valid bench tokens, one per line.

Signed like ../shared/bench's token.valid (RS256, kid bench-key-1, the bench issuer and
audience, role reader) with $BENCH_WORK/keys/private.pem; each has its own subject
(user-0 … user-N), so each is a distinct credential and a distinct cache entry.
Two processes share the signing, and a file already holding COUNT tokens is kept.
"""
import os, sys, time
from multiprocessing import Pool

import jwt
from cryptography.hazmat.primitives import serialization

WORK = os.environ.get("BENCH_WORK", "/tmp/bench-work")
ISSUER = os.environ.get("BENCH_ISSUER", "https://issuer.bench.local")
AUDIENCE = os.environ.get("BENCH_AUDIENCE", "bench-api")
# Parsed once: PyJWT would parse (and check) the PEM again for every token, 100× slower.
KEY = serialization.load_pem_private_key(open(os.path.join(WORK, "keys", "private.pem"), "rb").read(), None)
NOW = int(time.time())


def mint(number):
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": f"user-{number}", "iat": NOW, "nbf": NOW - 60,
              "exp": NOW + 30 * 24 * 3600, "role": "reader", "scope": "api.read profile"}
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "bench-key-1"})


def main():
    count, out = int(sys.argv[1]), sys.argv[2]
    if os.path.exists(out) and sum(1 for _ in open(out)) == count:
        return
    with Pool(2) as pool:
        tokens = pool.map(mint, range(count), chunksize=500)
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(tokens) + "\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
