#!/usr/bin/env bash
# Exercise the production deployment of docs/operations.md §8 on this machine, against the local
# PostgreSQL (127.0.0.1:5432, trust) and Redis (127.0.0.1:6379), in about 30 s:
#   roles + scratch database from scripts/ops/postgres-roles.sql; migrate as the owner role, then
#   postgres-grants.sql; collectstatic; gunicorn from the ExecStart of dangjian-gunicorn.service
#   with production settings and the app role; /healthz and the login page (and the HTTP → HTTPS
#   redirect); a Celery worker and one beat from their unit files, a job processed through Redis;
#   the app role cannot UPDATE/DELETE/TRUNCATE audit rows; backup.sh (pg_dump -Fc), pg_restore into a
#   second scratch database, row counts compared; pitr_drill.sh (pg_basebackup + WAL archive replayed
#   on a throwaway cluster); nginx -t, logrotate -d, systemd-analyze when present.
# Everything it starts is stopped and everything it creates dropped on exit. Exit status 0 only if all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OPS=$ROOT/scripts/ops
# shellcheck disable=SC1091
[ -x .venv/bin/python ] && . .venv/bin/activate

PGHOST=${OPS_PGHOST:-127.0.0.1}
PGPORT=${OPS_PGPORT:-5432}
SUPER=${OPS_PGSUPERUSER:-postgres}
REDIS=${OPS_REDIS:-redis://127.0.0.1:6379}
PORT=${OPS_HTTP_PORT:-18766}
DB=dangjian_ops
RESTORE_DB=dangjian_ops_restore
OWNER=dangjian_ops_owner
APP=dangjian_ops_app
# Redis database numbers of this check (production: 0 cache, 1 broker, 2 results; tests use 14/15)
CACHE_DB=11 BROKER_DB=12 RESULT_DB=13
WORK=$(mktemp -d /tmp/dangjian-ops.XXXXXX)
PIDS=()
STARTED=$SECONDS
export PGHOST PGPORT

say() { printf '[ops %3ss] %s\n' "$((SECONDS - STARTED))" "$*"; }
fail() {
	echo "!! ops_check FAILED: $*" >&2
	for log in "$WORK"/*.log; do
		[ -s "$log" ] && { echo "---- last lines of $(basename "$log")" >&2; tail -n 25 "$log" >&2; }
	done
	exit 1
}
psql_super() { psql -X -q -v ON_ERROR_STOP=1 -U "$SUPER" "$@"; }

cleanup() {
	local rc=$?
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	drop_all >/dev/null 2>&1 || true
	for n in $CACHE_DB $BROKER_DB $RESULT_DB; do redis-cli -u "$REDIS/$n" flushdb >/dev/null 2>&1 || true; done
	rm -rf "$WORK"
	[ "$rc" -eq 0 ] && say "all ops checks passed in $((SECONDS - STARTED)) s"
	exit "$rc"
}
drop_all() {
	psql_super -d postgres -c "DROP DATABASE IF EXISTS $RESTORE_DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
	psql_super -d postgres -c "DROP ROLE IF EXISTS $APP" -c "DROP ROLE IF EXISTS $OWNER"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ExecStart of a unit file with the paths of this checkout: /opt/dangjian → here, state → $WORK
exec_start() {
	sed -n 's/^ExecStart=//p' "$OPS/$1" |
		sed -e "s#/opt/dangjian#$ROOT#g" -e "s#/var/lib/dangjian#$WORK#g" -e "s#127.0.0.1:8001#127.0.0.1:$PORT#g" \
			-e 's#%i#1#g' -e 's#%%#%#g'
}
# start NAME COMMAND...: in the background, its own process group, output in $WORK/NAME.log
start() {
	local name=$1
	shift
	setsid "$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
}
alive() { kill -0 "${PIDS[$1]}" 2>/dev/null; }

# --- 0. services -------------------------------------------------------------------------------
pg_isready -q -h "$PGHOST" -p "$PGPORT" || fail "PostgreSQL does not answer on $PGHOST:$PGPORT (pg_ctlcluster 15 main start)"
redis-cli -u "$REDIS/0" ping >/dev/null 2>&1 || fail "Redis does not answer at $REDIS"
for cmd in gunicorn celery pg_dump pg_restore; do command -v "$cmd" >/dev/null || fail "$cmd not found"; done
say "PostgreSQL $(psql -X -At -U "$SUPER" -d postgres -c 'SHOW server_version'), Redis $(redis-cli -u "$REDIS/0" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')"

# --- 1. roles and database (§8.2) ------------------------------------------------------------
drop_all >/dev/null 2>&1 || true
owner_pw=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')
app_pw=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')
psql_super -d postgres -v db="$DB" -v owner="$OWNER" -v app="$APP" -v owner_password="$owner_pw" \
	-v app_password="$app_pw" -f "$OPS/postgres-roles.sql" || fail "postgres-roles.sql"
OWNER_URL="postgres://$OWNER:$owner_pw@$PGHOST:$PGPORT/$DB"
APP_URL="postgres://$APP:$app_pw@$PGHOST:$PGPORT/$DB"
say "roles $OWNER (owner) and $APP (DML) and database $DB created"

# --- 2. environment file (§8.7), in systemd's EnvironmentFile format -------------------------
python - "$WORK/env" "$APP_URL" "$REDIS" "$CACHE_DB" "$BROKER_DB" "$RESULT_DB" <<'PY'
import base64, os, secrets, sys
path, db, redis, cache, broker, results = sys.argv[1:]
lines = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "FIELD_KEYS": "1:" + base64.b64encode(os.urandom(16)).decode(),
    "BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
    "DATABASE_URL": db,
    "REDIS_URL": f"{redis}/{cache}",
    "CELERY_BROKER_URL": f"{redis}/{broker}",
    "CELERY_RESULT_BACKEND": f"{redis}/{results}",
    "SMS_PROVIDER": "console",
}
with open(path, "w") as f:
    f.writelines(f"{k}={v}\n" for k, v in lines.items())
os.chmod(path, 0o600)
PY
set -a
# shellcheck disable=SC1091
. "$WORK/env"
set +a
unset DJANGO_DEBUG SQLITE_PATH EMBEDDED_SCHEDULER
as_owner() { env DATABASE_URL="$OWNER_URL" "$@"; }

# --- 3. deploy checks, migrate as the owner, grants, collectstatic (§8.8) --------------------
python manage.py check --deploy --fail-level WARNING >"$WORK/check.log" 2>&1 || fail "manage.py check --deploy"
as_owner python manage.py migrate --noinput -v0 >"$WORK/migrate.log" 2>&1 || fail "migrate as $OWNER"
as_owner psql -X -q -v ON_ERROR_STOP=1 "$OWNER_URL" -v app="$APP" -f "$OPS/postgres-grants.sql" || fail "postgres-grants.sql as $OWNER"
python manage.py migrate --check -v0 >/dev/null 2>&1 || fail "the app role sees unapplied migrations"
python manage.py collectstatic --noinput -v0 || fail "collectstatic"
[ -f "$ROOT/staticfiles/css/app.css" ] || fail "collectstatic: staticfiles/css/app.css missing"
say "check --deploy clean, migrated as $OWNER, grants applied, static files collected"

# demo data through the app role: every write the application makes must be allowed to it
python manage.py seed_demo --force --members 300 >"$WORK/seed.log" 2>&1 || fail "seed_demo as $APP"
say "demo data written as $APP"

# --- 4. the app role and the audit log (PII-007, §8.2) ---------------------------------------
audit_rows=$(psql -X -At "$APP_URL" -c "SELECT count(*) FROM audit_auditevent")
[ "$audit_rows" -gt 0 ] || fail "seed_demo wrote no audit rows, nothing to protect"
for sql in "UPDATE audit_auditevent SET id = id" "DELETE FROM audit_auditevent" "TRUNCATE audit_auditevent"; do
	if out=$(psql -X -v ON_ERROR_STOP=1 "$APP_URL" -c "$sql" 2>&1); then
		fail "the app role ran '$sql' on the audit log; it must be refused"
	fi
	case $out in *"permission denied"*) ;; *) fail "'$sql' failed for another reason than privileges: $out" ;; esac
done
privs=$(psql -X -At "$APP_URL" -c "SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE']) p WHERE has_table_privilege('audit_auditevent', p)")
[ "$privs" = "INSERT,SELECT" ] || fail "app role privileges on audit_auditevent are '$privs', expected INSERT,SELECT"
if psql -X -v ON_ERROR_STOP=1 "$APP_URL" -c "CREATE TABLE ops_probe (id int)" >/dev/null 2>&1; then
	fail "the app role may create tables; it must have DML only"
fi
psql -X -At -v ON_ERROR_STOP=1 "$APP_URL" -c "UPDATE members_member SET id = id WHERE false" >/dev/null || fail "the app role cannot UPDATE members_member"
say "app role: INSERT/SELECT only on audit_auditevent ($audit_rows rows; UPDATE, DELETE, TRUNCATE refused), no DDL"

# --- 5. gunicorn with the unit file's command (§8.4) -----------------------------------------
eval "start gunicorn $(exec_start dangjian-gunicorn.service)"
GUNICORN=$((${#PIDS[@]} - 1))
http() { # http PATH [HEADER...] → "status body"
	python - "$PORT" "$@" <<'PY'
import sys, urllib.error, urllib.request
port, path, *headers = sys.argv[1:]
req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=dict(h.split(": ", 1) for h in headers))
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
try:
    resp = urllib.request.build_opener(NoRedirect).open(req, timeout=5)
    print(resp.status, resp.read().decode()[:20000].replace("\n", " "))
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("Location", ""))
PY
}
for _ in $(seq 1 60); do
	alive "$GUNICORN" || fail "gunicorn exited at start"
	res=$(http /healthz "X-Forwarded-Proto: https" 2>/dev/null) && break
	sleep 0.5
done
case ${res:-} in "200 "*'"ok"'*) ;; *) fail "/healthz answered '${res:-nothing}', expected 200 {\"status\": \"ok\"}" ;; esac
res=$(http /accounts/login/ "X-Forwarded-Proto: https" "X-Forwarded-For: 203.0.113.7")
case $res in "200 "*"登录"*) ;; *) fail "the login page answered '${res:0:200}', expected 200 with 登录" ;; esac
res=$(http /accounts/login/)
case $res in "301 https://127.0.0.1:$PORT/accounts/login/"*) ;; *) fail "plain HTTP answered '$res', expected 301 to https://" ;; esac
res=$(http /static/css/app.css "X-Forwarded-Proto: https")
case $res in "404 "*) ;; *) fail "gunicorn served /static/ ('${res:0:40}'); nginx serves STATIC_ROOT" ;; esac
say "gunicorn (production settings, app role): /healthz 200, login page 200, http → 301 https"

# --- 6. Celery: one worker and exactly one beat from the unit files (§8.5) -------------------
eval "start worker $(exec_start dangjian-worker@.service)"
WORKER=$((${#PIDS[@]} - 1))
eval "start beat $(exec_start dangjian-beat.service)"
BEAT=$((${#PIDS[@]} - 1))
python - <<'PY' >"$WORK/job.log" 2>&1 || fail "the Celery job was not processed (see job.log)"
import django, time
django.setup()
from config.celery import app
from dangjian.notifications.models import JobRun

deadline = time.monotonic() + 40
while not app.control.ping(timeout=1.0):
    if time.monotonic() > deadline:
        raise SystemExit("no worker answered a ping in 40 s")
daily = app.send_task("notifications.run_daily_jobs").get(timeout=30)
due = app.send_task("notifications.dispatch_due").get(timeout=30)
runs = JobRun.objects.count()
print("run_daily_jobs ->", daily)
print("dispatch_due ->", due)
print("job runs recorded:", runs)
assert runs >= 1, "run_daily_jobs recorded no JobRun"
PY
alive "$WORKER" || fail "the worker exited"
for _ in $(seq 1 20); do grep -q "beat: Starting" "$WORK/beat.log" && break; sleep 0.5; done
grep -q "beat: Starting" "$WORK/beat.log" || fail "beat did not start"
alive "$BEAT" || fail "beat exited"
grep -q "notifications.run_daily_jobs.*succeeded" "$WORK/worker.log" || fail "the worker log shows no succeeded run_daily_jobs"
say "worker + one beat up; $(grep -c . "$WORK/job.log") result lines: $(head -c 160 "$WORK/job.log" | tr '\n' ' ')"

# --- 7. backup with backup.sh (pg_dump -Fc), restore into a scratch database (§8.6) ----------
PGUSER=$OWNER KEEP_DAYS=14 "$OPS/backup.sh" "$DB" "$WORK/backups" >"$WORK/backup.log" 2>&1 || fail "backup.sh"
dump=$(ls "$WORK/backups/$DB-"*.dump)
psql_super -d postgres -c "CREATE DATABASE $RESTORE_DB OWNER $OWNER TEMPLATE template0" || fail "create $RESTORE_DB"
pg_restore -U "$SUPER" --exit-on-error --no-owner --role="$OWNER" -d "$RESTORE_DB" "$dump" || fail "pg_restore into $RESTORE_DB"
TABLES="organisations_organisation members_member accounts_user accounts_rolegrant audit_auditevent notifications_message notifications_jobrun members_memberevent organisations_organisationevent"
counts() { for t in $TABLES; do printf '%s=%s ' "$t" "$(psql -X -At -U "$SUPER" -d "$1" -c "SELECT count(*) FROM $t")"; done; }
before=$(counts "$DB")
after=$(counts "$RESTORE_DB")
[ "$before" = "$after" ] || fail "row counts differ after restore: $DB: $before / $RESTORE_DB: $after"
case $before in *"members_member=0 "*) fail "nothing to compare: members_member is empty" ;; esac
say "backup $(basename "$dump") ($(du -h "$dump" | cut -f1)) restored into $RESTORE_DB; row counts equal: $before"

# continuous archiving: pg_basebackup + WAL replay on a throwaway cluster (needs root or postgres)
if [ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ] && { [ "$(id -u)" -eq 0 ] || [ "$(id -un)" = postgres ]; }; then
	"$OPS/pitr_drill.sh" "${OPS_PITR_PORT:-54329}" >"$WORK/pitr.log" 2>&1 || fail "pitr_drill.sh (pg_basebackup + WAL archive restore)"
	say "$(tail -n 1 "$WORK/pitr.log")"
else
	say "note: not root/postgres or no initdb; the pg_basebackup + WAL archive drill (scripts/ops/pitr_drill.sh) was skipped"
fi

# --- 8. config files that need their tools ---------------------------------------------------
if command -v nginx >/dev/null; then
	mkdir -p "$WORK/nginx/conf.d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=dangjian.example.org \
		-keyout "$WORK/nginx/privkey.pem" -out "$WORK/nginx/fullchain.pem" >/dev/null 2>&1
	sed -e "s#/etc/ssl/dangjian#$WORK/nginx#g" -e "s#/etc/nginx/dangjian_proxy_params#$OPS/nginx-dangjian_proxy_params#g" \
		"$OPS/nginx-dangjian.conf" >"$WORK/nginx/site.conf"
	printf 'events {}\nhttp {\ninclude %s;\n}\n' "$WORK/nginx/site.conf" >"$WORK/nginx/nginx.conf"
	nginx -t -q -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" || fail "nginx -t on nginx-dangjian.conf"
	say "nginx -t: nginx-dangjian.conf is valid"
else
	say "note: nginx is not installed here; nginx-dangjian.conf was not syntax-checked"
fi
if command -v logrotate >/dev/null; then
	sed -e 's/ dangjian dangjian$/ root root/' "$OPS/logrotate-dangjian" >"$WORK/logrotate-dangjian" # no dangjian user here
	logrotate -d -s "$WORK/logrotate.state" "$WORK/logrotate-dangjian" >"$WORK/logrotate.log" 2>&1 || fail "logrotate -d logrotate-dangjian"
	if grep -q "^error" "$WORK/logrotate.log"; then fail "logrotate -d reports errors in logrotate-dangjian"; fi
	say "logrotate -d: logrotate-dangjian is valid"
fi
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$WORK/units"
	for unit in dangjian-gunicorn.service dangjian-worker@.service dangjian-beat.service; do
		sed -e "s#/opt/dangjian#$ROOT#g" -e '/^User=/d' -e '/^Group=/d' -e '/^EnvironmentFile=/d' "$OPS/$unit" >"$WORK/units/$unit"
	done
	cp "$WORK/units/dangjian-worker@.service" "$WORK/units/dangjian-worker@1.service"
	(cd "$WORK/units" && SYSTEMD_LOG_LEVEL=err systemd-analyze verify --man=no dangjian-gunicorn.service dangjian-worker@1.service dangjian-beat.service) \
		>"$WORK/systemd.log" 2>&1 || fail "systemd-analyze verify on the unit files: $(cat "$WORK/systemd.log")"
	say "systemd-analyze verify: the three unit files are valid"
fi
