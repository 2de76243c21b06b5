#!/usr/bin/env python3
"""Counts one audit-kill.sh / audit-shutdown.sh run: decisions answered against records stored.

    audit_tally.py header
    audit_tally.py row --run 3 --answered answered-3.txt --records records-3.jsonl \
        --start 1765000000.1 --signal-at 1765000004.6 --flush-ms 100 --writer-rps 15000 \
        --opened 1 --verify 0 --exit 137
    audit_tally.py summary runs.tsv
    audit_tally.py request /api/run3/check checkreq.bin    # a gRPC-framed CheckRequest for h2load
    audit_tally.py cadence decisions.db 4.5 commits-3.tsv  # when the writer's commits become visible

`--answered` holds the decision ids Gatehouse answered in that run, one a line (taken from
Envoy's access log); direct gRPC runs give `--answered-count` (h2load's answers) instead and are
compared by count. `--records` is `gatehouse audit query
--format jsonl` for the run's records. Only the standard library is used.

Why both a count and a time: `lost` is exact (ids answered and not stored), `window_ms` turns
it into time at the run's rate, and `tail_ms` measures the same window directly, as the time
between the last stored decision and the signal. The bound checked is
audit.flushInterval plus two batch writes, times the rate: what a writer that waits a whole
interval after each write can lose (the oldest record lost arrived just after the previous batch
was taken and waited for that write, the interval and its own batch's write); a writer on a fixed
cadence (c2b773d) loses at most the interval plus one write (AUDIT.md). With --commits (the
cadence poller's output) the write time is taken as the longest interval between two commits in
the run minus the flush interval, which for a fixed cadence understates a write: a loose check. Without, it is estimated from the writer's
throughput (--writer-rps, records/s) for the batch that rate fills. Beside it: the same with one
write (`one_write_ms`, the bound as first documented) and AUDIT.md's bound in records (one
interval's records plus one batch of at most batchSize).
"""
import argparse
import json
import statistics
import sys
from datetime import datetime

COLUMNS = [
    "run", "signal", "load_s", "rate_per_s", "answered", "stored", "lost", "extra_stored",
    "window_ms", "tail_ms", "bound_ms", "bound_records", "within_bound", "one_write_ms", "within_one_write",
    "doc_bound_records", "within_doc_bound", "commit_ms_median", "commit_ms_max", "store_opened", "verify_exit",
    "serve_exit",
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
    count_only = args.answered_count is not None
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
    if count_only:
        # Direct gRPC: h2load counts the answers but cannot name them; compare counts.
        answered_count = args.answered_count
        kept = min(len(stored), answered_count)
        extra = len(stored) - kept
    else:
        answered_count = len(answered)
        kept = len(answered & stored)
        extra = len(stored - answered)
    rate = answered_count / load
    lost = answered_count - kept
    # In steady state a batch holds what arrived during one interval and the previous write:
    # B = rate x (F + W) and W = B / writer_rps, so W = rate x F / (writer_rps - rate).
    if rate < args.writer_rps:
        write_ms = min(rate * args.flush_ms / (args.writer_rps - rate), args.batch_size / args.writer_rps * 1000.0)
    else:
        write_ms = args.batch_size / args.writer_rps * 1000.0
    commit_median, commit_max = commit_intervals(args.commits)
    if commit_max:
        # Measured instead: the longest interval between two commits in the run is the flush
        # interval plus the slowest batch's write.
        write_ms = max(float(commit_max) - args.flush_ms, 0.0)
    # The writer waits a whole interval after each write, so a record that arrives just after a
    # batch was taken waits for that write, the interval, then its own batch's write.
    bound_ms = args.flush_ms + 2 * write_ms
    bound_records = int(rate * bound_ms / 1000.0 + 0.999)
    one_write_ms = args.flush_ms + write_ms
    one_write_records = int(rate * one_write_ms / 1000.0 + 0.999)
    # AUDIT.md's own bound, in records: one flush interval's records plus the batch being written.
    doc_bound_records = int(rate * args.flush_ms / 1000.0 + 0.999) + int(args.batch_size)
    window_ms = lost / rate * 1000.0 if rate > 0 else 0.0
    tail_ms = (args.signal_at - last) * 1000.0 if last is not None else float("nan")
    values = [
        args.run, args.signal, f"{load:.2f}", f"{rate:.0f}", answered_count, kept, lost, extra,
        f"{window_ms:.1f}", f"{tail_ms:.1f}", f"{bound_ms:.1f}", bound_records,
        "yes" if lost <= bound_records else "NO", f"{one_write_ms:.1f}", "yes" if lost <= one_write_records else "NO",
        doc_bound_records, "yes" if lost <= doc_bound_records else "NO",
        commit_median, commit_max, args.opened, args.verify, args.exit,
    ]
    print("\t".join(str(value) for value in values))


def commit_intervals(path):
    """Median and largest time between two commits the cadence poller saw, in ms ('' without one)."""
    if not path:
        return "", ""
    with open(path) as handle:
        times = [float(line.split("\t")[0]) for line in handle if line.strip()]
    # The first change is the poller's start, not a commit interval.
    gaps = [(b - a) * 1000.0 for a, b in zip(times[1:], times[2:])]
    if not gaps:
        return "", ""
    return f"{statistics.median(gaps):.0f}", f"{max(gaps):.0f}"


def cadence(args):
    """Polls the store read-only every 2 ms for `seconds`; writes (time, largest seq) at each change.

    Under WAL a commit becomes visible at once, so the changes are the writer's commits: the time
    between two is the flush interval plus one batch's write (the writer waits after each write).
    """
    import sqlite3
    import time
    end = time.time() + args.seconds
    db = None
    while db is None and time.time() < end:
        try:
            db = sqlite3.connect("file:" + args.db + "?mode=ro", uri=True)
            db.execute("SELECT max(seq) FROM records").fetchone()
        except sqlite3.Error:
            db = None
            time.sleep(0.05)
    changes, last = [], None
    while db is not None and time.time() < end:
        now = time.time()
        try:
            (largest,) = db.execute("SELECT max(seq) FROM records").fetchone()
        except sqlite3.Error:
            largest = last
        if largest != last:
            changes.append((now, largest))
            last = largest
        time.sleep(0.002)
    with open(args.out, "w") as handle:
        for when, largest in changes:
            handle.write(f"{when:.4f}\t{largest}\n")


def length_delimited(field, payload):
    """One protobuf length-delimited field (wire type 2); lengths here stay under 2^14."""
    size = len(payload)
    varint = bytes([size]) if size < 0x80 else bytes([(size & 0x7F) | 0x80, size >> 7])
    return bytes([field << 3 | 2]) + varint + payload


def request(args):
    """CheckRequest{attributes{request{http{method: GET, path, host}}}}, framed as one gRPC message."""
    http = length_delimited(2, b"GET") + length_delimited(4, args.path.encode()) + length_delimited(5, b"bench")
    message = length_delimited(1, length_delimited(4, length_delimited(2, http)))
    with open(args.out, "wb") as handle:
        handle.write(b"\x00" + len(message).to_bytes(4, "big") + message)


def summary(args):
    with open(args.tsv) as handle:
        lines = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    header, rows = lines[0], lines[1:]
    if not rows:
        print("no runs")
        return 1
    column = {name: index for index, name in enumerate(header)}
    print(f"runs: {len(rows)}")
    for name in ["rate_per_s", "answered", "stored", "lost", "window_ms", "tail_ms", "bound_ms", "one_write_ms",
                 "commit_ms_median", "commit_ms_max"]:
        values = [float(r[column[name]]) for r in rows if r[column[name]] not in ("", "nan")]
        if values:
            print(f"{name:>12}: min {min(values):.1f}  median {statistics.median(values):.1f}  max {max(values):.1f}")
    beyond = [r[column["run"]] for r in rows if r[column["within_bound"]] != "yes"]
    beyond_records = [r[column["run"]] for r in rows if r[column["within_doc_bound"]] != "yes"]
    beyond_one = [r[column["run"]] for r in rows if r[column["within_one_write"]] != "yes"]
    unopened = [r[column["run"]] for r in rows if r[column["store_opened"]] != "1"]
    unverified = [r[column["run"]] for r in rows if r[column["verify_exit"]] != "0"]
    total_lost = sum(int(r[column["lost"]]) for r in rows)
    print(f"lost in all: {total_lost}; beyond rate x (interval + two batch writes): {beyond or 'none'}; "
          f"beyond rate x (interval + one batch's write): {beyond_one or 'none'}; "
          f"beyond AUDIT.md's records bound (an interval's records + batchSize): {beyond_records or 'none'}; "
          f"store did not open: {unopened or 'none'}; verify failed: {unverified or 'none'}")
    return 1 if beyond or unopened or unverified else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("header")
    one = sub.add_parser("row")
    one.add_argument("--run", required=True)
    one.add_argument("--signal", default="KILL")
    one.add_argument("--answered", default="/dev/null", help="the answered decision ids, one a line")
    one.add_argument("--answered-count", type=int, help="instead of ids: how many were answered")
    one.add_argument("--records", required=True)
    one.add_argument("--start", type=float, required=True)
    one.add_argument("--signal-at", type=float, required=True)
    one.add_argument("--flush-ms", type=float, default=100.0)
    one.add_argument("--batch-size", type=float, default=16384.0)
    one.add_argument("--writer-rps", type=float, default=15000.0)
    one.add_argument("--opened", default="1")
    one.add_argument("--verify", default="0")
    one.add_argument("--exit", default="")
    one.add_argument("--commits", default="", help="the cadence poller's output for the run")
    framed = sub.add_parser("request")
    framed.add_argument("path")
    framed.add_argument("out")
    poll = sub.add_parser("cadence")
    poll.add_argument("db")
    poll.add_argument("seconds", type=float)
    poll.add_argument("out")
    total = sub.add_parser("summary")
    total.add_argument("tsv")
    args = parser.parse_args()
    if args.command == "header":
        print("\t".join(COLUMNS))
        return 0
    if args.command == "row":
        row(args)
        return 0
    if args.command == "cadence":
        cadence(args)
        return 0
    if args.command == "request":
        request(args)
        return 0
    return summary(args)


if __name__ == "__main__":
    sys.exit(main())
