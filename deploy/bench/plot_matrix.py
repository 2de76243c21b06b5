#!/usr/bin/env python3
"""plot_matrix.py MATRIX.tsv OUT.png [NOTE]: deploy/bench/matrix.sh's table as one PNG.

Two rows of panels, one column per token pool: throughput (req/s through Envoy) and the authz
server's CPU per check (µs) against wrk's connections (log scale), one line per server
(Gatehouse, the C++ JWT peer, the `null` peer; Envoy alone as a dashed reference on the
throughput panels). Gatehouse's cache hit ratio is written beside its throughput points.
NOTE (e.g. "busy machine, load 6-9") goes into the title. Needs matplotlib
(`/tmp/bench-venv/bin/pip install matplotlib`).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERIES = [
    ("extauthz:gatehouse", "Gatehouse", "tab:blue", "o"),
    ("extauthz:cpp", "C++ JWT peer", "tab:orange", "s"),
    ("extauthz:null", "null peer (allows all)", "tab:gray", "^"),
]


def number(text):
    try:
        return float(text)
    except ValueError:
        return float("nan")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
    pools = list(dict.fromkeys(row["pool"] for row in rows))
    figure, axes = plt.subplots(2, len(pools), figsize=(4.2 * len(pools), 7.5), squeeze=False, sharex=True)
    for column, pool in enumerate(pools):
        throughput, cpu = axes[0][column], axes[1][column]
        cells = [row for row in rows if row["pool"] == pool]
        for scenario, label, colour, marker in SERIES:
            points = sorted(
                ((int(row["conns"]), row) for row in cells if row["scenario"] == scenario), key=lambda p: p[0])
            if not points:
                continue
            conns = [p[0] for p in points]
            throughput.plot(conns, [number(p[1]["rps"]) for p in points], marker=marker, color=colour, label=label)
            cpu.plot(conns, [number(p[1]["authz_us_req"]) for p in points], marker=marker, color=colour, label=label)
            if scenario == "extauthz:gatehouse":
                for conn, row in points:
                    if row["hit_ratio"] not in ("", "-"):
                        throughput.annotate(
                            f"hits {float(row['hit_ratio']):.0%}", (conn, number(row["rps"])),
                            textcoords="offset points", xytext=(4, -12), fontsize=7, color=colour)
        noauth = sorted(((int(row["conns"]), number(row["rps"])) for row in cells if row["scenario"] == "noauth"))
        if noauth:
            throughput.plot(
                [p[0] for p in noauth], [p[1] for p in noauth], linestyle="--", color="black", linewidth=0.8,
                label="Envoy alone (noauth)")
        throughput.set_title(f"TOKENS={pool}")
        ticks = sorted({int(row["conns"]) for row in cells})
        for axis in (throughput, cpu):
            axis.set_xscale("log", base=2)
            axis.set_xticks(ticks, [str(tick) for tick in ticks])
            axis.grid(True, alpha=0.3)
            axis.set_ylim(bottom=0)
        cpu.set_xlabel("connections (wrk → Envoy)")
        if column == 0:
            throughput.set_ylabel("requests/s through Envoy")
            cpu.set_ylabel("authz server CPU µs per check")
    axes[0][0].legend(fontsize=8, loc="best")
    note = f" ({sys.argv[3]})" if len(sys.argv) == 4 else ""
    figure.suptitle(f"ext_authz through Envoy 1.40, 2 cores{note}")
    figure.tight_layout()
    figure.savefig(sys.argv[2], dpi=110)
    print(f"plot_matrix: {sys.argv[2]}")


if __name__ == "__main__":
    main()
