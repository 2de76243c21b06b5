#!/bin/bash
# PostgreSQL's own work a decision record under each index design (issue #14): one backend
# inserts 3 x 200,000 rows copied from a benchmark store, in batches of 16,384, into a table
# `t` laid out as the design says; prints that backend's CPU a record, WAL bytes a record and
# each relation's bytes a record.
#
#   Scripts/postgres-index-costs.sh PORT DATABASE DESIGN...
#
# DATABASE holds a store with at least 200,000 records of one instance, written by
# `AuditPostgresThroughput write URL src-1 200000`. DESIGN: none (primary key only), text (the
# v1 indexes), integer (v2: integer keys computed in the insert), generated (the same keys as
# stored generated columns). The server must run on this machine (the backend's CPU is read
# from /proc).
set -euo pipefail
PORT=$1 DB=$2
shift 2
P="env PGOPTIONS=-cclient_min_messages=warning psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PORT -U postgres -d $DB"
$P >/dev/null <<'SQL'
CREATE OR REPLACE FUNCTION bench_time_key(t text) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT translate(left(t, 24), '-T:.', '')::bigint $$;
CREATE TABLE IF NOT EXISTS staging AS SELECT * FROM gatehouse_audit.records WHERE seq < 200000 ORDER BY seq;
CREATE INDEX IF NOT EXISTS staging_seq ON staging (seq);
SQL
KEYS="bench_time_key(time), hashtextextended(subject, 0), hashtextextended(spiffe_id, 0), hashtextextended(xroad_client, 0)"
for design in "$@"; do
    select="*"
    case $design in
    none) ddl="ALTER TABLE t ADD PRIMARY KEY (instance, seq);" ;;
    text) ddl="ALTER TABLE t ADD PRIMARY KEY (instance, seq);
        CREATE INDEX ON t (time, instance, seq);
        CREATE INDEX ON t (subject, time, instance, seq) WHERE subject IS NOT NULL;
        CREATE INDEX ON t (spiffe_id, time, instance, seq) WHERE spiffe_id IS NOT NULL;
        CREATE INDEX ON t (xroad_client, time, instance, seq) WHERE xroad_client IS NOT NULL;
        CREATE INDEX ON t (id);" ;;
    integer | generated)
        if [ "$design" = integer ]; then
            ddl="ALTER TABLE t ADD COLUMN tk bigint, ADD COLUMN sk bigint, ADD COLUMN pk bigint, ADD COLUMN xk bigint;"
            select="*, $KEYS"
        else
            ddl="ALTER TABLE t ADD COLUMN tk bigint GENERATED ALWAYS AS (bench_time_key(time)) STORED,
                ADD COLUMN sk bigint GENERATED ALWAYS AS (hashtextextended(subject, 0)) STORED,
                ADD COLUMN pk bigint GENERATED ALWAYS AS (hashtextextended(spiffe_id, 0)) STORED,
                ADD COLUMN xk bigint GENERATED ALWAYS AS (hashtextextended(xroad_client, 0)) STORED;"
        fi
        ddl="$ddl ALTER TABLE t ADD PRIMARY KEY (instance, seq);
        CREATE INDEX ON t (tk);
        CREATE INDEX ON t (sk, tk) WHERE sk IS NOT NULL;
        CREATE INDEX ON t (pk, tk) WHERE pk IS NOT NULL;
        CREATE INDEX ON t (xk, tk) WHERE xk IS NOT NULL;
        CREATE INDEX ON t (id);" ;;
    *) echo "unknown design '$design' (none, text, integer, generated)" >&2; exit 2 ;;
    esac
    $P -c "DROP TABLE IF EXISTS t" -c "CREATE TABLE t (LIKE gatehouse_audit.records) WITH (autovacuum_enabled = false)" \
        -c "ALTER TABLE t DROP COLUMN IF EXISTS time_key, DROP COLUMN IF EXISTS subject_key,
            DROP COLUMN IF EXISTS spiffe_key, DROP COLUMN IF EXISTS xroad_key" -c "$ddl" -c CHECKPOINT >/dev/null
    out=$($P -At <<SQL
SELECT pg_backend_pid() AS pid, pg_current_wal_lsn() AS lsn \gset
\setenv BPID :pid
SELECT sum(x::bigint) FROM (SELECT unnest(regexp_split_to_array(pg_read_file('/proc/' || :pid || '/stat'), ' ')) x OFFSET 13 LIMIT 2) s \gset cpu0_
DO \$\$
BEGIN
    FOR b IN 0..(200000 / 16384) LOOP
        FOR i IN 1..3 LOOP
            INSERT INTO t SELECT $select FROM (
                SELECT 'inst-' || i AS instance, seq, body, id, overlay(time placing i::text from 29 for 1) AS time,
                    kind, decision, reason, subject, spiffe_id, xroad_client, host, path, policy_revision, rule
                FROM staging WHERE seq >= b * 16384 AND seq < (b + 1) * 16384) s;
            COMMIT;
        END LOOP;
    END LOOP;
END \$\$;
SELECT sum(x::bigint) - :cpu0_sum, pg_wal_lsn_diff(pg_current_wal_lsn(), :'lsn')
FROM (SELECT unnest(regexp_split_to_array(pg_read_file('/proc/' || :pid || '/stat'), ' ')) x OFFSET 13 LIMIT 2) s;
SQL
)
    ticks=${out%%|*} wal=${out##*|}
    sizes=$($P -At -c "SELECT string_agg(c.relname || ' ' || pg_relation_size(c.oid) / 600000, ', ' ORDER BY c.relname)
        FROM pg_class c WHERE c.oid = 't'::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 't'::regclass)")
    echo "$design: backend $(echo "scale=1; $ticks * 1000000 / $(getconf CLK_TCK) / 600000" | bc) us CPU a record," \
        "WAL $(echo "$wal / 600000" | bc) bytes a record; bytes a record: $sizes; load $(cut -d' ' -f1 /proc/loadavg)"
done
