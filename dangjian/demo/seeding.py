"""Writing the demo plan: idempotent by natural keys, one transaction, every member checked first.

Natural keys: organisations by 组织代码, units by 统一社会信用代码, members by the blind index of
their ID number, users by username, grants by (user, role, organisation). What exists is kept as
it is: nothing is updated or deleted, so a second run (or a run after users changed the demo data)
creates only what is missing. A branch that already holds members gets no demo members, so a run on
another day, whose dates (and so ID numbers) differ, cannot double a branch.

Organisations and committee seats go through organisations.services (history and audit rows, the
ORG rules); members are bulk-inserted for speed (STACK.md §6) after ``member_violations`` passed
for every row, and one audit event records the whole run, as an import does.
"""

from __future__ import annotations

import importlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant, User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.counting import bump_tables
from dangjian.core.fields import BlindIndexField
from dangjian.members.models import Member
from dangjian.members.rules import member_violations
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import CommitteeSeat, Organisation, Unit
from dangjian.organisations.services import appoint_seat, create_organisation, end_seat

from .plan import DEMO_PASSWORD, ROOT_CODE, SUPERUSER_DISPLAY_NAME, SUPERUSER_NAME, DistrictPlan

BATCH = 500


class DemoRefused(Exception):
    """The database cannot take the demo district (another top-level organisation exists)."""


class DemoDataInvalid(Exception):
    """The generator produced a row the member rules refuse: a bug in dangjian.demo, never written."""


@dataclass
class AccountRow:
    username: str
    password: str
    role: str
    organisation: str
    display_name: str
    created: bool


@dataclass
class SeedResult:
    created: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    accounts: list[AccountRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def id_hash(id_number: str) -> str:
    """The blind index Member.id_number_hash will hold for ``id_number``."""
    index_field = Member._meta.get_field("id_number_hash")
    assert isinstance(index_field, BlindIndexField)
    return index_field.index_for(Member, id_number) or ""


def check_members(plan: DistrictPlan) -> None:
    """Every planned member must pass the registry rules, so the demo is always valid data."""
    problems: list[str] = []
    for member in plan.members:
        org = plan.by_code[member.org_code]
        if org.kind not in MEMBER_HOLDING_KINDS:
            problems.append(f"{member.values['name']}（{org.name}）：{org.kind} cannot hold members")
        for violation in member_violations(member.values, today=plan.today):
            problems.append(f"{member.values['name']}（{org.name}）：{violation.message}")
    if problems:
        shown = "\n".join(problems[:10])
        raise DemoDataInvalid(f"演示数据生成器产生了{len(problems)}条不合规的党员数据（未写入任何数据）：\n{shown}")


def seed_district(plan: DistrictPlan, *, admin_password: str | None, admin_password_shown: str = "") -> SeedResult:
    """Create whatever of ``plan`` is missing; return what was created and the demo accounts.

    ``admin_password`` None skips the superuser; ``admin_password_shown`` is what the table prints.
    """
    started = time.perf_counter()
    result = SeedResult()
    check_members(plan)
    with transaction.atomic():
        _check_root()
        orgs = _write_organisations(plan, result)
        units = _write_units(plan, orgs, result)
        members = _write_members(plan, orgs, units, result)
        _write_seats(plan, orgs, members, result)
        _write_accounts(plan, orgs, admin_password, admin_password_shown, result)
        _seed_workflow_apps(plan, orgs[ROOT_CODE], result)
        if result.created:
            root = orgs[ROOT_CODE]
            record_event(
                actor=None,
                action=AuditAction.IMPORT,
                object_type="demo.seed_demo",
                object_id=ROOT_CODE,
                object_repr=f"演示数据：{root.name}",
                org_path=root.path,
                reason="python manage.py seed_demo",
                detail={"created": dict(result.created), "seed": plan.seed, "today": plan.today.isoformat()},
            )
    if result.created["member"] and connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # STACK.md §4: plans are far off until the statistics know the rows
            cursor.execute(f"ANALYZE {Member._meta.db_table}, {Organisation._meta.db_table}")
    result.seconds = time.perf_counter() - started
    return result


WORKFLOW_APPS = ("venues", "meetings", "transfers", "recruitment")


def _seed_workflow_apps(plan: DistrictPlan, root: Organisation, result: SeedResult) -> None:
    """Each workflow app's ``demo.seed_demo(*, root, today, seed) -> dict[label, created]``: records
    that show the module at work (idempotent: an app that already has demo records adds nothing)."""
    for app in WORKFLOW_APPS:
        name = f"dangjian.{app}.demo"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for label, created in module.seed_demo(root=root, today=plan.today, seed=plan.seed).items():
            result.created[label] += created


def _check_root() -> None:
    roots = list(Organisation.objects.filter(depth=1).values_list("code", "name"))
    if roots and all(code != ROOT_CODE for code, _ in roots):
        code, name = roots[0]
        raise DemoRefused(
            f"数据库中已有顶层组织“{name}”（组织代码{code}），平台只能有一个区委，无法再生成演示区。"
            "请在新的数据库中运行 seed_demo（例如设置 SQLITE_PATH 指向另一个文件）。"
        )


def _write_organisations(plan: DistrictPlan, result: SeedResult) -> dict[str, Organisation]:
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=[p.code for p in plan.orgs])}
    if orgs:
        result.kept["organisation"] += len(orgs)
    for spec in plan.orgs:  # tree order: every parent comes before its children
        if spec.code in orgs:
            continue
        parent = orgs[spec.parent_code] if spec.parent_code else None
        orgs[spec.code] = create_organisation(actor=None, parent_id=parent.pk if parent else None, values=spec.values(), today=plan.today)
        result.created["organisation"] += 1
    return orgs


def _write_units(plan: DistrictPlan, orgs: dict[str, Organisation], result: SeedResult) -> dict[str, Unit]:
    units = {u.credit_code: u for u in Unit.objects.filter(credit_code__in=[p.credit_code for p in plan.units])}
    if units:
        result.kept["unit"] += len(units)
    for spec in plan.units:
        if spec.credit_code in units:
            continue
        units[spec.credit_code] = Unit.objects.create(
            name=spec.name,
            credit_code=spec.credit_code,
            sector=spec.sector,
            area_organisation=orgs[spec.area_code],
            party_organisation=orgs[spec.party_code] if spec.party_code else None,
        )
        result.created["unit"] += 1
    return units


def _existing_hashes(hashes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(hashes), BATCH):
        rows = Member.objects.filter(id_number_hash__in=hashes[start : start + BATCH]).values_list("id_number_hash", "pk")
        found.update(rows)
    return found


def _write_members(plan: DistrictPlan, orgs: dict[str, Organisation], units: dict[str, Unit], result: SeedResult) -> dict[str, int]:
    """Bulk-insert the members of branches that hold none yet; returns ID hash -> pk for the plan."""
    hashes = {m.id_number: id_hash(m.id_number) for m in plan.members}
    existing = _existing_hashes(list(hashes.values()))
    holders = [o for o in orgs.values() if o.kind in MEMBER_HOLDING_KINDS]
    populated = set(Member.objects.filter(organisation__in=holders).values_list("organisation__code", flat=True).distinct())
    new: list[Member] = []
    for spec in plan.members:
        org = orgs[spec.org_code]
        if spec.org_code in populated or org.is_dissolved or hashes[spec.id_number] in existing:
            if hashes[spec.id_number] in existing:
                result.kept["member"] += 1
            continue
        new.append(
            Member(
                **spec.values,
                organisation=org,
                group=orgs.get(spec.group_code) if spec.group_code else None,
                work_unit=units.get(spec.unit_credit_code) if spec.unit_credit_code else None,
            )
        )
    if new:
        Member.objects.bulk_create(new, batch_size=BATCH)
        bump_tables(Member._meta.db_table)  # bulk_create sends no post_save (core.counting)
        result.created["member"] += len(new)
    mapping = _existing_hashes(list(hashes.values()))
    _verify_read_back(plan, new, hashes, mapping)
    return mapping


def _verify_read_back(plan: DistrictPlan, new: list[Member], hashes: dict[str, str], mapping: dict[str, int]) -> None:
    """Read the inserted rows back: bulk_create must have filled the blind index, month-day and ciphertext."""
    if not new:
        return
    wanted = {hashes[m.id_number]: m for m in new}
    missing = [h for h in wanted if h not in mapping]
    if missing:
        raise DemoDataInvalid(f"{len(missing)} demo members were not found by their ID blind index after bulk_create")
    pks = [mapping[h] for h in wanted]
    for start in range(0, len(pks), BATCH):
        for stored in Member.objects.filter(pk__in=pks[start : start + BATCH]):
            planned = wanted[stored.id_number_hash]
            if (stored.id_number, stored.phone, stored.address) != (planned.id_number, planned.phone, planned.address):
                raise DemoDataInvalid(f"member {stored.pk}: personal data did not survive encryption")
            if stored.join_month_day != f"{planned.join_date:%m-%d}":
                raise DemoDataInvalid(f"member {stored.pk}: join_month_day {stored.join_month_day!r} not filled by bulk_create")
    with connection.cursor() as cursor:  # encryption at rest: the column holds ciphertext, never the number
        cursor.execute(f"SELECT id_number FROM {Member._meta.db_table} WHERE id = %s", [pks[0]])
        (raw,) = cursor.fetchone()
    if new[0].id_number in raw or "$" not in raw:
        raise DemoDataInvalid("ID numbers are not encrypted at rest")


def _write_seats(plan: DistrictPlan, orgs: dict[str, Organisation], members: dict[str, int], result: SeedResult) -> None:
    """Committee seats of organisations that have none yet (a committee someone edited is left alone)."""
    seated = set(CommitteeSeat.objects.filter(organisation__in=orgs.values()).values_list("organisation_id", flat=True))
    for spec in plan.seats:
        org = orgs[spec.org_code]
        if org.pk in seated or org.is_dissolved:
            continue
        member_id = members.get(id_hash(spec.member_id_number)) if spec.member_id_number else None
        if spec.member_id_number and member_id is None:
            result.notes.append(f"{org.name}：{spec.post} 的人选不在库中，未任命")
            continue
        seat = appoint_seat(
            actor=None,
            organisation_id=org.pk,
            post=spec.post,
            member_id=member_id,
            person_name=spec.person_name,
            is_part_time=spec.is_part_time,
            started_on=spec.started_on,
        )
        result.created["seat"] += 1
        if spec.ended_on:
            end_seat(actor=None, seat_id=seat.pk, on=spec.ended_on)


def _write_accounts(
    plan: DistrictPlan, orgs: dict[str, Organisation], admin_password: str | None, admin_password_shown: str, result: SeedResult
) -> None:
    """One login per role; existing users keep their passwords, missing grants and links are added."""
    linked = {m.account: m for m in plan.members if m.account}
    for account in plan.accounts:
        org = orgs[account.org_code]
        user = User.objects.filter(username=account.username).first()
        created = user is None
        if user is None:
            user = User.objects.create_user(username=account.username, password=DEMO_PASSWORD, display_name=account.display_name)
            result.created["user"] += 1
        grant, new_grant = RoleGrant.objects.get_or_create(user=user, role=account.role, organisation=org)
        if new_grant:
            result.created["role_grant"] += 1
            record_event(
                actor=None,
                action=AuditAction.ROLE_GRANT,
                obj=grant,
                org_path=org.path,
                after={"user": user.username, "role": account.role, "organisation": org.code},
                reason="演示账号",
            )
        if account.linked_member and account.username in linked:
            _link_member(user, linked[account.username].id_number, result)
        result.accounts.append(AccountRow(account.username, DEMO_PASSWORD, Role(account.role).label, org.name, user.display_name, created))
    admin = User.objects.filter(username=SUPERUSER_NAME).first()
    if admin is None and admin_password:
        admin = User.objects.create_superuser(
            username=SUPERUSER_NAME, email="", password=admin_password, display_name=SUPERUSER_DISPLAY_NAME
        )
        result.created["user"] += 1
        result.accounts.append(AccountRow(SUPERUSER_NAME, admin_password_shown, "超级管理员", "（全部）", admin.display_name, True))
    elif admin is not None:
        result.accounts.append(AccountRow(SUPERUSER_NAME, "（已存在，未改动）", "超级管理员", "（全部）", admin.display_name, False))
    else:
        result.notes.append("未设置 DJANGO_SUPERUSER_PASSWORD 且 DJANGO_DEBUG 关闭：未创建超级管理员 admin")


def _link_member(user: Any, id_number: str, result: SeedResult) -> None:
    member = Member.objects.filter(id_number_hash=id_hash(id_number)).first()
    if member is None or member.user_id == user.pk:
        return
    if member.user_id is None and not Member.objects.filter(user=user).exists():
        Member.objects.filter(pk=member.pk).update(user=user)
        result.created["member_link"] += 1
