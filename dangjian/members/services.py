"""Writes to the member registry: create, update, unmask. Each is atomic and leaves history."""

from __future__ import annotations

from datetime import date
from typing import Any, NoReturn

from django.db import IntegrityError, transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.idnumber import normalise_id_number, parse_id_number
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.organisations.models import Organisation
from dangjian.organisations.rules import check_holds_members

from . import rules
from .choices import ExitReason
from .models import Member, MemberEvent
from .normalise import normalise_phone
from .selectors import member_by_id_number

MEMBER_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "id_number",
    "birth_date",
    "education",
    "category",
    "join_date",
    "full_date",
    "status",
    "organisation",
    "group",
    "phone",
    "address",
    "employer",
    "post",
    "is_in_service",
    "is_flowing",
    "whereabouts",
    "lost_contact_since",
    "is_party_rep",
    "party_rep_level",
    "is_part_time_committee",
    "is_exempt",
    "exemption_reason",
    "exemption_approved_by",
    "exemption_since",
    "note",
)
PII_FIELDS = {"id_number": mask_id_number, "phone": mask_phone, "address": mask_address}


class MemberInvalid(RuleViolation):
    """Several problems at once (form and API show each against its field)."""

    def __init__(self, problems: list[RuleViolation]) -> None:
        first = problems[0]
        super().__init__(first.rule, "；".join(p.message for p in problems), field=first.field)
        self.problems = problems


def normalise_values(values: dict[str, Any]) -> dict[str, Any]:
    """Trim text (including full-width spaces), normalise ID and phone, fill birth date/sex from the ID."""
    out = dict(values)
    for key, value in list(out.items()):
        if isinstance(value, str):
            out[key] = " ".join(value.replace("\u3000", " ").split())
    if out.get("id_number"):
        out["id_number"] = normalise_id_number(out["id_number"])
    if "phone" in out:
        out["phone"] = normalise_phone(out.get("phone") or "")
    try:
        parsed = parse_id_number(out.get("id_number") or "")
    except ValueError:
        parsed = None
    if parsed:
        out.setdefault("birth_date", None)
        out["birth_date"] = out["birth_date"] or parsed.birth_date
        out["gender"] = out.get("gender") or parsed.gender
    return out


def snapshot(member: Member) -> dict[str, Any]:
    """Masked view of a record for history and audit (never plaintext personal data)."""
    data: dict[str, Any] = {}
    for field in MEMBER_FIELDS:
        value = getattr(member, field if field not in {"organisation", "group"} else f"{field}_id")
        if field in PII_FIELDS:
            value = PII_FIELDS[field](value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[field] = value
    return data


def _validate(values: dict[str, Any], *, today: date, exclude_pk: int | None = None) -> None:
    problems = rules.member_violations(values, today=today)
    org = values.get("organisation")
    if org is None:
        problems.append(RuleViolation(None, "请选择所在党支部", field="organisation"))
    else:
        try:
            check_holds_members(kind=org.kind, name=org.name)
        except RuleViolation as exc:
            problems.append(exc)
        if org.is_dissolved:
            problems.append(RuleViolation(None, f"“{org.name}”已撤销，不能接收党员", field="organisation"))
    group = values.get("group")
    if group is not None and (org is None or group.path[: -Organisation.steplen] != org.path):
        problems.append(RuleViolation(None, "所选党小组不属于该党支部", field="group"))
    if values.get("id_number") and not any(p.field == "id_number" for p in problems):
        holder = member_by_id_number(values["id_number"])
        if holder is not None and holder.pk != exclude_pk:
            problems.append(
                rules.unique_violation(id_number=values["id_number"], holder_name=holder.name, holder_org=holder.organisation.name)
            )
    if problems:
        raise MemberInvalid(problems)


def create_member(*, actor: Any, values: dict[str, Any], today: date | None = None, ip: str | None = None) -> Member:
    """Register a member. One person = one record (PII-006), enforced by the blind-index unique constraint.

    The check runs inside the write transaction (on SQLite, IMMEDIATE makes check and insert one
    step); on PostgreSQL two concurrent inserts can both pass it, and the unique index refuses the
    second, which is reported exactly like the checked case.
    """
    today = today or date.today()
    values = normalise_values({k: v for k, v in values.items() if k in MEMBER_FIELDS})
    try:
        with transaction.atomic():
            _validate(values, today=today)
            member = Member(**values)
            member.save()
            after = snapshot(member)
            MemberEvent.objects.create(member=member, actor=_user(actor), action=AuditAction.CREATE, before=None, after=after)
            record_event(actor=actor, action=AuditAction.CREATE, obj=member, org_path=member.organisation.path, after=after, ip=ip)
    except IntegrityError as exc:  # the same ID number inserted concurrently
        _raise_duplicate_or(exc, values.get("id_number") or "")
    return member


def _raise_duplicate_or(exc: IntegrityError, id_number: str, *, exclude_pk: int | None = None) -> NoReturn:
    """Name the record that holds the ID number (it committed first); re-raise any other integrity error."""
    holder = member_by_id_number(id_number) if id_number else None
    if holder is not None and holder.pk != exclude_pk:
        raise rules.unique_violation(id_number=id_number, holder_name=holder.name, holder_org=holder.organisation.name) from exc
    raise exc


def update_member(
    *, actor: Any, member_id: int, values: dict[str, Any], comment: str = "", today: date | None = None, ip: str | None = None
) -> Member:
    """Change a member record; the history keeps what changed (masked)."""
    today = today or date.today()
    values = {k: v for k, v in values.items() if k in MEMBER_FIELDS}
    merged: dict[str, Any] = {}
    try:
        with transaction.atomic():
            member = Member.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=member_id)
            before = snapshot(member)
            current = {f: getattr(member, f) for f in MEMBER_FIELDS}
            merged = normalise_values({**current, **values})
            _validate(merged, today=today, exclude_pk=member.pk)
            for field in MEMBER_FIELDS:
                setattr(member, field, merged[field])
            member.save()
            after = snapshot(member)
            old = {k: before[k] for k in after if before[k] != after[k]}
            new = {k: after[k] for k in old}
            if old:
                MemberEvent.objects.create(
                    member=member, actor=_user(actor), action=AuditAction.UPDATE, before=old, after=new, comment=comment
                )
                record_event(
                    actor=actor,
                    action=AuditAction.UPDATE,
                    obj=member,
                    org_path=member.organisation.path,
                    before=old,
                    after=new,
                    reason=comment,
                    ip=ip,
                )
    except IntegrityError as exc:
        _raise_duplicate_or(exc, merged.get("id_number") or "", exclude_pk=member_id)
    return member


class AlreadyLeft(RuleViolation):
    """The record has already left the current members."""


def record_exit(*, actor: Any, member_id: int, on: date, reason: str, comment: str, ip: str | None = None) -> Member:
    """A member leaves the current members (transferred out, 取消预备党员资格, died, …): ``left_on`` and
    ``exit_reason`` set under a row lock, one history row and one audit event; the record is kept
    (STAT-004: members are only reduced with a reason, never deleted)."""
    if reason not in ExitReason.values:
        raise ValueError(f"unknown exit reason {reason!r}")
    with transaction.atomic():
        member = Member.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=member_id)
        if member.left_on is not None:
            raise AlreadyLeft(None, f"{member.name}已于{member.left_on:%Y-%m-%d}减少（{member.get_exit_reason_display()}），不能再次减少。")
        member.left_on, member.exit_reason = on, reason
        member.save(update_fields=["left_on", "exit_reason", "updated_at"])
        change = ({"left_on": None, "exit_reason": ""}, {"left_on": on.isoformat(), "exit_reason": reason})
        MemberEvent.objects.create(
            member=member, actor=_user(actor), action=AuditAction.UPDATE, before=change[0], after=change[1], comment=comment
        )
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=member,
            org_path=member.organisation.path,
            before=change[0],
            after=change[1],
            reason=comment,
            ip=ip,
        )
    return member


UNMASKABLE = ("id_number", "phone", "address")


def unmask_member(
    *, actor: Any, member: Member, reason: str, fields: tuple[str, ...] = UNMASKABLE, ip: str | None = None
) -> dict[str, str]:
    """Plain values of the L3 fields for an entitled caller; writes exactly one audit row (PII-001).

    The caller has already checked ``permissions.can_unmask``.
    """
    reason = " ".join((reason or "").split())
    if len(reason) < 2:
        raise RuleViolation(None, "查看完整个人信息须说明事由（如：办理组织关系转接需核对身份）。", field="reason")
    fields = tuple(f for f in fields if f in UNMASKABLE)
    record_event(
        actor=actor,
        action=AuditAction.UNMASK,
        obj=member,
        org_path=member.organisation.path,
        reason=reason,
        detail={"fields": list(fields)},
        ip=ip,
    )
    return {f: getattr(member, f) or "" for f in fields}


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None
