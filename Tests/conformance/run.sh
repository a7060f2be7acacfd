#!/usr/bin/env bash
# OpenAPI conformance: schemathesis, every check, on every operation of the document the server serves, against
# a fresh server with fixtures of every sport.
#
#   Tests/conformance/run.sh [path-to-matchwire-binary] [path-to-schemathesis] [schemathesis run options...]
#
# Run from the repository root. Defaults: .build/debug/matchwire and `schemathesis` on PATH. Prints
# `conformance: PASSED` or `conformance: FAILED` and exits with schemathesis' status (2 when the server could not
# be set up). Options after the first two arguments go to `schemathesis run` as they are.
#
# Environment (all optional):
#   CONFORMANCE_EXAMPLES    examples per operation and phase (default 50; about a minute on 2 cores)
#   CONFORMANCE_SEED        the seed (default 20250520): the same seed, binary and document give the same run
#   CONFORMANCE_WORKERS     schemathesis workers (default 1: with more, CPython 3.11's `ast` module, which
#                           Hypothesis uses to describe filters, races between threads and schemathesis reports
#                           "AST constructor recursion depth mismatch" as an error of its own)
#   CONFORMANCE_REPORT_DIR  keep the JUnit report and the NDJSON event log there (default: not kept)
#   CONFORMANCE_DOCUMENT    test this copy of the document instead of the served one (to try edits without a
#                           rebuild)
#   CONFORMANCE_CONFIG      another schemathesis.toml
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
matchwire=${1:-.build/debug/matchwire}
schemathesis=${2:-schemathesis}
examples=${CONFORMANCE_EXAMPLES:-50}
seed=${CONFORMANCE_SEED:-20250520}
workers=${CONFORMANCE_WORKERS:-1}

fail() {
    echo "conformance: $*" >&2
    echo "conformance: FAILED"
    exit 2
}
[[ -x $matchwire ]] || fail "no matchwire binary at $matchwire"
command -v "$schemathesis" >/dev/null || fail "no schemathesis at $schemathesis"
command -v curl >/dev/null || fail "curl is needed"

work=$(mktemp -d "${TMPDIR:-/tmp}/matchwire-conformance.XXXXXX")
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

db=$work/conformance.sqlite
token=$("$matchwire" token create --database "$db" --name conformance --role admin | tail -n 1)

log=$work/server.log
"$matchwire" serve --database "$db" --port 0 --rate-limit 100000 --rate-burst 100000 >"$log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 300); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$log" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
[[ -n $port ]] || fail "the server did not start: $(cat "$log")"
base=http://127.0.0.1:$port
ready=
for _ in $(seq 1 100); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/ready") == 200 ]]; then
        ready=yes
        break
    fi
    sleep 0.1
done
[[ -n $ready ]] || fail "the server is not ready: $(cat "$log")"

# Fixtures of every sport the server serves, through its own API (setup.py): their ids exported as
# MW_<SPORT>_<PURPOSE> for schemathesis.toml, and the [[operations]] blocks that name every sport's operations put
# in the place of its `# @sports@` line.
python3 "$here/setup.py" "$base" "$token" "$work" || fail "the fixtures could not be set up: $(tail -n 5 "$log")"
# shellcheck disable=SC1091
source "$work/env.sh"
config=$work/schemathesis.toml
sed -e "/^# @sports@\$/r $work/sports.toml" -e "/^# @sports@\$/d" "${CONFORMANCE_CONFIG:-$here/schemathesis.toml}" >"$config"

# The document is the one the server serves (the resource with every sport written in, OpenAPIDocument.swift)
# unless CONFORMANCE_DOCUMENT says otherwise.
document=${CONFORMANCE_DOCUMENT:-$base/openapi.json}
reports=()
if [[ -n ${CONFORMANCE_REPORT_DIR:-} ]]; then
    mkdir -p "$CONFORMANCE_REPORT_DIR"
    reports=(--report junit,ndjson --report-dir "$CONFORMANCE_REPORT_DIR")
fi
echo "conformance: server at $base, testing $document, $examples examples per operation, seed $seed"

# Nothing is kept between runs and nothing is written into the repository: Hypothesis' storage stays in the
# temporary folder, the example database is off (and schemathesis' cache, in schemathesis.toml).
started=$SECONDS
status=0
HYPOTHESIS_STORAGE_DIRECTORY=$work/hypothesis SCHEMATHESIS_HOOKS=$here/hooks.py \
    "$schemathesis" --config-file "$config" run "$document" --url "$base" \
    -H "Authorization: Bearer $token" --checks all --max-examples "$examples" --seed "$seed" --workers "$workers" \
    --generation-database none --no-color "${reports[@]}" "${@:3}" || status=$?
echo "conformance: schemathesis took $((SECONDS - started)) s"
if [[ $status != 0 ]]; then
    echo "conformance: schemathesis exit status $status; the last lines of the server log:"
    tail -n 20 "$log"
    echo "conformance: FAILED"
    exit "$status"
fi
echo "conformance: PASSED"
