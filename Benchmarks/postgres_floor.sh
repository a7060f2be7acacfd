#!/usr/bin/env bash
# The PostgreSQL ingestion floor: the same durable writes Matchwire makes per acknowledged action, done
# directly by pgbench with no HTTP and no rules engine: per transaction, the fixture's row locked and its
# last number moved on, the packet bytes inserted, a NOTIFY, COMMIT (synchronous_commit on). 50 clients, one
# transaction in flight each, as the 50 fixtures of the Matchwire scenario. Prints one JSON object like the
# load generator.
#
#   Benchmarks/postgres_floor.sh PSQL_CONNECTION_ARGS... -- PACKET_FILE SECONDS
set -euo pipefail
args=()
while [ "$1" != "--" ]; do args+=("$1"); shift; done
shift
packet_file=$1
seconds=$2
work=$(mktemp -d /tmp/matchwire-pgfloor.XXXXXX)
chmod 755 "$work"
psql -X -q "${args[@]}" -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS floor_packets, floor_fixtures, floor_body;
CREATE TABLE floor_fixtures (id integer PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0);
INSERT INTO floor_fixtures SELECT generate_series(1, 50);
CREATE TABLE floor_packets (fixture_id integer NOT NULL, seq bigint NOT NULL, body bytea NOT NULL,
    PRIMARY KEY (fixture_id, seq));
CREATE TABLE floor_body (body bytea NOT NULL);
SQL
# psql interpolates :'body' in what it reads, not in -c.
echo "INSERT INTO floor_body VALUES (convert_to(:'body', 'UTF8'))" |
    psql -X -q "${args[@]}" -v ON_ERROR_STOP=1 -v body="$(cat "$packet_file")"
cat >"$work/append.sql" <<'SQL'
\set f random(1, 50)
BEGIN;
UPDATE floor_fixtures SET last_seq = last_seq + 1 WHERE id = :f RETURNING last_seq AS seq \gset
INSERT INTO floor_packets SELECT :f, :seq, body FROM floor_body;
SELECT pg_notify('floor', :f::text);
COMMIT;
SQL
# Each client takes its own fixture most of the time (50 fixtures, 50 clients, random): some waits on a row
# lock, as when two scouts write one fixture; Matchwire's scenario has none, which favours it slightly.
pgbench -n "${args[@]}" -c 50 -j 2 -T "$seconds" -f "$work/append.sql" >"$work/out" 2>&1 || {
    tail -20 "$work/out" >&2
    exit 1
}
python3 - "$work/out" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"tps = ([\d.]+)", text).group(1))
latency = float(re.search(r"latency average = ([\d.]+) ms", text).group(1))
print(json.dumps({"scenario": "ingest", "target": "pgbench", "acknowledgedPerSecond": tps,
                  "latencyAverage": latency}))
PY
rm -rf "$work"
