"""The pipeline's counts (stages, overdue, due soon, the year's figures) and the daily job's selection."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dangjian.recruitment import jobs, selectors
from dangjian.recruitment.choices import Stage
from dangjian.recruitment.models import Candidate, DevelopmentStep
from dangjian.recruitment.tests.factories import new_id, scope_of

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


def person(name: str, org: Any, stage: Stage, next_due: date | None, steps: list[tuple[int, date, str]] | None = None) -> Candidate:
    candidate = Candidate.objects.create(
        name=name,
        gender="female",
        id_number=new_id(),
        birth_date=date(1995, 6, 15),
        organisation=org,
        stage=stage,
        next_step=5 if next_due else None,
        next_due=next_due,
    )
    for number, on, decision in steps or []:
        DevelopmentStep.objects.create(candidate=candidate, number=number, on=on, decision=decision, rule_version="2014")
    return candidate


@pytest.fixture
def pipeline(world):
    person(
        "甲",
        world.branch_a1_1,
        Stage.APPLICANT,
        date(2026, 5, 20),  # overdue
        [(1, date(2026, 2, 1), "agreed"), (3, date(2026, 3, 1), "agreed")],
    )
    person(
        "乙",
        world.branch_a1_2,
        Stage.ACTIVIST,
        date(2026, 6, 10),  # due within 14 days
        [(1, date(2025, 12, 1), "agreed"), (3, date(2026, 4, 1), "refused")],  # last year's; refused
    )
    person(
        "丙",
        world.branch_a1_1,
        Stage.FULL,
        date(2026, 5, 1),  # past, but the person is no longer in an open stage
        [(17, date(2026, 1, 10), "agreed"), (17, date(2026, 2, 10), "agreed"), (24, date(2026, 5, 1), "agreed")],
    )
    person("丁", world.branch_a1_1, Stage.TARGET, date(2026, 6, 16), [(7, date(2027, 1, 5), "agreed")])  # due in 15 days; next year
    person("戊", world.branch_b1_1, Stage.APPLICANT, date(2026, 5, 1), [(1, date(2026, 1, 5), "agreed")])  # another street
    return world


def test_street_admin_sees_counts_of_their_street_only(pipeline):
    summary = selectors.pipeline_summary(scope_of(pipeline.bob), today=TODAY)
    stages = dict(summary["stages"])
    assert stages == {
        Stage.APPLICANT: 1,
        Stage.ACTIVIST: 1,
        Stage.TARGET: 1,
        Stage.PROBATIONARY: 0,
        Stage.FULL: 1,
        Stage.CANCELLED: 0,
        Stage.STOPPED: 0,
    }
    assert [stage for stage, _ in summary["stages"]] == list(Stage)
    assert (summary["total"], summary["overdue"], summary["soon"], summary["year"]) == (4, 1, 1, 2026)
    # one person per figure, however many rows of the step; refused steps and other years do not count
    assert summary["annual"] == [
        ("递交入党申请", 1),
        ("列为入党积极分子", 1),
        ("确定为发展对象", 0),
        ("发展党员（接收预备党员）", 1),
        ("转正审批", 1),
    ]


def test_summary_of_one_branch_and_of_another_year(pipeline):
    summary = selectors.pipeline_summary(scope_of(pipeline.bob), org_path=pipeline.branch_a1_2.path, today=TODAY)
    assert (summary["total"], summary["overdue"], summary["soon"]) == (1, 0, 1)
    assert [n for _, n in summary["annual"]] == [0, 0, 0, 0, 0]
    last_year = selectors.pipeline_summary(scope_of(pipeline.bob), today=TODAY, year=2025)
    assert [n for _, n in last_year["annual"]] == [1, 0, 0, 0, 0]
    next_year = selectors.pipeline_summary(scope_of(pipeline.alice), today=TODAY, year=2027)
    assert [n for _, n in next_year["annual"]] == [0, 0, 1, 0, 0]


def test_district_sees_both_streets(pipeline):
    summary = selectors.pipeline_summary(scope_of(pipeline.alice), today=TODAY)
    assert (summary["total"], summary["overdue"], summary["soon"]) == (5, 2, 1)
    assert [n for _, n in summary["annual"]] == [2, 1, 0, 1, 1]


def test_deadline_job_selects_open_people_due_within_a_week_or_overdue_in_date_order(pipeline):
    rows = jobs.due_candidates(TODAY)
    assert [(d.name, d.next_due, d.org_name, d.org_path) for d in rows] == [
        ("戊", date(2026, 5, 1), pipeline.branch_b1_1.name, pipeline.branch_b1_1.path),
        ("甲", date(2026, 5, 20), pipeline.branch_a1_1.name, pipeline.branch_a1_1.path),
    ]
    assert [(d.name, d.next_step) for d in jobs.due_candidates(date(2026, 6, 3))][-1] == ("乙", 5)
