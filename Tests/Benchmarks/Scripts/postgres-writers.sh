#!/bin/bash
# Three replicas' writers into one PostgreSQL (issue #14): AuditPostgresThroughput started three
# times at once into a fresh database, then the rate together, PostgreSQL's CPU a record (the
# postmaster's own and its ended children's, read after they are reaped, plus the living
# auxiliary processes') and WAL bytes a record.
#
#   Scripts/postgres-writers.sh BIN PGDATA PORT DATABASE [records per writer, default 150000]
#
# BIN is a release AuditPostgresThroughput; PGDATA and PORT name a running server of your own
# (its postmaster's PID is read from PGDATA/postmaster.pid). DATABASE is dropped and made again.
set -euo pipefail
BIN=$1 PGDATA=$2 PORT=$3 DB=$4 N=${5:-150000}
P="psql -q -X -h 127.0.0.1 -p $PORT -U postgres"
PM=$(head -1 "$PGDATA/postmaster.pid")
$P -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
U="postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable"
"$BIN" write "$U" warm 1000 >/dev/null   # migrations outside the timed part
$P -c CHECKPOINT >/dev/null
ticks() {   # CPU ticks of the postmaster, its reaped children and its living children
    local sum
    sum=$(awk '{print $14+$15+$16+$17}' "/proc/$PM/stat")
    for child in $(pgrep -P "$PM"); do sum=$((sum + $(awk '{print $14+$15}' "/proc/$child/stat" 2>/dev/null || echo 0))); done
    echo "$sum"
}
T0=$(ticks) L0=$(cut -d' ' -f1 /proc/loadavg) W0=$($P -At -c "SELECT pg_current_wal_lsn()")
S=$(date +%s.%N)
for i in 1 2 3; do "$BIN" write "$U" "$DB-gh-$i" "$N" & done
wait
E=$(date +%s.%N)
sleep 2   # the ended backends reaped, so their CPU is in the postmaster's cutime
T1=$(ticks) L1=$(cut -d' ' -f1 /proc/loadavg) W1=$($P -At -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$W0')")
R=$((3 * N)) HZ=$(getconf CLK_TCK)
echo "together: $(echo "$R / ($E - $S)" | bc) records/s; load $L0 -> $L1;" \
    "PostgreSQL $(echo "scale=1; ($T1 - $T0) * 1000000 / $HZ / $R" | bc) us CPU a record;" \
    "WAL $(echo "$W1 / $R" | bc) bytes a record"
