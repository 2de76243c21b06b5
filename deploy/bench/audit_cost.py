#!/usr/bin/env python3
"""Summarizes deploy/bench/audit-cost.sh: decision log on against off, per scenario.

    audit_cost.py RESULTS_TSV RECORDS_TSV

RESULTS_TSV holds ../shared/bench's results.tsv rows, each prefixed with `on` or `off` (the
decision log) and with the round renumbered; RECORDS_TSV holds `round<TAB>decision records<TAB>records lost` of
each `on` run. Prints a markdown table: medians over rounds of req/s, p99 and Gatehouse's CPU µs
per request with the log on and off, and what logging costs (req/s lost, p99 added, CPU added).
"""
import csv
import statistics
import sys


def main(results_path, records_path):
    rows = {}
    with open(results_path) as handle:
        for fields in csv.reader(handle, delimiter="\t"):
            if len(fields) < 10:
                continue
            mode, _round, scenario, _kind, rps, _p50, p99, requests, errors, _envoy, peer = fields[:11]
            kind = scenario.split(":")[0]
            if kind == "noauth":
                kind = "noauth"
            rows.setdefault((kind, mode), []).append(
                dict(rps=float(rps), p99=float(p99), requests=int(requests), errors=int(errors),
                     peer=float(peer) if peer not in ("-", "") else None))
    records = []
    try:
        with open(records_path) as handle:
            records = [line.rstrip("\n").split("\t")[1:] for line in handle if line.strip()]
    except FileNotFoundError:
        pass

    def median(kind, mode, key):
        values = [row[key] for row in rows.get((kind, mode), []) if row[key] is not None]
        return statistics.median(values) if values else None

    print("| scenario | log | req/s | p99 ms | Gatehouse CPU µs/req | rounds | errors |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind in ("noauth", "extauthz", "direct"):
        for mode in ("off", "on"):
            if (kind, mode) not in rows:
                continue
            peer = median(kind, mode, "peer")
            errors = sum(row["errors"] for row in rows[(kind, mode)])
            print(f"| {kind} | {mode} | {median(kind, mode, 'rps'):,.0f} | {median(kind, mode, 'p99'):.2f} | "
                  f"{'-' if peer is None else f'{peer:.1f}'} | {len(rows[(kind, mode)])} | {errors} |")
    print()
    print("| scenario | req/s cost (target) | p99 cost (target ≤ 10 %) | CPU added per check |")
    print("|---|---:|---:|---:|")
    for kind, target in (("extauthz", "≤ 5 %"), ("direct", "≤ 10 %")):
        on_rps, off_rps = median(kind, "on", "rps"), median(kind, "off", "rps")
        on_p99, off_p99 = median(kind, "on", "p99"), median(kind, "off", "p99")
        on_cpu, off_cpu = median(kind, "on", "peer"), median(kind, "off", "peer")
        if None in (on_rps, off_rps, on_p99, off_p99):
            continue
        cpu = "-" if None in (on_cpu, off_cpu) else f"{on_cpu - off_cpu:+.1f} µs"
        print(f"| {kind} | {100 * (1 - on_rps / off_rps):+.1f} % ({target}) | {100 * (on_p99 / off_p99 - 1):+.1f} % | {cpu} |")
    if records:
        print()
        described = ", ".join(f"{int(written):,} written / {int(lost):,} lost" for written, lost in records)
        print(f"Decision log of each `on` run (all its checks, warm-up and probes included): {described}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/dev/null")
