"""Demo records of the development pipeline, and ``walk``: moving a person through the steps with
valid dates, materials and votes through the real services (also used by the tests and the benchmark)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from dangjian.core.dates import add_months
from dangjian.core.idnumber import make_id_number
from dangjian.core.scope import Scope, path_range
from dangjian.members.models import Member
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation

from . import rules, services
from .choices import BallotMethod, MaterialStatus, Outcome
from .models import Candidate, Material

SYSTEM = Scope(user_id=None, is_superuser=True)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("晓明", "雨婷", "子涵", "浩然", "欣怡", "梓轩", "思远", "佳琪", "宇航", "诗雨", "俊杰", "梦瑶", "志强", "婉清", "博文")
UNITS = ("和平里社区卫生服务中心", "东城区第一中学", "安定门商务楼宇物业公司", "和平里街道办事处", "北新桥菜市场管理处")


def plan_dates(applied: date) -> dict[int, date]:
    """A date for every step that meets every interval of every version (steps 6 and 21 once)."""
    d = {1: applied, 2: applied + timedelta(days=10), 3: add_months(applied, 3)}
    d[4] = d[3] + timedelta(days=1)
    d[5] = d[4]
    d[6] = add_months(d[3], 5)
    d[7] = add_months(d[3], 12)
    for n in range(8, 16):
        d[n] = d[n - 1] + timedelta(days=7)
    d[16] = d[15] + timedelta(days=14)
    d[17] = d[15] + timedelta(days=30)
    d[18] = d[17] + timedelta(days=7)
    d[19] = d[17] + timedelta(days=8)
    d[20] = d[17] + timedelta(days=14)
    end = add_months(d[15], 12)
    d[21] = add_months(d[15], 6)
    d[22] = end - timedelta(days=20)
    d[23] = end
    d[24] = end + timedelta(days=20)
    d[25] = d[24] + timedelta(days=7)
    return d


def step_values(number: int, on: date, branch: Organisation) -> dict[str, Any]:
    """Valid values for a step: the people, votes, training hours and notice it needs."""
    values: dict[str, Any] = {}
    full = list(
        Member.objects.filter(organisation=branch, status="full", left_on__isnull=True, full_date__lte=on)
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    )
    if number == 3:
        values["basis"] = "经党员推荐、群团组织推优"
    elif number == 5:
        values["people"] = full[:1]
    elif number == 9:
        values["people"] = full[:2]
    elif number == 11:
        values.update(training_days=3, training_hours=24)
    elif number in (15, 23):
        values.update(
            entitled=21, present=19, votes_yes=18, votes_no=0, votes_abstain=1, written_opinions=0, ballot_method=BallotMethod.SECRET
        )
        if number == 23:
            values["outcome"] = Outcome.ON_TIME
    elif number == 7:
        values.update(notice_from=on - timedelta(days=14), notice_to=on - timedelta(days=1))
    if number in (2, 16):
        values["responsible"] = "组织委员" if number == 2 else "街道党工委组织员"
    return values


def walk(candidate: Candidate, *, until: int, today: date, actor: Any = None, scope: Scope = SYSTEM, approve: bool = True) -> Candidate:
    """Record steps 2..``until`` of ``candidate`` with the planned dates (paper materials, approved)."""
    dates = plan_dates(candidate.steps.get(number=1).on)
    done = {s.number for s in candidate.steps.all()}
    for number in range(2, until + 1):
        if number in done or dates[number] > today:
            continue
        on = dates[number]
        for kind in rules.STEPS[number].materials:
            services.add_material(actor=actor, scope=scope, candidate_id=candidate.pk, step_number=number, kind=kind, is_paper=True)
        if number == rules.LAST_STEP or approve:
            for material in Material.objects.filter(candidate=candidate, is_current=True, status=MaterialStatus.PENDING):
                services.review_material(actor=actor, scope=scope, material_id=material.pk, approve=True)
        services.record_step(
            actor=actor,
            scope=scope,
            candidate_id=candidate.pk,
            number=number,
            on=on,
            values=step_values(number, on, candidate.organisation),
            today=today,
        )
    candidate.refresh_from_db()
    return candidate


def register(
    *, organisation: Organisation, name: str, born: date, applied: date, today: date, sequence: int, actor: Any = None
) -> Candidate:
    return services.register_candidate(
        actor=actor,
        values={
            "name": name,
            "id_number": make_id_number("110101", born, sequence),
            "organisation": organisation,
            "applied_on": applied,
            "work_unit": UNITS[sequence % len(UNITS)],
            "responsible": "党支部书记",
            "phone": f"139{sequence:08d}"[-11:],
        },
        is_paper=True,
        today=today,
    )


# how far each demo person has come: last step to record, and how long ago they applied
DEMO_PLAN = ((2, 40), (3, 200), (5, 330), (6, 420), (9, 500), (11, 520), (15, 560), (17, 620), (20, 700), (22, 880), (25, 1000), (1, 5))


def seed_demo(*, root: Organisation, today: date, seed: int) -> dict[str, int]:
    """A dozen people at every stage in the demo district's branches; nothing when some exist already."""
    if Candidate.objects.filter(organisation__path__range=path_range(root.path)).exists():
        return {}
    rng = random.Random(seed * 7919 + 8)
    branches = list(
        Organisation.objects.filter(
            path__range=path_range(root.path), kind__in=[k.value for k in MEMBER_HOLDING_KINDS], dissolved_on__isnull=True
        ).order_by("path")
    )
    # branches with at least two full members (introducers)
    eligible = [b for b in branches if Member.objects.filter(organisation=b, status="full", left_on__isnull=True).count() >= 2]
    if not eligible:
        return {}
    # the branch of the demo secretary (member 李红梅) first, so "shuji" sees people at work
    from dangjian.accounts.models import RoleGrant

    grant = RoleGrant.objects.filter(user__username="shuji", role="branch_secretary").select_related("organisation").first()
    if grant is not None and grant.organisation in eligible:
        eligible.remove(grant.organisation)
        eligible.insert(0, grant.organisation)
    created = 0
    for index, (until, days_ago) in enumerate(DEMO_PLAN):
        branch = eligible[0] if index % 2 == 0 else eligible[index % len(eligible)]
        applied = today - timedelta(days=days_ago)
        born = date(1985 + rng.randrange(0, 18), rng.randrange(1, 13), rng.randrange(1, 29))
        name = SURNAMES[rng.randrange(len(SURNAMES))] + GIVEN[rng.randrange(len(GIVEN))]
        candidate = register(organisation=branch, name=name, born=born, applied=applied, today=today, sequence=500 + index * 2 + 1)
        walk(candidate, until=until, today=today, approve=index % 3 != 0)
        created += 1
    return {"发展党员档案": created}
