#!/usr/bin/env python3
"""The gRPC and admin-API halves of deploy/bench/reload-under-load.sh.

    reload_probe.py request FILE                      # the gRPC-framed CheckRequest h2load sends
    reload_probe.py probe TARGET OUT.json STOPFILE [--threads N]
        # checks in N loops until STOPFILE exists; records each check's times and policy_revision
    reload_probe.py drive ADMIN_URL TOKEN BUNDLE OUT.json --count N --key KEY.pem --kid ID [--rules N] [--interval S] [--pid PID]
        # N reloads alternating valid with invalid, unsigned, unknown-key and failing-test bundles:
        # writes each to BUNDLE (the server's `policies`), notifies, checks the answer and /v1/status;
        # one reload starts every S seconds (or as soon as the last one was answered); with --pid,
        # the server's resident memory is recorded after each reload
    reload_probe.py judge RELOADS.json PROBE.json     # the verdict; exit 1 on any violation

Needs grpcio and xds-protos (the e2e or bench virtualenv) and PyJWT with cryptography.
"""

import json
import pathlib
import sys
import threading
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
REFUSALS = {"invalid": "compile_failed", "unsigned": "signature_missing",
            "unknown-key": "signature_unknown_key", "failing-test": "tests_failed"}


def check_request(path="/public/bench"):
    from envoy.service.auth.v3 import external_auth_pb2 as ea
    request = ea.CheckRequest()
    http = request.attributes.request.http
    http.method, http.path, http.host = "GET", path, "reload.example"
    return request


def write_request(out):
    body = check_request().SerializeToString()
    pathlib.Path(out).write_bytes(b"\x00" + len(body).to_bytes(4, "big") + body)


def probe(target, out, stop, threads=4):
    import grpc
    from envoy.service.auth.v3 import external_auth_pb2_grpc as eag
    channel = grpc.insecure_channel(target)
    grpc.channel_ready_future(channel).result(timeout=20)
    stub = eag.AuthorizationStub(channel)
    results = [[] for _ in range(threads)]

    def loop(index):
        count = 0
        while not pathlib.Path(stop).exists():
            count += 1
            # Distinct paths, so that most checks are computed rather than answered from the cache.
            request = check_request(f"/public/{index}/{count % 1000}" if count % 2 else f"/private/{count % 100}")
            sent = time.time()
            try:
                response = stub.Check(request, timeout=5)
                revision = response.dynamic_metadata.fields["policy_revision"].string_value
                results[index].append([sent, time.time(), revision, None])
            except grpc.RpcError as error:
                results[index].append([sent, time.time(), None, f"{error.code()}: {error.details()}"])

    workers = [threading.Thread(target=loop, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    pathlib.Path(out).write_text(json.dumps([sample for part in results for sample in part]))


def admin(url, token, method, path):
    request = urllib.request.Request(url + path, method=method, data=b"{}" if method == "POST" else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:  # 409/422 carry the refusal as JSON
        return json.loads(error.read())


def resident_kib(pid):
    """The server's resident set (VmRSS) in KiB, or None without a pid or /proc."""
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, TypeError):
        return None
    return None


def drive(url, token, bundle, out, count, key, kid, rules, interval, pid=None):
    sys.path.insert(0, str(HERE))
    import reload_bundle
    kinds = ["invalid", "unsigned", "unknown-key", "failing-test"]
    reloads, active, problems = [], None, []
    status = admin(url, token, "GET", "/v1/status")
    active = (status.get("active") or {}).get("revision")
    reloads.append({"kind": "initial", "revision": active, "notified": 0, "answered": 0})
    for index in range(count):
        kind = "valid" if index % 2 == 0 else kinds[(index // 2) % len(kinds)]
        revision = f"r{index // 2 + 1}" if kind == "valid" else f"refused-{index}-{kind}"
        contents = reload_bundle.files(rules, revision, kind)
        data = reload_bundle.archive(contents, revision, kind, key, kid)
        pathlib.Path(bundle + ".tmp").write_bytes(data)
        pathlib.Path(bundle + ".tmp").rename(bundle)
        notified = time.time()
        answer = admin(url, token, "POST", "/v1/policy/notify")
        answered = time.time()
        status = admin(url, token, "GET", "/v1/status")
        record = {"kind": kind, "revision": revision, "notified": notified, "answered": answered,
                  "outcome": answer.get("outcome"), "code": (answer.get("failure") or {}).get("code"),
                  "status_active": (status.get("active") or {}).get("revision"),
                  "status_last_failure": (status.get("last_failure") or {}).get("code"),
                  "resident_kib": resident_kib(pid)}
        if kind == "valid":
            if answer.get("outcome") != "activated" or record["status_active"] != revision:
                problems.append(f"{revision}: not activated: {answer}")
            active = revision
        else:
            want = REFUSALS[kind]
            if answer.get("outcome") != "refused" or record["code"] != want:
                problems.append(f"{revision}: want refused {want}, got {answer}")
            if record["status_last_failure"] != want or record["status_active"] != active:
                problems.append(f"{revision}: /v1/status shows {record['status_last_failure']} active "
                                f"{record['status_active']}")
        reloads.append(record)
        time.sleep(max(0.0, notified + interval - time.time()))
    pathlib.Path(out).write_text(json.dumps({"reloads": reloads, "problems": problems}, indent=1))
    print(f"drive: {count} reloads, {len(problems)} problems")
    for problem in problems:
        print("  " + problem)
    return 1 if problems else 0


def judge(reloads_path, probe_path):
    driven = json.loads(pathlib.Path(reloads_path).read_text())
    samples = json.loads(pathlib.Path(probe_path).read_text())
    reloads = driven["reloads"]
    activations = [r for r in reloads if r["kind"] in ("initial", "valid")]
    activated = {r["revision"] for r in activations}
    failed = [s for s in samples if s[3] is not None]
    foreign = sorted({s[2] for s in samples if s[3] is None and s[2] not in activated})
    stale = 0
    for index, activation in enumerate(activations[1:], start=1):
        following = activations[index + 1]["notified"] if index + 1 < len(activations) else float("inf")
        stale += sum(1 for s in samples if s[3] is None and s[0] > activation["answered"]
                     and s[1] < following and s[2] != activation["revision"])
    refused = [r for r in reloads if r["kind"] not in ("initial", "valid")]
    shown = sum(1 for r in refused if r["status_last_failure"] == REFUSALS[r["kind"]])
    durations = sorted(r["answered"] - r["notified"] for r in reloads if r["kind"] == "valid")
    resident = [r["resident_kib"] for r in reloads if r["kind"] == "valid" and r.get("resident_kib")]
    print(f"checks (probe): {len(samples)}, failed: {len(failed)}"
          + (f" (e.g. {failed[0][3]})" if failed else ""))
    print(f"reloads: {len(reloads) - 1} ({len(activations) - 1} activated, {len(refused)} refused; "
          f"{shown}/{len(refused)} refusal reasons shown in /v1/status)")
    print(f"decisions on a revision never activated: {len(foreign)} {foreign[:5]}")
    print(f"decisions on an older revision after an activation was answered: {stale}")
    if durations:
        print(f"notify -> active (valid bundles): median {durations[len(durations) // 2] * 1000:.1f} ms, "
              f"max {durations[-1] * 1000:.1f} ms")
    if len(resident) >= 2:
        print(f"resident memory after the first activation {resident[0] / 1024:.1f} MiB, after the last "
              f"{resident[-1] / 1024:.1f} MiB ({(resident[-1] / resident[0] - 1) * 100:+.1f} %)")
    bad = failed or foreign or stale or shown != len(refused) or driven["problems"]
    return 1 if bad else 0


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "request":
        write_request(arguments[0])
    elif command == "probe":
        threads = int(arguments[arguments.index("--threads") + 1]) if "--threads" in arguments else 4
        probe(arguments[0], arguments[1], arguments[2], threads)
    elif command == "drive":
        option = lambda name, default=None: arguments[arguments.index(name) + 1] if name in arguments else default
        sys.exit(drive(arguments[0], arguments[1], arguments[2], arguments[3], int(option("--count", "100")),
                       option("--key"), option("--kid"), int(option("--rules", "0")),
                       float(option("--interval", "0.05")), option("--pid")))
    elif command == "judge":
        sys.exit(judge(arguments[0], arguments[1]))
    else:
        sys.exit(__doc__)
