# A throwaway PostgreSQL cluster for the benchmarks, sourced by them: fsync and synchronous_commit on, as in
# production, in $WORK/pg, on 127.0.0.1:$PGPORT, run as the `postgres` user when we are root (PostgreSQL refuses
# root). Installs PostgreSQL with apt-get when it is missing. Sets PSQL_ARGS and defines PG_STOP.
#
#   WORK=... PGPORT=... [PG_PIN=(taskset -c 0)] source Benchmarks/lib/postgres.sh
#
# PG_PIN, when set, is the command the server is started under (its backends inherit the CPU affinity).
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
PGDIR=$WORK/pg
mkdir -p "$PGDIR"
AS_PG=()
[ -n "${PG_PIN+set}" ] || PG_PIN=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PGDIR"
    chmod 755 "$WORK"
    AS_PG=(runuser -u postgres --)
fi
"${AS_PG[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
"${PG_PIN[@]}" "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w start \
    -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
PG_STOP() { "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true; }
PSQL_ARGS=(-h 127.0.0.1 -p "$PGPORT" -U postgres)
