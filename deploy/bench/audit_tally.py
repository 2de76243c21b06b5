#!/usr/bin/env python3
"""Counts one audit-kill.sh / audit-shutdown.sh run: decisions answered against records stored.

    audit_tally.py header
    audit_tally.py row --run 3 --answered answered-3.txt --records records-3.jsonl \
        --start 1765000000.1 --signal-at 1765000004.6 --flush-ms 100 --writer-rps 15000 \
        --opened 1 --verify 0 --exit 137
    audit_tally.py summary runs.tsv

`--answered` holds the decision ids Gatehouse answered in that run, one a line (taken from
Envoy's access log, or from a gRPC client's log); `--records` is `gatehouse audit query
--format jsonl` for the run's records. Only the standard library is used.

Why both a count and a time: `lost` is exact (ids answered and not stored), `window_ms` turns
it into time at the run's rate, and `tail_ms` measures the same window directly, as the time
between the last stored decision and the signal. The bound is the documented one:
audit.flushInterval plus one batch's write time (a batch of rate x flushInterval records at
the writer's throughput, --writer-rps), times the rate.
"""
import argparse
import json
import statistics
import sys
from datetime import datetime

COLUMNS = [
    "run", "signal", "load_s", "rate_per_s", "answered", "stored", "lost", "extra_stored",
    "window_ms", "tail_ms", "bound_ms", "bound_records", "within_bound", "store_opened",
    "verify_exit", "serve_exit",
]


def record_time(text):
    """Seconds since the epoch of a record's RFC 3339 `time` (UTC, fractions allowed)."""
    text = text.rstrip("Z")
    if "." in text:
        whole, fraction = text.split(".", 1)
        fraction = fraction[:6]
        text = whole + "." + fraction
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f")
    else:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    return (parsed - datetime(1970, 1, 1)).total_seconds()


def row(args):
    with open(args.answered) as handle:
        answered = {line.strip() for line in handle if line.strip()}
    stored = set()
    last = None
    with open(args.records) as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            if record.get("kind") != "decision":
                continue
            stored.add(record["id"])
            when = record_time(record["time"])
            last = when if last is None else max(last, when)
    load = max(args.signal_at - args.start, 1e-3)
    rate = len(answered) / load
    lost = len(answered - stored)
    batch_records = min(rate * args.flush_ms / 1000.0, args.batch_size)
    write_ms = batch_records / args.writer_rps * 1000.0
    bound_ms = args.flush_ms + write_ms
    bound_records = int(rate * bound_ms / 1000.0 + 0.999)
    window_ms = lost / rate * 1000.0 if rate > 0 else 0.0
    tail_ms = (args.signal_at - last) * 1000.0 if last is not None else float("nan")
    values = [
        args.run, args.signal, f"{load:.2f}", f"{rate:.0f}", len(answered), len(answered & stored), lost,
        len(stored - answered), f"{window_ms:.1f}", f"{tail_ms:.1f}", f"{bound_ms:.1f}", bound_records,
        "yes" if lost <= bound_records else "NO", args.opened, args.verify, args.exit,
    ]
    print("\t".join(str(value) for value in values))


def summary(args):
    with open(args.tsv) as handle:
        lines = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    header, rows = lines[0], lines[1:]
    if not rows:
        print("no runs")
        return 1
    column = {name: index for index, name in enumerate(header)}
    print(f"runs: {len(rows)}")
    for name in ["rate_per_s", "answered", "stored", "lost", "window_ms", "tail_ms", "bound_ms"]:
        values = [float(r[column[name]]) for r in rows if r[column[name]] not in ("", "nan")]
        if values:
            print(f"{name:>12}: min {min(values):.1f}  median {statistics.median(values):.1f}  max {max(values):.1f}")
    beyond = [r[column["run"]] for r in rows if r[column["within_bound"]] != "yes"]
    unopened = [r[column["run"]] for r in rows if r[column["store_opened"]] != "1"]
    unverified = [r[column["run"]] for r in rows if r[column["verify_exit"]] != "0"]
    total_lost = sum(int(r[column["lost"]]) for r in rows)
    print(f"lost in all: {total_lost}; beyond the bound: {beyond or 'none'}; store did not open: "
          f"{unopened or 'none'}; verify failed: {unverified or 'none'}")
    return 1 if beyond or unopened or unverified else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("header")
    one = sub.add_parser("row")
    one.add_argument("--run", required=True)
    one.add_argument("--signal", default="KILL")
    one.add_argument("--answered", required=True)
    one.add_argument("--records", required=True)
    one.add_argument("--start", type=float, required=True)
    one.add_argument("--signal-at", type=float, required=True)
    one.add_argument("--flush-ms", type=float, default=100.0)
    one.add_argument("--batch-size", type=float, default=4096.0)
    one.add_argument("--writer-rps", type=float, default=15000.0)
    one.add_argument("--opened", default="1")
    one.add_argument("--verify", default="0")
    one.add_argument("--exit", default="")
    total = sub.add_parser("summary")
    total.add_argument("tsv")
    args = parser.parse_args()
    if args.command == "header":
        print("\t".join(COLUMNS))
        return 0
    if args.command == "row":
        row(args)
        return 0
    return summary(args)


if __name__ == "__main__":
    sys.exit(main())
