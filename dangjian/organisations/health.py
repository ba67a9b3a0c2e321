"""Health checks of organisations against the ORG rules; each finding names its rule and reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Count, Q

from dangjian.core.dates import add_months
from dangjian.core.rules import Finding, Rule, Severity
from dangjian.core.scope import path_range

from . import rules
from .choices import GROUP_KINDS, MEMBER_HOLDING_KINDS, TWO_NEW_SECTORS, CommitteePost, OrgKind, Sector
from .models import CommitteeSeat, Organisation, Unit
from .selectors import current_seats, direct_member_counts, secretary_of


def health_findings(org: Organisation, *, on: date | None = None) -> list[Finding]:
    """All findings for one organisation (its own state plus 应建必建 of units in its area)."""
    return health_for_many([org], on=on, include_units=True)[org.pk]


def health_for_many(orgs: list[Organisation], *, on: date | None = None, include_units: bool = False) -> dict[int, list[Finding]]:
    """Findings for many organisations in a constant number of queries."""
    on = on or date.today()
    ids = [o.pk for o in orgs]
    counts = direct_member_counts([o.pk for o in orgs if o.kind in MEMBER_HOLDING_KINDS])
    seats = current_seats(ids)
    joint_units = _unit_counts([o.pk for o in orgs if o.kind == OrgKind.JOINT_BRANCH])
    result: dict[int, list[Finding]] = {}
    for org in orgs:
        findings: list[Finding] = []
        if org.is_dissolved:
            result[org.pk] = findings
            continue
        total, full = counts.get(org.pk, (0, 0))
        org_seats = seats.get(org.pk, [])
        if org.kind in MEMBER_HOLDING_KINDS:
            if full < rules.BRANCH_MIN_FULL_MEMBERS:
                findings.append(rules.ORG_001.finding(full=full))
            if total > rules.BRANCH_MAX_MEMBERS:
                findings.append(rules.ORG_005.finding(total=total))
            if full >= rules.COMMITTEE_THRESHOLD and len(org_seats) < 3:
                findings.append(rules.ORG_009.finding(full=full, seats=len(org_seats)))
        if org.kind not in GROUP_KINDS and secretary_of(org_seats) is None:
            findings.append(rules.ORG_010.finding())
        if org.kind == OrgKind.JOINT_BRANCH and joint_units.get(org.pk, 0) > rules.JOINT_BRANCH_MAX_UNITS:
            findings.append(rules.ORG_004.finding(units=joint_units[org.pk]))
        findings.extend(term_findings(org, on=on))
        result[org.pk] = findings
    if include_units:
        for org in orgs:
            if not org.is_dissolved:
                result[org.pk].extend(must_establish_findings(org))
    return result


def term_findings(org: Organisation, *, on: date) -> list[Finding]:
    """ORG-014: remind within 6 months of term end; flag when overdue."""
    end = org.term_ends_on
    if end is None or rules.term_years(org.kind, org.sector) is None:
        return []
    if end < on:
        return [rules.ORG_014_OVERDUE.finding(end=end, days=(on - end).days)]
    if end <= add_months(on, rules.TERM_REMIND_MONTHS):
        return [rules.ORG_014.finding(end=end)]
    return []


def _unit_counts(org_ids: list[int]) -> dict[int, int]:
    if not org_ids:
        return {}
    rows = Unit.objects.filter(party_organisation_id__in=org_ids).values("party_organisation_id").annotate(n=Count("id"))
    return {r["party_organisation_id"]: r["n"] for r in rows}


def must_establish_findings(org: Organisation) -> list[Finding]:
    """ORG-002: 两新 units in this organisation's area with ≥3 full members and no (live) party organisation."""
    units = (
        Unit.objects.filter(
            Q(party_organisation__isnull=True) | Q(party_organisation__dissolved_on__isnull=False),
            area_organisation__path__range=path_range(org.path),
            sector__in=[s.value for s in TWO_NEW_SECTORS],
        )
        .annotate(total=Count("members"), full=Count("members", filter=Q(members__status="full")))
        .filter(full__gte=rules.BRANCH_MIN_FULL_MEMBERS)
        .order_by("name")
    )
    return [rules.ORG_002.finding(unit=u.name, full=u.full, total=u.total) for u in units]


# --- the tree's rollup: the same checks in SQL, aggregated by path prefix -------------------------------

FULL = "full"  # members.choices.MemberStatus.FULL (members sit above organisations: no import)
RED_SEVERITIES = frozenset({Severity.BLOCK.value, Severity.FLAG.value})
LEVELS = ("green", "amber", "red")
# the checks the SQL rollup covers; ORG-002 (应建必建 of units in an area) is only on the organisation's page
ROLLUP_RULES = ("ORG-001", "ORG-004", "ORG-005", "ORG-009", "ORG-010", "ORG-014")


def level_of(findings: list[Finding]) -> str:
    """red when a finding blocks or flags, amber for warnings and reminders, green without findings."""
    if any(f.severity in RED_SEVERITIES for f in findings):
        return "red"
    return "amber" if findings else "green"


def worse(a: str, b: str) -> str:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


@dataclass
class Rollup:
    """What a path prefix holds: members of every live organisation under it, and the organisations
    deeper than the page shows (``orgs``), how many of them have findings and the worst level."""

    members: int = 0
    full: int = 0
    orgs: int = 0
    flagged: int = 0
    worst: str = "green"


def _in(values: list[str]) -> tuple[str, list[str]]:
    return ", ".join(["%s"] * len(values)), values


def _checks(on: date) -> list[tuple[str, list[Any], Rule]]:
    """health_for_many's checks as SQL conditions over the columns of ``f`` below, each with its rule."""
    holding, holding_params = _in(sorted(k.value for k in MEMBER_HOLDING_KINDS))
    groups, group_params = _in(sorted(k.value for k in GROUP_KINDS))
    untermed = sorted(k.value for k in OrgKind if rules.term_years(k.value, Sector.COMMUNITY.value) is None)
    no_term, no_term_params = _in(untermed)
    today = connection.ops.adapt_datefield_value(on)
    remind_until = connection.ops.adapt_datefield_value(add_months(on, rules.TERM_REMIND_MONTHS))
    termed = f"kind NOT IN ({no_term}) AND term_ends_on IS NOT NULL"
    return [
        (f"kind IN ({holding}) AND full_n < %s", [*holding_params, rules.BRANCH_MIN_FULL_MEMBERS], rules.ORG_001),
        (f"kind IN ({holding}) AND total > %s", [*holding_params, rules.BRANCH_MAX_MEMBERS], rules.ORG_005),
        (f"kind IN ({holding}) AND full_n >= %s AND seats < 3", [*holding_params, rules.COMMITTEE_THRESHOLD], rules.ORG_009),
        (f"kind NOT IN ({groups}) AND secretaries = 0", group_params, rules.ORG_010),
        ("kind = %s AND units > %s", [OrgKind.JOINT_BRANCH.value, rules.JOINT_BRANCH_MAX_UNITS], rules.ORG_004),
        (f"{termed} AND term_ends_on < %s", [*no_term_params, today], rules.ORG_014_OVERDUE),
        (f"{termed} AND term_ends_on >= %s AND term_ends_on <= %s", [*no_term_params, today, remind_until], rules.ORG_014),
    ]


def _level_sql(on: date) -> tuple[str, list[Any]]:
    """CASE … THEN 2 (red) … THEN 1 (amber) ELSE 0, from the checks and their rules' severities."""
    red: list[str] = []
    amber: list[str] = []
    red_params: list[Any] = []
    amber_params: list[Any] = []
    for condition, params, rule in _checks(on):
        if rule.severity.value in RED_SEVERITIES:
            red.append(f"({condition})")
            red_params.extend(params)
        else:
            amber.append(f"({condition})")
            amber_params.extend(params)
    return (
        f"CASE WHEN {' OR '.join(red)} THEN 2 WHEN {' OR '.join(amber)} THEN 1 ELSE 0 END",
        [*red_params, *amber_params],
    )


def rollup_by_prefix(spans: list[tuple[str, int]], *, on: date | None = None) -> dict[str, Rollup]:
    """One query over the subtrees of ``spans`` = [(root path, shown path length)]: every live
    organisation is grouped by the first ``shown length`` characters of its path; per group the members
    held (all and full), and for the organisations whose path is longer (those the page does not show)
    their number, how many of them have findings (the checks of ``health_for_many``, as SQL) and the
    worst level. The roots' subtrees must not overlap (``Scope.subtree_paths`` are outermost)."""
    if not spans:
        return {}
    on = on or date.today()
    spans_sql = " OR ".join("({alias}.path >= %s AND {alias}.path <= %s)" for _ in spans)
    spans_params = [bound for root, _ in spans for bound in path_range(root)]

    def live(alias: str) -> str:
        return f"{alias}.dissolved_on IS NULL AND ({spans_sql.format(alias=alias)})"

    lengths = {length for _, length in spans}
    if len(lengths) == 1:
        size_sql, size_params = "%s", [lengths.pop()]
    else:
        size_sql = "CASE " + " ".join("WHEN o.path >= %s AND o.path <= %s THEN %s" for _ in spans) + " END"
        size_params = [value for root, length in spans for value in (*path_range(root), length)]
    level_sql, level_params = _level_sql(on)
    member_model = apps.get_model("members", "Member")
    orgs, members = Organisation._meta.db_table, member_model._meta.db_table
    seats, units = CommitteeSeat._meta.db_table, Unit._meta.db_table
    # Each grouped subquery joins the organisations itself (not a shared CTE): the planner then
    # estimates from the tables' statistics and, for a street, reads only that street's members. For
    # whole trees the members are counted per organisation without the join (the outer query keeps
    # the live ones); with an index on members (organisation_id, status) that is one index-only scan.
    whole = all(len(root) == Organisation.steplen for root, _ in spans)
    members_scope = "" if whole else f"JOIN {orgs} xo ON xo.id = x.organisation_id WHERE {live('xo')}"
    query = f"""
        SELECT prefix, SUM(total), SUM(full_n), SUM(hidden),
               SUM(CASE WHEN hidden = 1 AND level > 0 THEN 1 ELSE 0 END), MAX(CASE WHEN hidden = 1 THEN level ELSE 0 END)
        FROM (
            SELECT prefix, hidden, total, full_n, {level_sql} AS level
            FROM (
                SELECT SUBSTR(o.path, 1, {size_sql}) AS prefix,
                       CASE WHEN LENGTH(o.path) > {size_sql} THEN 1 ELSE 0 END AS hidden,
                       o.kind AS kind, o.term_ends_on AS term_ends_on,
                       COALESCE(m.n, 0) AS total, COALESCE(m.full_n, 0) AS full_n,
                       COALESCE(s.seats, 0) AS seats, COALESCE(s.secretaries, 0) AS secretaries, COALESCE(u.n, 0) AS units
                FROM {orgs} o
                LEFT JOIN (
                    SELECT x.organisation_id AS oid, COUNT(*) AS n, SUM(CASE WHEN x.status = %s THEN 1 ELSE 0 END) AS full_n
                    FROM {members} x {members_scope} GROUP BY x.organisation_id
                ) m ON m.oid = o.id
                LEFT JOIN (
                    SELECT x.organisation_id AS oid, COUNT(*) AS seats, SUM(CASE WHEN x.post = %s THEN 1 ELSE 0 END) AS secretaries
                    FROM {seats} x JOIN {orgs} xo ON xo.id = x.organisation_id
                    WHERE x.ended_on IS NULL AND {live("xo")} GROUP BY x.organisation_id
                ) s ON s.oid = o.id
                LEFT JOIN (
                    SELECT x.party_organisation_id AS oid, COUNT(*) AS n FROM {units} x JOIN {orgs} xo ON xo.id = x.party_organisation_id
                    WHERE xo.kind = %s AND {live("xo")} GROUP BY x.party_organisation_id
                ) u ON u.oid = o.id
                WHERE {live("o")}
            ) f
        ) l
        GROUP BY prefix
    """
    params = [
        *level_params,
        *size_params,
        *size_params,
        FULL,
        *([] if whole else spans_params),
        CommitteePost.SECRETARY.value,
        *spans_params,
        OrgKind.JOINT_BRANCH.value,
        *spans_params,
        *spans_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    return {
        prefix: Rollup(members=int(total), full=int(full), orgs=int(hidden), flagged=int(flagged), worst=LEVELS[int(worst)])
        for prefix, total, full, hidden, flagged, worst in rows
    }
