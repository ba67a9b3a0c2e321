"""Demo transfers for ``seed_demo``: a handful per state around the demo secretary's community, made
through the services (so every step has its log row and the moved members their history), then
back-dated so the to-do list shows waiting, overdue and receipt-late items; plus two arrivals with a
paper letter. Deterministic for the seed; idempotent (nothing is added when transfers exist)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.scopes import build_scope
from dangjian.core.dates import add_months
from dangjian.core.idnumber import make_id_number
from dangjian.core.scope import Scope, path_range
from dangjian.members.models import Member
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS, CommitteePost
from dangjian.organisations.models import CommitteeSeat, Organisation

from . import services
from .choices import Action, TransferScope
from .models import Arrival, Transfer, TransferStep

REASONS = ("工作调动", "搬家到新住址", "退休后随子女居住", "到新单位就业", "购房迁居")
EXTERNAL = (
    (TransferScope.CITY_OTHER_DISTRICT, "中共成都市锦江区春熙路街道党工委", "成都市锦江区春熙路街道办事处"),
    (TransferScope.OTHER_PROVINCE, "中共重庆市渝中区解放碑街道党工委", "重庆市渝中区民族路1号"),
    (TransferScope.SAME_PROVINCE, "中共绵阳市涪城区城厢街道党工委", "绵阳市涪城区城厢街道办事处"),
    (TransferScope.OTHER_PROVINCE, "中共西安市雁塔区小寨路街道党工委", "西安市雁塔区小寨路街道办事处"),
)


@dataclass
class Plan:
    """One demo transfer: where to, the steps (action, who), how many days ago it started."""

    days_ago: int
    steps: list[tuple[str, str]]
    external: int | None = None  # index into EXTERNAL, or None for a branch of the platform
    far: bool = False  # destination in another street (the district admin receives)
    reasons: dict[int, str] = field(default_factory=dict)
    spacing: int = 0  # days between steps (0: spread over the period)
    valid_days: int = 60


PLANS = (
    Plan(2, []),
    Plan(12, []),  # waiting for the secretary beyond the limit
    Plan(9, [("return", "shuji")], reasons={0: "请补充新单位名称和联系电话"}),
    Plan(4, [("confirm", "shuji")]),
    Plan(20, [("confirm", "shuji")]),  # waiting for the community committee beyond the limit
    Plan(6, [("confirm", "shuji"), ("approve", "shequ")]),
    Plan(40, [("confirm", "shuji"), ("approve", "shequ"), ("accept", "receiver")]),
    Plan(75, [("confirm", "shuji"), ("approve", "shequ"), ("accept", "receiver")], far=True),
    Plan(30, [("confirm", "shuji"), ("approve", "shequ"), ("issue_letter", "shequ")], external=0, valid_days=15),  # about to expire
    Plan(95, [("confirm", "shuji"), ("approve", "shequ"), ("issue_letter", "shequ")], external=1, spacing=5, valid_days=30),  # receipt late
    Plan(60, [("confirm", "shuji"), ("approve", "shequ"), ("issue_letter", "shequ"), ("record_receipt", "shequ")], external=2),
    Plan(
        120,
        [("confirm", "shuji"), ("approve", "shequ"), ("issue_letter", "shequ"), ("expire", "shequ"), ("reissue", "shequ")],
        external=3,
        reasons={4: "介绍信过期未报到，党支部出具证明后补开"},
    ),
    Plan(15, [("confirm", "shuji"), ("refuse", "shequ")], reasons={1: "转入单位尚未成立党组织，请先联系所在社区党委"}),
    Plan(8, [("withdraw", "applicant")]),
)


def seed_demo(*, root: Organisation, today: date, seed: int) -> dict[str, int]:
    low, high = path_range(root.path)
    if (
        Transfer.objects.filter(from_org__path__range=(low, high)).exists()
        or Arrival.objects.filter(organisation__path__range=(low, high)).exists()
    ):
        return {}
    rng = random.Random(seed * 11 + 6)
    users = {u.username: u for u in User.objects.filter(username__in=["quwei", "jiedao", "shequ", "shuji", "dangyuan"])}
    if not {"quwei", "shequ", "shuji"} <= set(users):
        return {}
    grant = RoleGrant.objects.filter(user=users["shuji"], role="branch_secretary").select_related("organisation").first()
    if grant is None:
        return {}
    branch = grant.organisation
    community = Organisation.objects.filter(path=branch.path[: -Organisation.steplen]).first()
    if community is None:
        return {}
    branches = _branches(root)
    near = [b for b in branches if b.path.startswith(community.path) and b.pk != branch.pk]
    far = [b for b in branches if not b.path.startswith(community.path[: -Organisation.steplen])]
    linked = set(Member.objects.filter(user__isnull=False).values_list("pk", flat=True))
    # the demo secretary's own branch keeps most of its members: only waiting transfers start there;
    # the ones that move people out start in the other branches of the community, whose secretaries
    # have no account in the demo and act through a scope of their branch (the same rules apply)
    own = [m for m in Member.objects.filter(organisation=branch, left_on__isnull=True).exclude(pk__in=linked).order_by("pk")]
    others = [m for m in Member.objects.filter(organisation__in=near, left_on__isnull=True).exclude(pk__in=linked).order_by("pk")]
    rng.shuffle(own)
    rng.shuffle(others)
    secretary = (users["shuji"], build_scope(users["shuji"]))
    created = 0
    for plan in PLANS:
        at_home = plan.external is None and not plan.far and all(who == "shuji" for _, who in plan.steps) and len(own) > 2
        pool = own if at_home else others
        if not pool:
            continue
        member = pool.pop()
        out = secretary if member.organisation_id == branch.pk else _branch_secretary(member.organisation)
        destination = None
        if plan.external is None:
            choices = [b for b in (far if plan.far and far else [*near, branch]) if b.pk != member.organisation_id]
            destination = rng.choice(choices)
        _run(plan, member, destination, users, out, today, rng)
        created += 1
    arrivals = _arrivals(branch, users["shuji"], today, rng, seed)
    return {"组织关系转接": created, "持信转入登记": arrivals}


def _branch_secretary(branch: Organisation) -> tuple[Any, Scope]:
    """The secretary of a branch without a demo account: their name on the log, their branch's scope."""
    seat = CommitteeSeat.objects.filter(organisation=branch, post=CommitteePost.SECRETARY, ended_on__isnull=True).first()
    name = (seat.holder_name if seat else "") or f"{branch.name}书记"
    actor = SimpleNamespace(pk=None, display_name=name, username="")
    return actor, Scope(user_id=None, roles={"branch_secretary": (branch.path,)}, role_org_ids={"branch_secretary": (branch.pk,)})


def _branches(root: Organisation) -> list[Organisation]:
    low, high = path_range(root.path)
    return list(
        Organisation.objects.filter(
            path__range=(low, high), kind__in=[str(k) for k in MEMBER_HOLDING_KINDS], dissolved_on__isnull=True
        ).order_by("path")
    )


def _receiver(destination: Organisation, users: dict[str, User]) -> User:
    grant = RoleGrant.objects.filter(organisation=destination, role="branch_secretary").select_related("user").first()
    if grant is not None:
        return grant.user
    return users["quwei"]


def _run(
    plan: Plan,
    member: Member,
    destination: Organisation | None,
    users: dict[str, User],
    out: tuple[Any, Scope],
    today: date,
    rng: random.Random,
) -> None:
    start = today - timedelta(days=plan.days_ago)
    spacing = plan.spacing or (max(1, plan.days_ago // (len(plan.steps) + 2)) if plan.steps else 0)
    values: dict[str, Any] = {
        "destination_org": destination,
        "reason": rng.choice(REASONS),
        "dues_paid_up_to": add_months(start.replace(day=1), -1),
        "contact_phone": f"139{rng.randint(10000000, 99999999)}",
    }
    if destination is None and plan.external is not None:
        scope, name, address = EXTERNAL[plan.external]
        values.update(external_scope=scope, external_org_name=name, external_org_location=address)
    applicant, applicant_scope = out
    transfer = services.apply(actor=applicant, scope=applicant_scope, member_id=member.pk, values=values, today=start)
    day = start
    for index, (action, who) in enumerate(plan.steps):
        day = start + timedelta(days=spacing * (index + 1))
        if who == "receiver":
            actor, scope = _receiver(destination, users) if destination else users["quwei"], None
        elif who in ("applicant", "shuji"):
            actor, scope = applicant, applicant_scope
        else:
            actor, scope = users[who], None
        extra: dict[str, Any] = {}
        if action in (Action.ISSUE_LETTER, Action.REISSUE):
            extra["valid_days"] = plan.valid_days
        if action == Action.EXPIRE:
            # the letter ran out: the committee records it only after its last day
            letter = services.live_letter(transfer)
            day = max(day, letter.valid_until + timedelta(days=3))
        if action == Action.RECORD_RECEIPT:
            extra["receipt_on"] = day
        reason = plan.reasons.get(index, "同意" if action in (Action.CONFIRM, Action.APPROVE) else "")
        scope = scope or build_scope(actor)
        transfer = services.act(actor=actor, scope=scope, transfer_id=transfer.pk, action=action, reason=reason, values=extra, today=day)
    _backdate(transfer, start, spacing, day)


def _backdate(transfer: Transfer, start: date, spacing: int, last: date) -> None:
    """Demo only: move the rows' timestamps to the days the steps are meant to have happened."""
    tz = timezone.get_current_timezone()
    moments = []
    for index, step in enumerate(TransferStep.objects.filter(transfer=transfer).order_by("at", "id")):
        day = start + timedelta(days=spacing * index) if index else start
        if index and index == transfer.steps.count() - 1:
            day = last
        moment = datetime.combine(day, time(9 + index % 8, 15), tzinfo=tz)
        TransferStep.objects.filter(pk=step.pk).update(at=moment)
        moments.append((step.to_state, moment))
    done = next((m for s, m in moments if s in ("completed", "letter_issued")), None)
    Transfer.objects.filter(pk=transfer.pk).update(applied_at=moments[0][1], state_since=moments[-1][1], done_at=done)


def _arrivals(branch: Organisation, secretary: User, today: date, rng: random.Random, seed: int) -> int:
    scope = build_scope(secretary)
    made = 0
    for n, (name, scope_value, from_name) in enumerate(
        (
            ("赵新民", "other_province", "中共重庆市江北区观音桥街道党工委"),
            ("孙丽华", "city_other_district", "中共成都市青羊区少城街道党工委"),
        )
    ):
        born = date(1975 + 9 * n + rng.randint(0, 5), 1 + rng.randint(0, 11), 1 + rng.randint(0, 27))
        male = n % 2 == 0
        sequence = (seed * 37 + n * 2 + (1 if male else 0)) % 1000
        if sequence % 2 != (1 if male else 0):
            sequence = (sequence + 1) % 1000
        values = {
            "letter_number": f"{today.year}-{410 + n:04d}",
            "from_org_name": from_name,
            "scope": scope_value,
            "arrived_on": today - timedelta(days=10 + 20 * n),
            "name": name,
            "id_number": make_id_number("510104", born, sequence),
            "ethnicity": "汉族",
            "status": "full",
            "join_date": add_months(born, 12 * 26),
            "full_date": add_months(born, 12 * 27),
            "phone": f"138{rng.randint(10000000, 99999999)}",
            "gender": "male" if male else "female",
        }
        try:
            services.register_arrival(actor=secretary, scope=scope, organisation=branch, values=values, today=today)
        except Exception:
            continue
        made += 1
    return made
