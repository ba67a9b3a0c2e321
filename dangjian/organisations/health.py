"""Health checks of organisations against the ORG rules; each finding names its rule and reason."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q

from dangjian.core.dates import add_months
from dangjian.core.rules import Finding
from dangjian.core.scope import path_range

from . import rules
from .choices import GROUP_KINDS, MEMBER_HOLDING_KINDS, TWO_NEW_SECTORS, OrgKind
from .models import Organisation, Unit
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
