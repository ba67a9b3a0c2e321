#!/usr/bin/env bash
# Nightly logical backup of dangjian (docs/operations.md §8.6), run by cron as the postgres user:
#   15 2 * * * postgres /opt/dangjian/scripts/ops/backup.sh dangjian /var/backups/dangjian >>/var/log/dangjian/backup.log 2>&1
# Writes DIR/DB-YYYY-MM-DDTHHMM.dump (pg_dump custom format), checks it lists, keeps KEEP_DAYS days.
# The connection comes from the libpq variables (PGHOST, PGPORT, PGUSER); default: local socket.
set -euo pipefail
db=${1:?usage: backup.sh DATABASE DIR}
dir=${2:?usage: backup.sh DATABASE DIR}
keep_days=${KEEP_DAYS:-14}
mkdir -p "$dir"
out="$dir/$db-$(date +%Y-%m-%dT%H%M).dump"
pg_dump --format=custom --compress=6 --file="$out.partial" "$db"
pg_restore --list "$out.partial" >/dev/null # a truncated or corrupt dump fails here
mv "$out.partial" "$out"
find "$dir" -maxdepth 1 -name "$db-*.dump" -mtime +"$keep_days" -delete
echo "$(date -Is) backup ok: $out ($(du -h "$out" | cut -f1))"
