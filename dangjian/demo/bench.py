"""The benchmark paths (issue 9, STACK.md §12): each key path beside a baseline from the same run.

Every path is timed as the median of ``repeat`` runs after one warm-up run, and compared with a
hand-written SQL query that returns the same rows; a path whose rows differ from its baseline's is a
broken invariant (``BenchmarkInvariantBroken``), not a figure. Benchmarks are not tests: nothing
here asserts a time.
"""

from __future__ import annotations

import csv
import http.client
import importlib
import io
import json
import logging
import os
import random
import re
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.services import issue_api_token, revoke_api_token
from dangjian.core import crypto
from dangjian.core.benchkit import (
    BenchmarkInvariantBroken,
    PathResult,
    ServerDidNotStart,
    gunicorn,
    http_get,
    load,
    query_count,
    same,
    sql,
    timed_pair,
)
from dangjian.core.dates import add_months
from dangjian.core.idnumber import make_id_number
from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.core.scope import PATH_MAX, Scope, path_range
from dangjian.members.birthdays import birthday_members, send_political_birthdays, send_time
from dangjian.members.choices import Category, Education, Gender, MemberStatus
from dangjian.members.importing import import_roster
from dangjian.members.models import Member, MemberEvent
from dangjian.members.selectors import MemberFilters, filter_members, for_list_page, list_row, member_by_id_number, members_visible_to
from dangjian.notifications.choices import MessageKind
from dangjian.notifications.models import Message
from dangjian.notifications.rules import political_birthday_month_days
from dangjian.notifications.services import dispatch_due
from dangjian.organisations.choices import OrgKind, Sector
from dangjian.organisations.models import Organisation

from .city import ROOT_CODE, STEPLEN, counts_match, make_city, member_encoder
from .people import Home, PersonMaker

SCALES: dict[str, tuple[int, int]] = {"small": (20_000, 1_000), "city": (1_000_000, 50_000)}
PAGE_SIZE = 50
JOB_TARGET_SECONDS = 60.0
IMPORT_ROWS: dict[str, int] = {"small": 2_000, "city": 100_000}


# --- the city -----------------------------------------------------------------------------------


def ensure_city(*, members: int, orgs: int, seed: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Reuse the city when the registry is exactly one of this size; build it in an empty registry."""
    if counts_match(members, orgs):
        log(f"reusing the synthetic city: {Organisation.objects.count()} organisations, {members} members")
        return {"city": "reused"}
    result = make_city(members=members, orgs=orgs, seed=seed, log=log)
    log(f"built the synthetic city in {result.seconds:.1f} s")
    return {"city": "built", "build_seconds": round(result.seconds, 1)}


def street_scope() -> tuple[Organisation, Scope]:
    """The first street of the city and a street administrator's scope over it."""
    street = Organisation.objects.filter(kind=OrgKind.STREET_WORKING_COMMITTEE, code__startswith=f"{ROOT_CODE}-").order_by("path").first()
    assert street is not None
    return street, Scope(user_id=None, roles={"org_admin": (street.path,)}, role_org_ids={"org_admin": (street.pk,)})


def birthday_day(start: date) -> date:
    """The first day from ``start`` on with members to greet (the job on a day without any measures nothing)."""
    for offset in range(366):
        day = start + timedelta(days=offset)
        if birthday_members(day).exists():
            return day
    raise BenchmarkInvariantBroken("no member has a political birthday in the coming year")


# --- PB1, PB2 (issue 4) ----------------------------------------------------------------------------


def pb1_political_birthdays_today(repeat: int, today: date) -> PathResult:
    """The job's selection (members.birthdays.birthday_members, as the job reads it: the ids) vs indexed SQL."""
    month_days = list(political_birthday_month_days(today))

    def ours() -> list[int]:
        return list(birthday_members(today).values_list("pk", flat=True))

    placeholders = ", ".join(["%s"] * len(month_days))
    query = f"SELECT id FROM members_member WHERE join_month_day IN ({placeholders}) AND join_date < %s ORDER BY id"

    def baseline() -> list[int]:
        return [row[0] for row in sql(query, [*month_days, date(today.year, 1, 1)])]

    ms, base_ms, selected, expected = timed_pair(ours, baseline, repeat)
    same("PB1", selected, expected)
    return PathResult("PB1", "political_birthdays_today", ms, base_ms, "≤ 2×", {"day": today.isoformat(), "members": len(selected)})


def _birthday_messages(day: date) -> Any:
    return Message.objects.filter(
        kind=MessageKind.POLITICAL_BIRTHDAY, dedup_key__startswith=f"{MessageKind.POLITICAL_BIRTHDAY}:{day.isoformat()}:"
    )


def pb2_political_birthday_daily_job(day: date) -> PathResult:
    """The whole daily job for ``day`` (a day still to come, so every send happens in the dispatch
    measured here, whatever the broker setting): send_political_birthdays, then dispatch_due with the
    console provider until nothing is due. Its messages are deleted before and after."""
    _birthday_messages(day).delete()
    console = logging.getLogger("dangjian.notifications.providers.console")
    level, console.level = console.level, logging.WARNING  # the provider still runs; its ~N/365 log lines stay out of the report
    try:
        return _run_job(day)
    finally:
        console.setLevel(level)
        _birthday_messages(day).delete()


def _run_job(day: date) -> PathResult:
    started = time.perf_counter()
    summary = send_political_birthdays(day=day)
    created = time.perf_counter()
    due_at = max(_birthday_messages(day).aggregate(last=Max("send_after"))["last"] or send_time(day), send_time(day))
    dispatched: dict[str, int] = {}
    while True:
        counts = dispatch_due(now=due_at + timedelta(seconds=1))
        for key, value in counts.items():
            dispatched[key] = dispatched.get(key, 0) + value
        if not counts.get("due"):
            break
    seconds = time.perf_counter() - started
    messages = _birthday_messages(day).count()
    sent = _birthday_messages(day).filter(status__in=("sent", "delivered")).count()
    if messages != summary["messages"]:
        raise BenchmarkInvariantBroken(f"PB2: the job reported {summary['messages']} messages, {messages} were written")
    return PathResult(
        "PB2",
        "political_birthday_daily_job",
        seconds * 1000,
        target=f"< {JOB_TARGET_SECONDS:.0f} s",
        extra={
            "day": day.isoformat(),
            "members": summary["members"],
            "messages": messages,
            "sent": sent,
            "skipped": messages - sent,
            "notify_s": round(created - started, 2),
            "dispatch_s": round(seconds - (created - started), 2),
            "messages_per_s": round(messages / seconds, 1) if seconds else 0,
        },
    )


# --- P1, P2 (issue 9) -----------------------------------------------------------------------------------


def p1_member_list_street(repeat: int) -> PathResult:
    """One page of a street administrator's member list as the page reads it: filter_members, the list
    page's columns as values (``for_list_page``), 50 rows made by ``list_row`` (ID number and phone masked)."""
    street, scope = street_scope()
    low, high = path_range(street.path)

    def page(size: int) -> list[tuple[int, dict[str, str]]]:
        # as the list page reads it: its columns as values, rows with ID number and phone masked (members/views.py)
        rows = [list_row(values) for values in for_list_page(filter_members(scope, MemberFilters()))[:size]]
        return [(row["pk"], {"id_number": row["id_number"], "phone": row["phone"]}) for row in rows]

    # the fields' own associated data ("members.Member.phone"), as the ORM decrypts them
    context = {f: Member._meta.get_field(f).crypto_context for f in ("id_number", "phone")}  # type: ignore[union-attr]
    query = (
        "SELECT m.id, m.id_number, m.phone, m.name, m.gender, m.birth_date, m.status, m.join_date, m.is_in_service, m.is_flowing, "
        "m.lost_contact_since, m.is_party_rep, m.is_part_time_committee, m.is_exempt, m.organisation_id, m.group_id, o.id, o.name, g.id, g.name "
        "FROM members_member m JOIN organisations_organisation o ON o.id = m.organisation_id "
        "LEFT JOIN organisations_organisation g ON g.id = m.group_id "
        "WHERE o.path >= %s AND o.path <= %s AND m.left_on IS NULL ORDER BY m.name, m.id LIMIT %s"
    )

    def plain(stored: str, name: str) -> str:
        return crypto.decrypt(stored, context=context[name]) if stored else stored

    def baseline() -> list[tuple[int, dict[str, str]]]:
        return [
            (row[0], {"id_number": mask_id_number(plain(row[1], "id_number")), "phone": mask_phone(plain(row[2], "phone"))})
            for row in sql(query, [low, high, PAGE_SIZE])
        ]

    ms, base_ms, rows, expected = timed_pair(lambda: page(PAGE_SIZE), baseline, repeat)
    same("P1", rows, expected)
    queries = {size: query_count(lambda size=size: page(size)) for size in (10, PAGE_SIZE)}
    return PathResult(
        "P1",
        "member_list_street",
        ms,
        base_ms,
        "≤ 1.5×",
        {"street": street.code, "rows": len(rows), "queries": queries[PAGE_SIZE], "queries_for_10_rows": queries[10]},
    )


def p2_subtree_counts(repeat: int) -> PathResult:
    """Current members of a street subtree: the selector's count vs hand-written path-range SQL."""
    street, scope = street_scope()
    low, high = path_range(street.path)

    def ours() -> int:
        return members_visible_to(scope).filter(left_on__isnull=True).count()

    query = (
        "SELECT count(*) FROM members_member m JOIN organisations_organisation o ON o.id = m.organisation_id "
        "WHERE o.path >= %s AND o.path <= %s AND m.left_on IS NULL"
    )

    def baseline() -> int:
        return sql(query, [low, high])[0][0]

    ms, base_ms, count, expected = timed_pair(ours, baseline, repeat)
    same("P2", [count], [expected])
    return PathResult("P2", "subtree_counts", ms, base_ms, "≤ 2×", {"street": street.code, "members": count})


# --- P3 (issue 9) ---------------------------------------------------------------------------------------

IMPORT_CODE = f"{ROOT_CODE}-BENCH-IMPORT"
IMPORT_REGION = "110105"  # not one of the city's regions (names.REGION_CODES): the roster's IDs are new
ROSTER_HEADER = (
    "序号",
    "姓名",
    "性别",
    "民族",
    "公民身份号码",
    "出生日期",
    "学历",
    "人员类别",
    "入党日期",
    "转正日期",
    "党员状态",
    "联系电话",
    "家庭住址",
)


def roster_people(rows: int, *, seed: int, today: date) -> list[dict[str, Any]]:
    """``rows`` new members (model field values) with ID numbers no city member has."""
    maker = PersonMaker(rng=random.Random(f"benchmark:{seed}:roster"), today=today)
    home = Home("和平街道", "和平长青社区", "长青小区", ("长青路", "长青东街", "和平长青巷"))
    seen: set[str] = set()
    people = []
    for n in range(rows):
        status = MemberStatus.PROBATIONARY if n % 20 == 0 else MemberStatus.FULL
        values = maker.person("community", home, status=status)
        odd = 1 if values["gender"] == "male" else 0
        sequence = (n * 2 + odd) % 1000
        while (number := make_id_number(IMPORT_REGION, values["birth_date"], sequence)) in seen:
            sequence = (sequence + 2) % 1000
        seen.add(number)
        values["id_number"] = number
        people.append(values)
    return people


def roster_csv(people: list[dict[str, Any]]) -> bytes:
    """The people as a roster file a secretary would upload (CSV, labels as the template writes them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ROSTER_HEADER)
    for n, p in enumerate(people, start=1):
        writer.writerow(
            (
                n,
                p["name"],
                Gender(p["gender"]).label,
                p["ethnicity"],
                p["id_number"],
                p["birth_date"].isoformat(),
                Education(p["education"]).label if p.get("education") else "",
                Category(p["category"]).label if p.get("category") else "",
                p["join_date"].isoformat(),
                p["full_date"].isoformat() if p.get("full_date") else "",
                MemberStatus(p["status"]).label,
                p["phone"],
                p["address"],
            )
        )
    return out.getvalue().encode("utf-8")


def _drop_import_branch() -> None:
    """Everything P3 wrote (a crashed earlier run included), except its append-only audit rows."""
    branch = Organisation.objects.filter(code=IMPORT_CODE).first()
    if branch is None:
        return
    # plain DELETEs: the ORM's collector would fetch 100,000 ids for the cascades first (nothing else
    # refers to these fresh members)
    _delete_members(branch)
    Organisation.objects.get(pk=branch.pk).delete()  # treebeard: the node, and the parent's numchild


def _delete_members(branch: Organisation) -> None:
    members, events = Member._meta.db_table, MemberEvent._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {events} WHERE member_id IN (SELECT id FROM {members} WHERE organisation_id = %s)", [branch.pk])
        if connection.vendor == "postgresql":
            # Deleting a member checks every table that refers to members (deferred foreign keys, at
            # COMMIT). Planned from stale statistics — a history table analysed while empty, now holding
            # 100,000 dead rows — each check is a sequential scan: 100,000 of them took over 15 minutes
            # where autovacuum is off. Fresh statistics make them index probes.
            for table in _tables_referring_to(Member):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        cursor.execute(f"DELETE FROM {members} WHERE organisation_id = %s", [branch.pk])


def _tables_referring_to(model: Any) -> list[str]:
    """The tables holding a foreign key to ``model`` (many-to-many: their through tables)."""
    tables = set()
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        tables.add(rel.through._meta.db_table if rel.many_to_many else rel.related_model._meta.db_table)
    return sorted(tables)


def _vacuum_members() -> None:
    """Leave the city as the next run finds it: the dead rows of two loads and their planner statistics."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"  # VACUUM cannot run in a transaction (tests)
    with connection.cursor() as cursor:
        for table in (Member._meta.db_table, MemberEvent._meta.db_table):
            cursor.execute(f"{command} {table}")


def _import_branch() -> tuple[Organisation, Organisation]:
    """A fresh branch under the city's first community, and that community's street."""
    _drop_import_branch()
    community = Organisation.objects.filter(kind=OrgKind.COMMUNITY_COMMITTEE, code__startswith=f"{ROOT_CODE}-").order_by("path").first()
    assert community is not None
    branch = Organisation.objects.add_child(
        community,
        create_kwargs={"code": IMPORT_CODE, "name": "基准测试名册导入党支部", "kind": OrgKind.GRID_BRANCH, "sector": Sector.COMMUNITY},
    )
    street = Organisation.objects.get(path=community.path[: 2 * STEPLEN])
    return branch, street


def _copy_rows(people: list[dict[str, Any]], branch: Organisation) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The rows the ORM would write for ``people`` in ``branch`` (encrypted, blind-indexed), without ``id``."""
    encode = member_encoder(connection)
    columns = [f.column for f in Member._meta.concrete_fields]
    at = columns.index("id")
    rows = [encode({**p, "organisation_id": branch.pk}) for p in people]
    return columns[:at] + columns[at + 1 :], [row[:at] + row[at + 1 :] for row in rows]


def _baseline_load(columns: list[str], rows: list[tuple[Any, ...]]) -> float:
    """Seconds to write ``rows``: psycopg COPY on PostgreSQL, executemany INSERT elsewhere."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = Member._meta.db_table
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)
    return time.perf_counter() - started


def _checkpoint() -> bool:
    """CHECKPOINT on PostgreSQL when the role may (superuser or pg_checkpoint); False otherwise."""
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        return False
    return True


def p3_roster_import(rows: int, *, seed: int, today: date) -> PathResult:
    """A roster of ``rows`` new members through members.importing.import_roster into a fresh branch,
    vs COPY (executemany off PostgreSQL) of the same rows already encrypted. Runs once; cleans up."""
    people = roster_people(rows, seed=seed, today=today)
    data = roster_csv(people)
    branch, street = _import_branch()
    try:
        columns, encoded = _copy_rows(people, branch)
        # each side starts right after a checkpoint: the first writer after one pays the full-page
        # images of every index page it touches, so without it the side that runs first is slower
        checkpoints = _checkpoint()
        copy_s = _baseline_load(columns, encoded)
        copied = Member.objects.filter(organisation=branch).count()
        _delete_members(branch)
        # the COPY's 100,000 deleted rows hold the same blind-index keys the import is about to insert:
        # left in the unique index, every insert would first visit a dead twin (the COPY met none)
        _vacuum_members()
        scope = Scope(user_id=None, roles={"org_admin": (street.path,)}, role_org_ids={"org_admin": (street.pk,)})
        limits = {"IMPORT_MAX_ROWS": max(settings.IMPORT_MAX_ROWS, rows), "IMPORT_MAX_BYTES": max(settings.IMPORT_MAX_BYTES, 2 * len(data))}
        with override_settings(**limits):
            _checkpoint()
            started = time.perf_counter()
            report = import_roster(
                actor=None, scope=scope, org=branch, data=data, filename="benchmark-roster.csv", dry_run=False, today=today
            )
            import_s = time.perf_counter() - started
        if report.errors:
            raise BenchmarkInvariantBroken(f"P3: the import refused the roster: {report.errors[:3]}")
        imported = Member.objects.filter(organisation=branch).count()
        if not (copied == imported == report.created == rows):
            raise BenchmarkInvariantBroken(f"P3: {rows} rows, COPY wrote {copied}, the import {imported} (created {report.created})")
        probe = people[rows // 2]["id_number"]
        found = member_by_id_number(probe)
        if found is None or found.organisation_id != branch.pk or found.name != people[rows // 2]["name"]:
            raise BenchmarkInvariantBroken("P3: the blind index does not find an imported ID number")
    finally:
        _drop_import_branch()
        _vacuum_members()
    return PathResult(
        "P3",
        "roster_import",
        import_s * 1000,
        copy_s * 1000,
        "≥ 30 % of COPY's rows/s; 100,000 rows < 60 s",
        {
            "rows": rows,
            "import_rows_per_s": round(rows / import_s),
            "copy_rows_per_s": round(rows / copy_s),
            "speed_vs_copy": f"{copy_s / import_s:.0%}",
            "csv_mb": round(len(data) / 1e6, 1),
            "checkpoints": checkpoints,
        },
        baseline="copy" if connection.vendor == "postgresql" else "executemany",
    )


# --- P7 (issue 9) ---------------------------------------------------------------------------------------

API_PATH = f"/api/v1/members?limit={PAGE_SIZE}"
# the baseline: a bare Django JSON view answering the same page by hand-written SQL (demo/bench_views.py)
BARE_PATH = f"/api/bench-bare/members?limit={PAGE_SIZE}"
HEALTHZ_PATH = "/healthz"  # no database, no authentication: the ceiling of the HTTP stack, reported beside
BENCH_SETTINGS = "dangjian.demo.bench_settings"
BENCH_USERNAME = "benchmark-street-admin"


def _street_admin_token(street: Organisation) -> tuple[Any, Any, str]:
    """The benchmark's street administrator (kept between runs: audit rows refer to it) and a new token."""
    user, _created = User.objects.get_or_create(username=BENCH_USERNAME, defaults={"display_name": "基准测试街道管理员"})
    RoleGrant.objects.get_or_create(user=user, role=Role.ORG_ADMIN, organisation=street)
    token, key = issue_api_token(user=user, name="基准测试 P7")
    return user, token, key


def _page(port: int, path: str, headers: dict[str, str]) -> dict[str, Any]:
    status, body = http_get(http.client.HTTPConnection("127.0.0.1", port, timeout=30), path, headers)
    page = json.loads(body) if status == 200 else {}
    if len(page.get("items", [])) != PAGE_SIZE:
        raise BenchmarkInvariantBroken(f"P7: GET {path} answered {status} with {len(page.get('items', []))} rows, not {PAGE_SIZE}")
    return page


def p7_api_list_throughput(*, clients: int, seconds: float) -> PathResult | str:
    """GET /api/v1/members?limit=50 as a street administrator (token) under ``clients`` concurrent
    clients, gunicorn with 2 workers, vs a bare Django view giving the same JSON by hand-written SQL,
    served the same way (and /healthz beside, as the stack's ceiling). A note when gunicorn cannot start."""
    street, _scope = street_scope()
    user, token, key = _street_admin_token(street)
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with gunicorn(workers=2, settings_module=BENCH_SETTINGS) as port:
            same("P7", [_page(port, API_PATH, headers)], [_page(port, BARE_PATH, headers)])
            api = load(port, API_PATH, headers, clients=clients, seconds=seconds)
            bare = load(port, BARE_PATH, headers, clients=clients, seconds=seconds)
            ceiling = load(port, HEALTHZ_PATH, {}, clients=clients, seconds=seconds)
    except ServerDidNotStart as exc:
        return f"P7 api_list_throughput: skipped — {exc}"
    finally:
        revoke_api_token(actor=user, token_id=token.pk)
        RoleGrant.objects.filter(user=user).delete()
    return PathResult(
        "P7",
        "api_list_throughput",
        1000 / api["per_s"],
        1000 / bare["per_s"],
        "≥ 40 % of the bare view's requests/s",
        {
            "api_rps": round(api["per_s"], 1),
            "bare_rps": round(bare["per_s"], 1),
            "share_of_bare": f"{api['per_s'] / bare['per_s']:.0%}",
            "healthz_rps": round(ceiling["per_s"], 1),
            "share_of_healthz": f"{api['per_s'] / ceiling['per_s']:.0%}",
            "clients": clients,
            "seconds_each": seconds,
            "workers": 2,
        },
        baseline="bare view",
    )


# --- P8 (issue 9 point 4) ----------------------------------------------------------------------------------

TREE_USERNAME = "benchmark-district-admin"
TREE_TARGET_KB = 300
# one organisation as the tree page shows it: its page link, its rolled-up member total, and (when
# any) how many organisations below it have findings
TREE_NODE = re.compile(r'<a class="node-name" href="/orgs/(\d+)/">.*?(?:党员 (\d+) 名|共 (\d+) 名党员)', re.S)
TREE_FLAGGED = re.compile(r"下级 (\d+) 个组织有提示")
# The baseline returns what the page shows per node, written by hand from the rules (not from the
# platform's rollup SQL): members held anywhere in the subtree, and how many organisations below the
# node have a finding of ORG-001/004/005/009/010/014 (the page's "下级 N 个组织有提示"). The two
# formulations must agree row for row, so the run also cross-checks the rollup against the rules.
TREE_BASELINE = """
    WITH m AS (
        SELECT organisation_id AS oid, COUNT(*) AS n, COUNT(*) FILTER (WHERE status = 'full') AS f
        FROM members_member GROUP BY organisation_id
    ), s AS (
        SELECT organisation_id AS oid, COUNT(*) AS n, COUNT(*) FILTER (WHERE post = 'secretary') AS sec
        FROM organisations_committeeseat WHERE ended_on IS NULL GROUP BY organisation_id
    ), u AS (
        SELECT party_organisation_id AS oid, COUNT(*) AS n FROM organisations_unit GROUP BY party_organisation_id
    ), lv AS (
        SELECT o.id, SUBSTR(o.path, 1, %s) AS prefix, COALESCE(m.n, 0) AS n, CASE WHEN
               (o.kind IN ({holding}) AND (COALESCE(m.f, 0) < %s OR COALESCE(m.n, 0) > %s OR (COALESCE(m.f, 0) >= %s AND COALESCE(s.n, 0) < 3)))
            OR (o.kind NOT IN ({groups}) AND COALESCE(s.sec, 0) = 0)
            OR (o.kind = %s AND COALESCE(u.n, 0) > %s)
            OR (o.kind IN ({termed}) AND o.term_ends_on <= %s)
        THEN 1 ELSE 0 END AS flagged
        FROM organisations_organisation o
        LEFT JOIN m ON m.oid = o.id LEFT JOIN s ON s.oid = o.id LEFT JOIN u ON u.oid = o.id
        WHERE o.dissolved_on IS NULL AND o.path >= %s AND o.path <= %s
    ), t AS (
        SELECT prefix, SUM(n) AS n, SUM(flagged) AS flagged FROM lv GROUP BY prefix
    )
    SELECT sh.id, COALESCE(SUM(t.n), 0), COALESCE(SUM(t.flagged), 0) - MAX(own.flagged)
    FROM organisations_organisation sh
    JOIN lv own ON own.id = sh.id
    LEFT JOIN t ON t.prefix >= sh.path AND t.prefix <= sh.path || %s
    WHERE sh.dissolved_on IS NULL AND sh.path >= %s AND sh.path <= %s AND sh.depth <= %s
    GROUP BY sh.id, sh.path ORDER BY sh.path
"""
# the members-only form of the baseline (the first P8 baseline), reported beside for comparison
TREE_TOTALS_ONLY = """
    WITH t AS (
        SELECT SUBSTR(o.path, 1, %s) AS prefix, SUM(c.n) AS n
        FROM (SELECT organisation_id, COUNT(*) AS n FROM members_member GROUP BY organisation_id) c
        JOIN organisations_organisation o ON o.id = c.organisation_id
        WHERE o.dissolved_on IS NULL AND o.path >= %s AND o.path <= %s
        GROUP BY 1
    )
    SELECT s.id, COALESCE(SUM(t.n), 0)
    FROM organisations_organisation s LEFT JOIN t ON t.prefix >= s.path AND t.prefix <= s.path || %s
    WHERE s.dissolved_on IS NULL AND s.path >= %s AND s.path <= %s AND s.depth <= %s
    GROUP BY s.id, s.path ORDER BY s.path
"""


def tree_baseline(depth: int, low: str, high: str, today: date) -> tuple[str, list[Any]]:
    """TREE_BASELINE with the rules' kinds written in (code constants) and its parameters."""
    from dangjian.organisations import rules as org_rules
    from dangjian.organisations.choices import GROUP_KINDS, MEMBER_HOLDING_KINDS

    def literal(kinds: Any) -> str:
        return ", ".join(f"'{k}'" for k in sorted(str(k) for k in kinds))

    termed = [k.value for k in OrgKind if org_rules.term_years(k.value, Sector.COMMUNITY.value) is not None]
    query = TREE_BASELINE.replace("{holding}", literal(k.value for k in MEMBER_HOLDING_KINDS))
    query = query.replace("{groups}", literal(k.value for k in GROUP_KINDS)).replace("{termed}", literal(termed))
    params = [
        depth * STEPLEN,
        org_rules.BRANCH_MIN_FULL_MEMBERS,
        org_rules.BRANCH_MAX_MEMBERS,
        org_rules.COMMITTEE_THRESHOLD,
        OrgKind.JOINT_BRANCH.value,
        org_rules.JOINT_BRANCH_MAX_UNITS,
        add_months(today, org_rules.TERM_REMIND_MONTHS),
        low,
        high,
        PATH_MAX,
        low,
        high,
        depth,
    ]
    return query, params


def _median_ms(func: Any, repeat: int) -> float:
    runs = []
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        func()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def tree_page_rows(html: str) -> list[tuple[int, int, int]]:
    """(organisation id, rolled-up member total, organisations with findings below) of every node on the
    tree page, in page (path) order."""
    rows = []
    for chunk in html.split('<a class="node-name"')[1:]:
        node = TREE_NODE.match('<a class="node-name"' + chunk)
        if node is None:
            continue
        pk, branch, other = node.groups()
        label = chunk.split("</summary>", 1)[0].split("</div>", 1)[0]  # this node's label only
        flagged = TREE_FLAGGED.search(label)
        rows.append((int(pk), int(branch or other), int(flagged.group(1)) if flagged else 0))
    return rows


def p8_org_tree_district(repeat: int) -> PathResult:
    """The district administrator's tree page (GET /orgs/ through the test client: middleware, session,
    scope, queries, template) vs hand-written SQL returning the same shown organisations with their
    rolled-up member totals (members counted per organisation, then summed by path prefix)."""
    root = Organisation.objects.get(code=ROOT_CODE)
    user, _created = User.objects.get_or_create(username=TREE_USERNAME, defaults={"display_name": "基准测试区委管理员"})
    RoleGrant.objects.get_or_create(user=user, role=Role.DISTRICT_ADMIN, organisation=root)
    client = Client()
    url = reverse("organisations:tree")
    low, high = path_range(root.path)
    try:
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            client.force_login(user)

            def ours() -> bytes:
                response = client.get(url, secure=True)
                if response.status_code != 200:
                    raise BenchmarkInvariantBroken(f"P8: GET {url} answered {response.status_code}")
                return response.content

            html = ours().decode()
            shown = tree_page_rows(html)
            depth = max(o.depth for o in Organisation.objects.filter(pk__in=[pk for pk, _, _ in shown]))
            query, params = tree_baseline(depth, low, high, timezone.localdate())

            def baseline() -> list[tuple[int, int, int]]:
                return [(pk, int(total), int(flagged)) for pk, total, flagged in sql(query, params)]

            ms, base_ms, page, expected = timed_pair(ours, baseline, repeat)
            same("P8", tree_page_rows(page.decode()), expected)
            queries = query_count(ours)
            totals_params = [depth * STEPLEN, low, high, PATH_MAX, low, high, depth]
            totals_only_ms = _median_ms(lambda: sql(TREE_TOTALS_ONLY, totals_params), repeat)
    finally:
        RoleGrant.objects.filter(user=user).delete()
    return PathResult(
        "P8",
        "org_tree_district",
        ms,
        base_ms,
        f"≤ 2×, page < {TREE_TARGET_KB} KB",
        {
            "kb": round(len(page) / 1024, 1),
            "queries": queries,
            "shown": len(shown),
            "shown_depth": depth,
            "orgs": Organisation.objects.filter(dissolved_on__isnull=True).count(),
            "members": sum(total for pk, total, _ in shown if pk == root.pk),
            "flagged_below_root": sum(flagged for pk, _, flagged in shown if pk == root.pk),
            "totals_only_sql_ms": round(totals_only_ms, 1),
        },
    )


# --- the run ----------------------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    info: dict[str, Any] = {"database": connection.vendor, "cpus": os.cpu_count()}
    if connection.vendor == "postgresql":
        info["server_version"] = sql("SHOW server_version", [])[0][0]
    return info


WORKFLOW_APPS = ("meetings", "venues", "transfers", "recruitment")


def app_bench_modules() -> list[Any]:
    """The ``bench`` module of each workflow app that has one: ``measure(*, repeat, today, log) -> list[PathResult | str]``."""
    modules = []
    for app in WORKFLOW_APPS:
        name = f"dangjian.{app}.bench"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


def _as_list(result: Any) -> list[Any]:
    return list(result) if isinstance(result, list | tuple) else [result]


def run(
    *,
    scale: str,
    members: int,
    orgs: int,
    seed: int,
    repeat: int,
    import_rows: int,
    api_clients: int,
    api_seconds: float,
    skip_api: bool,
    log: Callable[[str], None],
    emit: Callable[[PathResult], None],
) -> dict[str, Any]:
    """Build or reuse the city, then measure every path; emit each result as soon as it is known."""
    report: dict[str, Any] = {"scale": scale, "members": members, "orgs": orgs, "seed": seed, "repeat": repeat, **environment()}
    report.update(ensure_city(members=members, orgs=orgs, seed=seed, log=log))
    today = timezone.localdate()
    paths: list[PathResult] = []
    skipped: list[str] = []
    for measure in (
        lambda: pb1_political_birthdays_today(repeat, today),
        lambda: pb2_political_birthday_daily_job(birthday_day(today + timedelta(days=1))),
        lambda: p1_member_list_street(repeat),
        lambda: p2_subtree_counts(repeat),
        lambda: p3_roster_import(import_rows, seed=seed, today=today),
        lambda: (
            "P7 api_list_throughput: skipped (--skip-api)" if skip_api else p7_api_list_throughput(clients=api_clients, seconds=api_seconds)
        ),
        lambda: p8_org_tree_district(repeat),
        *(lambda module=module: module.measure(repeat=repeat, today=today, log=log) for module in app_bench_modules()),
    ):
        for result in _as_list(measure()):
            if isinstance(result, str):
                skipped.append(result)
                log(result)
                continue
            paths.append(result)
            emit(result)
    report["paths"] = [p.as_json() for p in paths]
    report["skipped"] = skipped
    return report
