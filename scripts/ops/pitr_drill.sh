#!/usr/bin/env bash
# Continuous-archiving drill (docs/operations.md §8.6) on a throwaway PostgreSQL cluster: archive_mode
# on with the documented archive_command, pg_basebackup, more rows written AFTER the base backup,
# then the base backup restored with restore_command + recovery.signal; the restored cluster must
# hold every row, i.e. the WAL archive was replayed. Needs root (runs the cluster as postgres) or the
# postgres user; about 10 s. Usage: pitr_drill.sh [PORT] (default 54329).
set -euo pipefail
PORT=${1:-54329}
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$BIN/initdb" ] || { echo "!! pitr drill: $BIN/initdb not found (set PG_BIN)" >&2; exit 1; }
DIR=$(mktemp -d /tmp/dangjian-pitr.XXXXXX)
as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
cleanup() {
	local rc=$?
	for d in "$DIR/primary" "$DIR/restored"; do
		[ -f "$d/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1
	done
	rm -rf "$DIR"
	exit "$rc"
}
trap cleanup EXIT
fail() { echo "!! pitr drill FAILED: $*" >&2; for l in "$DIR"/*.log; do [ -f "$l" ] && tail -n 15 "$l" >&2; done; exit 1; }
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR"
sql() { as_pg "$BIN/psql" -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "$1"; }

as_pg mkdir "$DIR/archive"
as_pg "$BIN/initdb" -D "$DIR/primary" -A trust -U postgres >"$DIR/initdb.log" 2>&1 || fail "initdb"
as_pg tee -a "$DIR/primary/postgresql.conf" >/dev/null <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $DIR/archive/%f && cp %p $DIR/archive/%f'
archive_timeout = 300
CONF
as_pg "$BIN/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w start >/dev/null || fail "start the primary"
sql "CREATE TABLE drill (id int PRIMARY KEY, note text)" >/dev/null
sql "INSERT INTO drill SELECT g, 'before base backup' FROM generate_series(1, 1000) g" >/dev/null
as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$DIR/base" -Ft -z -X fetch --checkpoint=fast \
	>"$DIR/basebackup.log" 2>&1 || fail "pg_basebackup"
sql "INSERT INTO drill SELECT g, 'after base backup, only in the WAL archive' FROM generate_series(1001, 1500) g" >/dev/null
segment=$(sql "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 50); do [ -f "$DIR/archive/$segment" ] && break; sleep 0.2; done
[ -f "$DIR/archive/$segment" ] || fail "archive_command did not archive $segment"
as_pg "$BIN/pg_ctl" -D "$DIR/primary" -m fast -w stop >/dev/null

# the restore, as in the docs: unpack the base backup, restore_command, recovery.signal, start
as_pg mkdir -m 700 "$DIR/restored"
as_pg tar -xzf "$DIR/base/base.tar.gz" -C "$DIR/restored"
as_pg tee -a "$DIR/restored/postgresql.auto.conf" >/dev/null <<CONF
restore_command = 'cp $DIR/archive/%f %p'
archive_mode = off
CONF
as_pg touch "$DIR/restored/recovery.signal"
as_pg "$BIN/pg_ctl" -D "$DIR/restored" -l "$DIR/restored.log" -w start >/dev/null || fail "start the restored cluster"
for _ in $(seq 1 50); do [ "$(sql 'SELECT pg_is_in_recovery()')" = f ] && break; sleep 0.2; done
[ "$(sql 'SELECT pg_is_in_recovery()')" = f ] || fail "the restored cluster did not finish recovery"
rows=$(sql "SELECT count(*) FROM drill")
[ "$rows" = 1500 ] || fail "restored cluster has $rows rows, expected 1500 (1000 in the base backup + 500 from the WAL archive)"
echo "pitr drill: base backup + WAL archive replayed, 1500/1500 rows (500 of them only in the archive)"
