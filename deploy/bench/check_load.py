#!/usr/bin/env python3
"""check_load.py TARGET COUNT [TOKEN_FILE]: COUNT Envoy CheckRequests straight at TARGET's Check.

The request is ../shared/bench's ($BENCH_WORK/checkreq.bin: realistic headers, a principal,
context extensions), its request.time set to now. Without TOKEN_FILE every request is that one (cache hits after the first);
with it, request i carries the file's token i (one per line, each used once: every check a
miss). Up to $INFLIGHT (default 8) calls are in flight at once. Exits non-zero unless every
answer is an allow with x-auth-sub set, so a profile is never taken of denials by mistake.

deploy/bench/profile-check.sh drives it; it needs grpcio and xds-protos (the bench venv).
"""
import os
import sys
import threading

import grpc
from envoy.service.auth.v3 import external_auth_pb2 as ea

WORK = os.environ.get("BENCH_WORK", "/tmp/bench-work")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    target, count = sys.argv[1], int(sys.argv[2])
    template = ea.CheckRequest.FromString(open(os.path.join(WORK, "checkreq.bin"), "rb").read()[5:])
    # Envoy's request.time is Gatehouse's "now" for token validity: the file's is when it was
    # generated, which may be before the tokens' nbf.
    template.attributes.request.time.GetCurrentTime()
    if len(sys.argv) == 4:
        tokens = []
        with open(sys.argv[3]) as lines:
            for line in lines:
                tokens.append(line.strip())
                if len(tokens) == count:
                    break
        if len(tokens) < count:
            sys.exit(f"check_load: {sys.argv[3]} holds {len(tokens)} tokens, {count} wanted")
        bodies = []
        for token in tokens:
            request = ea.CheckRequest()
            request.CopyFrom(template)
            request.attributes.request.http.headers["authorization"] = "Bearer " + token
            bodies.append(request.SerializeToString())
    else:
        bodies = [template.SerializeToString()] * count
    channel = grpc.insecure_channel(target)
    grpc.channel_ready_future(channel).result(timeout=30)
    check = channel.unary_unary(
        "/envoy.service.auth.v3.Authorization/Check",
        request_serializer=None,
        response_deserializer=ea.CheckResponse.FromString,
    )
    window = threading.Semaphore(int(os.environ.get("INFLIGHT", "8")))
    lock = threading.Lock()
    failures = []
    done = threading.Event()
    remaining = [len(bodies)]

    def finished(future):
        try:
            response = future.result()
            headers = {h.header.key for h in response.ok_response.headers}
            if response.status.code != 0 or "x-auth-sub" not in headers:
                failures.append(f"status {response.status.code} {response.status.message}")
        except grpc.RpcError as error:
            failures.append(str(error))
        window.release()
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                done.set()

    for body in bodies:
        window.acquire()
        check.future(body, timeout=120).add_done_callback(finished)
    done.wait()
    if failures:
        sys.exit(f"check_load: {len(failures)} of {len(bodies)} not allowed, first: {failures[0]}")
    print(f"check_load: {len(bodies)} allowed")


if __name__ == "__main__":
    main()
