#!/bin/bash
# A decision store of 10.8 M records in PostgreSQL (issue #14), for timing the one-subject query:
# three writers of 400,000 records (AuditPostgresThroughput, as Scripts/postgres-writers.sh runs
# them), then eight SQL copies of their rows under other instance names (the same times, so each
# time holds nine rows and the order falls to the instance), then VACUUM ANALYZE. ~10 GB.
#
#   Scripts/postgres-10m-store.sh BIN PORT DATABASE [records per writer, default 400000]
#   BIN query postgres://postgres@127.0.0.1:PORT/DATABASE?sslmode=disable user-123 20
#
# BIN is a release AuditPostgresThroughput; PORT a running server of your own; DATABASE is
# dropped and made again.
set -euo pipefail
BIN=$1 PORT=$2 DB=$3 N=${4:-400000}
P="psql -q -X -h 127.0.0.1 -p $PORT -U postgres"
$P -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
U="postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable"
"$BIN" write "$U" warm 1000
for i in 1 2 3; do "$BIN" write "$U" "$DB-gh-$i" "$N" & done
wait
# Every column but the instance, as the store's schema has them now.
C=$($P -d "$DB" -At -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
    WHERE attrelid = 'gatehouse_audit.records'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'instance'")
for k in 1 2 3 4 5 6 7 8; do
    $P -d "$DB" -c "INSERT INTO gatehouse_audit.records (instance, $C)
        SELECT instance || '-c$k', $C FROM gatehouse_audit.records WHERE instance LIKE '$DB-gh-_'"
done
$P -d "$DB" -c "VACUUM ANALYZE gatehouse_audit.records"
$P -d "$DB" -At -c "SELECT count(*) || ' records, ' || pg_size_pretty(pg_database_size('$DB')) FROM gatehouse_audit.records"
