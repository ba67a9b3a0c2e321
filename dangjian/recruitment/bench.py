"""Benchmark paths of the development pipeline (run by ``python manage.py benchmark`` after the city).

The city has no development records, so ``measure`` first adds synthetic people (bulk_create, a few
per branch, every open stage, due dates around today; idempotent: marked by their work unit) and says
so in each path's extra.

- R1 development_pipeline_street: the pipeline figures of a street (``selectors.pipeline_summary``:
  people per stage, overdue, due soon, the year's figures) vs one hand-written GROUP BY over the
  same path range returning the same figures.
- R2 development_deadlines_today: the daily job's selection (``jobs.due_candidates``: the person, the
  step, the date, the branch's path and name) vs one hand-written join returning the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction

from dangjian.core.benchkit import PathResult, same, sql, timed_pair
from dangjian.core.dates import add_months
from dangjian.core.idnumber import make_id_number
from dangjian.core.scope import Scope, path_range
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS, OrgKind
from dangjian.organisations.models import Organisation

from . import jobs, rules, selectors
from .choices import OPEN_STAGES, Decision
from .models import Candidate, DevelopmentStep

Figures = tuple[list[tuple[str, int]], int, int, list[int]]

MARK = "基准测试生成"
PER_BRANCH = 2
MAX_BRANCHES = 2000


def ensure_candidates(today: date) -> int:
    """Synthetic people in the city's branches (once); returns how many were created now."""
    if Candidate.objects.filter(work_unit=MARK).exists():
        return 0
    branches = list(
        Organisation.objects.filter(kind__in=[k.value for k in MEMBER_HOLDING_KINDS], dissolved_on__isnull=True).order_by("path")[
            :MAX_BRANCHES
        ]
    )
    people: list[Candidate] = []
    stages = list(OPEN_STAGES)
    next_steps = {"applicant": 2, "activist": 7, "target": 15, "probationary": 22}
    for index, branch in enumerate(branches):
        for k in range(PER_BRANCH):
            n = index * PER_BRANCH + k
            born = date(1980 + n % 25, 1 + n % 12, 1 + n % 28)
            stage = stages[n % len(stages)]
            people.append(
                Candidate(
                    name=f"测试{n}",
                    gender="male" if n % 2 else "female",
                    id_number=make_id_number("110199", born, n % 1000),
                    birth_date=born,
                    work_unit=MARK,
                    organisation=branch,
                    stage=stage,
                    next_step=next_steps[stage],
                    next_due=today + timedelta(days=(n % 121) - 60),
                )
            )
    # the same birth date and sequence can repeat after 25×12×28 people: keep the first of each number
    seen: set[str] = set()
    unique = [p for p in people if not (p.id_number in seen or seen.add(p.id_number))]  # type: ignore[func-returns-value]
    with transaction.atomic():
        created = Candidate.objects.bulk_create(unique, batch_size=1000)
        DevelopmentStep.objects.bulk_create(
            [
                DevelopmentStep(candidate=c, number=1, on=add_months(today, -(i % 30) - 1), rule_version="2014")
                for i, c in enumerate(created)
            ],
            batch_size=2000,
        )
    if connection.vendor == "postgresql":
        # a bulk load leaves the planner without statistics (STACK.md §4): the page and the job read them
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE recruitment_candidate, recruitment_developmentstep")
    return len(created)


def _street() -> tuple[Organisation, Scope]:
    street = Organisation.objects.filter(kind=OrgKind.STREET_WORKING_COMMITTEE).order_by("path").first()
    assert street is not None, "the city has no street"
    return street, Scope(user_id=None, roles={"org_admin": (street.path,)}, role_org_ids={"org_admin": (street.pk,)})


def r1_pipeline_street(repeat: int, today: date, generated: int) -> PathResult:
    street, scope = _street()
    low, high = path_range(street.path)
    year = today.year
    soon_until = today + timedelta(days=rules.DUE_SOON_DAYS)
    open_stages = {str(s) for s in OPEN_STAGES}

    def ours() -> Figures:
        summary = selectors.pipeline_summary(scope, today=today)
        stages = sorted((str(stage.value), n) for stage, n in summary["stages"] if n)
        return stages, summary["overdue"], summary["soon"], [n for _, n in summary["annual"]]

    # the same figures as the page, hand-written: one pass over the street's people, each figure of the
    # year a count of the people having such a step (the baseline once counted the stages only)
    figure = (
        "count(*) FILTER (WHERE c.id IN (SELECT s.candidate_id FROM recruitment_developmentstep s "
        'WHERE s.number = %s AND s."on" >= %s AND s."on" <= %s AND s.decision <> %s))'
    )
    query = (
        "SELECT c.stage, count(*), count(*) FILTER (WHERE c.next_due < %s), "
        "count(*) FILTER (WHERE c.next_due >= %s AND c.next_due <= %s), "
        + ", ".join([figure] * len(selectors.ANNUAL_STEPS))
        + " FROM recruitment_candidate c JOIN organisations_organisation o ON o.id = c.organisation_id "
        "WHERE o.path >= %s AND o.path <= %s GROUP BY c.stage"
    )
    params: list[Any] = [today, today, soon_until]
    for number in selectors.ANNUAL_STEPS:
        params += [number, date(year, 1, 1), date(year, 12, 31), str(Decision.REFUSED)]
    params += [low, high]

    def baseline() -> Figures:
        rows = sql(query, params)
        stages = sorted((row[0], row[1]) for row in rows)
        overdue = sum(row[2] for row in rows if row[0] in open_stages)
        soon = sum(row[3] for row in rows if row[0] in open_stages)
        return stages, overdue, soon, [sum(row[4 + i] for row in rows) for i in range(len(selectors.ANNUAL_STEPS))]

    ms, base_ms, result, expected = timed_pair(ours, baseline, repeat)
    same("R1", [result], [expected])
    return PathResult(
        "R1",
        "development_pipeline_street",
        ms,
        base_ms,
        "≤ 3× (both count the stages, overdue, due soon and the year's figures)",
        {"street": street.code, "people": sum(n for _, n in result[0]), "generated_now": generated},
    )


def r2_deadlines_today(repeat: int, today: date) -> PathResult:
    def ours() -> list[jobs.Due]:
        return jobs.due_candidates(today)

    # what each reminder needs (name, step, date, branch path and name), as the job reads it; the
    # baseline once read the ids only
    query = (
        "SELECT c.id, c.name, c.next_step, c.next_due, o.path, o.name FROM recruitment_candidate c "
        "JOIN organisations_organisation o ON o.id = c.organisation_id "
        "WHERE c.stage IN (%s, %s, %s, %s) AND c.next_due IS NOT NULL AND c.next_due <= %s ORDER BY c.next_due, c.id"
    )

    def baseline() -> list[tuple[Any, ...]]:
        return sql(query, [*[str(s) for s in OPEN_STAGES], today + timedelta(days=jobs.WARN_DAYS)])

    ms, base_ms, result, expected = timed_pair(ours, baseline, repeat)
    same("R2", [tuple(d) for d in result], expected)
    return PathResult("R2", "development_deadlines_today", ms, base_ms, "≤ 3×", {"due_or_overdue": len(result)})


def measure(*, repeat: int, today: date, log: Callable[[str], Any]) -> list[PathResult | str]:
    generated = ensure_candidates(today)
    if generated:
        log(f"recruitment: generated {generated} synthetic development records for R1/R2")
    return [r1_pipeline_street(repeat, today, generated), r2_deadlines_today(repeat, today)]
