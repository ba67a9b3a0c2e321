"""Writes of the transfer workflow. Every state change is one transaction that locks the transfer
row (``select_for_update``), checks the transition table and moves the state with a conditional
UPDATE; a second click or a second reviewer finds the state gone and is refused (ADR 0005)."""

from __future__ import annotations

import time
from datetime import date
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope
from dangjian.members.choices import ExitReason, MemberStatus
from dangjian.members.models import Member, MemberEvent
from dangjian.members.normalise import normalise_phone
from dangjian.members.rules import check_phone
from dangjian.members.selectors import member_by_id_number
from dangjian.members.services import create_member, record_exit, update_member
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS, OrgKind
from dangjian.organisations.models import Organisation

from . import rules, workflow
from .choices import (
    CODE_LABELS,
    EXTERNAL_SCOPES,
    OPEN_STATES,
    OUT_CODES,
    Action,
    ArrivalScope,
    Party,
    TransferScope,
    TransferState,
)
from .models import Arrival, LetterPrint, Transfer, TransferLetter, TransferStep
from .notices import notify_member_after

ACTION_LABELS = dict(Action.choices)
STATE_LABELS = dict(TransferState.choices)
PARTY_LABELS = dict(Party.choices)
ARRIVAL_CODES = {
    ArrivalScope.CITY_OTHER_DISTRICT: "151",
    ArrivalScope.SAME_PROVINCE: "151",
    ArrivalScope.OTHER_PROVINCE: "141",
}
assert set(ARRIVAL_CODES.values()) <= set(CODE_LABELS)


class StaleTransition(RuleViolation):
    """The step was already taken (double click, a second reviewer): nothing changed."""


def _clean(text: Any) -> str:
    return " ".join(str(text or "").replace("\u3000", " ").split())


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _actor_name(actor: Any) -> str:
    return (getattr(actor, "display_name", "") or getattr(actor, "username", "") or "系统")[:150]


def _log(
    transfer: Transfer, *, actor: Any, party: str, action: str, old: str, new: str, reason: str = "", org: Organisation | None = None
) -> TransferStep:
    return TransferStep.objects.create(
        transfer=transfer,
        actor=_user(actor),
        actor_name=_actor_name(actor),
        party=party,
        organisation=org,
        action=action,
        from_state=old,
        to_state=new,
        reason=reason[:500],
    )


# --- applying -------------------------------------------------------------------------------------


def can_apply_for(scope: Scope, member: Member) -> bool:
    """The member themself, or a secretary/admin of the member's branch (or above)."""
    if scope.member_id == member.pk:
        return True
    return scope.covers_path(member.organisation.path, roles=("branch_secretary", "org_admin", "district_admin"))


def check_destination(member: Member, destination: Organisation) -> None:
    """XFER-006: a destination inside the platform holds members, is alive and is not the member's own org."""
    if destination.kind not in MEMBER_HOLDING_KINDS:
        raise rules.XFER_006_HOLDS.violation(field="destination_org", org=destination.name, kind=OrgKind(destination.kind).label)
    if destination.dissolved_on is not None:
        raise RuleViolation(None, f"“{destination.name}”已撤销，不能接收党员", field="destination_org")
    if destination.pk == member.organisation_id:
        raise rules.XFER_006_SAME.violation(field="destination_org", org=destination.name, member=member.name)


def apply(
    *,
    actor: Any,
    scope: Scope,
    member_id: int,
    values: dict[str, Any],
    from_org: Organisation | None = None,
    today: date | None = None,
) -> Transfer:
    """Start a transfer (state ``applied``). ``values``: destination_org or external_scope +
    external_org_name (+ address), reason, dues_paid_up_to (first of month), contact_phone, probation_note."""
    today = today or timezone.localdate()
    with transaction.atomic():
        member = Member.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=member_id)
        out_branch = from_org or member.organisation
        if member.left_on is not None or member.organisation_id != out_branch.pk:
            raise rules.XFER_006_NOT_MEMBER.violation(field="member", member=member.name, org=out_branch.name)
        open_transfer = Transfer.objects.filter(member=member, state__in=OPEN_STATES).first()
        if open_transfer is not None:
            raise rules.XFER_006_OPEN.violation(field="member", member=member.name, state=open_transfer.get_state_display())
        fields = _transfer_fields(member, values, today=today)
        transfer = Transfer(
            member=member, from_org=out_branch, state=TransferState.APPLIED, state_since=timezone.now(), applied_by=_user(actor), **fields
        )
        try:
            with transaction.atomic():
                transfer.save()
        except IntegrityError as exc:  # a concurrent application for the same member committed first
            raise rules.XFER_006_OPEN.violation(field="member", member=member.name, state=STATE_LABELS[TransferState.APPLIED]) from exc
        party = Party.APPLICANT
        _log(
            transfer,
            actor=actor,
            party=party,
            action=Action.SUBMIT,
            old="",
            new=TransferState.APPLIED,
            reason=transfer.reason,
            org=out_branch,
        )
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            obj=transfer,
            org_path=out_branch.path,
            after={"state": transfer.state, "scope": transfer.scope, "destination": transfer.destination_name},
        )
    return transfer


def _transfer_fields(member: Member, values: dict[str, Any], *, today: date) -> dict[str, Any]:
    """Validated transfer fields (destination, kind and code, reason, dues, phone, probation)."""
    out: dict[str, Any] = {}
    destination: Organisation | None = values.get("destination_org")
    if destination is not None:
        check_destination(member, destination)
        out["destination_org"] = destination
        out["scope"] = workflow.scope_for(member.organisation, destination)
        out["external_org_name"] = ""
        out["external_org_location"] = ""
    else:
        scope = values.get("external_scope") or ""
        if scope == TransferScope.ABROAD:
            raise rules.XFER_003.violation(field="external_scope")
        if scope not in EXTERNAL_SCOPES:
            raise RuleViolation(None, "请在平台内选择转入党支部，或选择转往本市外区、外市或外省并填写接收党组织", field="external_scope")
        name = _clean(values.get("external_org_name"))
        if len(name) < 4:
            raise RuleViolation(
                None, "请填写接收党组织的全称（介绍信上须写全称），例如“某某市某某区某某街道某某社区党委”", field="external_org_name"
            )
        out["destination_org"] = None
        out["scope"] = scope
        out["external_org_name"] = name[:120]
        out["external_org_location"] = _clean(values.get("external_org_location"))[:200]
    out["approver_org"] = workflow.approver_for(member.organisation, destination)
    out["change_type_code"] = OUT_CODES[out["scope"]]
    reason = _clean(values.get("reason"))
    if len(reason) < 2:
        raise RuleViolation(None, "请填写转接原因，例如“工作调动”“搬家到新住址”", field="reason")
    out["reason"] = reason[:200]
    paid = rules.check_dues_month(values.get("dues_paid_up_to"), today)
    out["dues_paid_up_to"] = paid
    warning = rules.dues_warning(paid, today)
    out["warnings"] = [warning] if warning else []
    phone = normalise_phone(values.get("contact_phone") or "")
    if phone:
        problem = check_phone(phone)
        if problem:
            raise RuleViolation(None, problem, field="contact_phone")
    out["contact_phone"] = phone
    out["is_probationary"] = member.status == MemberStatus.PROBATIONARY
    if out["is_probationary"]:
        # XFER-012: the step-15 date (入党日期) and the probation end (DEV-021) travel with the transfer
        out["probation_start"] = member.join_date
        out["probation_end"] = rules.probation_end(member.join_date)
        out["probation_note"] = _clean(values.get("probation_note"))[:200]
    else:
        out["probation_start"] = out["probation_end"] = None
        out["probation_note"] = ""
    return out


# --- steps ----------------------------------------------------------------------------------------


def act(
    *,
    actor: Any,
    scope: Scope,
    transfer_id: int,
    action: str,
    reason: str = "",
    values: dict[str, Any] | None = None,
    today: date | None = None,
) -> Transfer:
    """Take one step of the table. ``values`` carries what a step needs (valid_days, receipt_on,
    receipt_org_name, updated application fields on resubmit)."""
    today = today or timezone.localdate()
    values = values or {}
    reason = _clean(reason)
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("member", "from_org", "approver_org", "destination_org")
            .get(pk=transfer_id)
        )
        old = transfer.state
        row = workflow.transition_for(old, action, workflow.route_of(transfer))
        if row is None:
            label = ACTION_LABELS.get(action, action)
            raise StaleTransition(None, f"这件转接当前为“{STATE_LABELS[old]}”，不能“{label}”（可能已由他人办理，请刷新页面查看）。")
        parties = workflow.parties_of(scope, transfer)
        if row.party not in parties:
            if row.party == Party.COMMITTEE:
                raise rules.XFER_004.violation(field=None, approver=transfer.approver_org.name)
            raise rules.XFER_006_ACTOR.violation(field=None, action=ACTION_LABELS[action], party=_party_text(row.party, transfer))
        party = row.party
        if row.needs_reason and len(reason) < 2:
            if action == Action.REISSUE:
                live = _live_letter(transfer)
                raise rules.XFER_010.violation(field="reason", number=live.number if live else "")
            raise rules.XFER_005.violation(field="reason", action=ACTION_LABELS[action])
        extra = _effects(transfer, row.action, actor=actor, reason=reason, values=values, today=today)
        now = timezone.now()
        updates: dict[str, Any] = {"state": row.next_state, "state_since": now, "updated_at": now, **extra}
        if row.next_state in (TransferState.COMPLETED, TransferState.LETTER_ISSUED):
            updates["done_at"] = now
        changed = Transfer.objects.filter(pk=transfer.pk, state=old).update(**updates)
        if changed != 1:  # cannot happen under the row lock; kept as the guard of last resort
            raise StaleTransition(None, "这件转接刚刚已由他人办理，请刷新页面查看。")
        acting_org = _acting_org(transfer, party)
        step = _log(transfer, actor=actor, party=party, action=action, old=old, new=row.next_state, reason=reason, org=acting_org)
        transaction.on_commit(partial(notify_member_after, step.pk))
        record_event(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=transfer,
            org_path=transfer.from_org.path,
            before={"state": old},
            after={"state": row.next_state, "action": action},
            reason=reason,
        )
        transfer.refresh_from_db()
    return transfer


def _party_text(party: str, transfer: Transfer) -> str:
    if party == Party.OUT_BRANCH:
        return f"转出党支部（{transfer.from_org.name}）书记"
    if party == Party.COMMITTEE:
        return f"审批党委（{transfer.approver_org.name}）"
    if party == Party.RECEIVING:
        return f"接收党组织（{transfer.destination_name}）"
    if party == Party.APPLICANT:
        return f"申请人{transfer.member.name}本人或其党支部书记"
    return PARTY_LABELS.get(party, party)


def _acting_org(transfer: Transfer, party: str) -> Organisation | None:
    return {
        Party.APPLICANT: transfer.from_org,
        Party.OUT_BRANCH: transfer.from_org,
        Party.COMMITTEE: transfer.approver_org,
        Party.RECEIVING: transfer.destination_org,
    }.get(party)


def _effects(transfer: Transfer, action: str, *, actor: Any, reason: str, values: dict[str, Any], today: date) -> dict[str, Any]:
    """What a step does besides changing the state; returns extra Transfer fields to write."""
    if action == Action.RESUBMIT:
        merged = {
            "destination_org": transfer.destination_org,
            "external_scope": transfer.scope,
            "external_org_name": transfer.external_org_name,
            "external_org_location": transfer.external_org_location,
            "reason": transfer.reason,
            "dues_paid_up_to": transfer.dues_paid_up_to,
            "contact_phone": transfer.contact_phone,
            "probation_note": transfer.probation_note,
            **values,
        }
        fields = _transfer_fields(transfer.member, merged, today=today)
        fields.pop("contact_phone")  # encrypted field: written by save below
        transfer.contact_phone = normalise_phone(merged.get("contact_phone") or "")
        Transfer.objects.filter(pk=transfer.pk).update(**{k: v for k, v in fields.items()})
        transfer.save(update_fields=["contact_phone"])
        return {}
    if action == Action.ACCEPT:
        _move_member(transfer, to=transfer.destination_org, actor=actor, today=today, revoke=False)
        return {}
    if action == Action.ISSUE_LETTER:
        _issue_letter(transfer, actor=actor, days=values.get("valid_days"), today=today)
        _mark_left(transfer.member, actor=actor, on=today, transfer=transfer)
        return {}
    if action == Action.REISSUE:
        live = _live_letter(transfer)
        if live is not None:
            TransferLetter.objects.filter(pk=live.pk).update(voided_on=today, void_reason=reason[:200])
        _issue_letter(transfer, actor=actor, days=values.get("valid_days"), today=today)
        return {}
    if action == Action.RECORD_RECEIPT:
        _record_receipt(transfer, values=values, today=today)
        return {}
    if action == Action.EXPIRE:
        live = _live_letter(transfer)
        if live is not None and live.valid_until >= today:
            raise RuleViolation(None, f"介绍信{live.number}有效期至{live.valid_until:%Y年%m月%d日}，尚未过期", field=None)
        return {}
    if action == Action.REVOKE:
        if transfer.destination_org_id:
            _move_member(transfer, to=transfer.from_org, actor=actor, today=today, revoke=True)
        else:
            live = _live_letter(transfer)
            if live is not None:
                TransferLetter.objects.filter(pk=live.pk).update(voided_on=today, void_reason=f"转接撤销：{reason}"[:200])
            _restore_member(transfer, actor=actor, reason=reason)
        return {}
    return {}


def _move_member(transfer: Transfer, *, to: Organisation, actor: Any, today: date, revoke: bool) -> None:
    """Move the member between branches inside this transaction; history on both sides."""
    member = Member.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=transfer.member_id)
    expected = transfer.destination_org if revoke else transfer.from_org
    assert expected is not None
    if member.left_on is not None or member.organisation_id != expected.pk:
        raise RuleViolation(
            None,
            f"{member.name}现在不在“{expected.name}”（现为“{member.organisation.name}”），不能{'撤销' if revoke else '接收'}这次转接",
            field=None,
        )
    if to.dissolved_on is not None:
        raise RuleViolation(None, f"“{to.name}”已撤销，不能接收党员", field=None)
    leaving = member.organisation
    verb = "撤销组织关系转接，恢复到" if revoke else "组织关系转接至"
    update_member(
        actor=actor,
        member_id=member.pk,
        values={"organisation": to, "group": None},
        comment=f"{verb}{to.name}（转接编号{transfer.pk}）",
        today=today,
    )
    # the side the member leaves keeps its own record of the move (update_member files under the new org)
    record_event(
        actor=actor,
        action=AuditAction.MOVE,
        obj=member,
        org_path=leaving.path,
        before={"organisation": leaving.pk},
        after={"organisation": to.pk},
        reason=f"组织关系转出（转接编号{transfer.pk}）",
    )


def _mark_left(member: Member, *, actor: Any, on: date, transfer: Transfer) -> None:
    """The member leaves the district with the letter: kept, marked 转出本区 (never deleted)."""
    locked = Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
    if locked.left_on is not None or locked.organisation_id != transfer.from_org_id:
        raise rules.XFER_006_NOT_MEMBER.violation(field=None, member=member.name, org=transfer.from_org.name)
    record_exit(
        actor=actor,
        member_id=member.pk,
        on=on,
        reason=ExitReason.TRANSFERRED_OUT,
        comment=f"持介绍信转往{transfer.external_org_name}（转接编号{transfer.pk}）",
    )


def _restore_member(transfer: Transfer, *, actor: Any, reason: str) -> None:
    member = Member.objects.select_for_update(of=("self",)).get(pk=transfer.member_id)
    Member.objects.filter(pk=member.pk).update(left_on=None, exit_reason="")
    comment = f"撤销组织关系转出，恢复到{transfer.from_org.name}（转接编号{transfer.pk}）：{reason}"[:500]
    MemberEvent.objects.create(
        member=member,
        actor=_user(actor),
        action=AuditAction.UPDATE,
        before={"left_on": str(member.left_on)},
        after={"left_on": None},
        comment=comment,
    )
    record_event(actor=actor, action=AuditAction.UPDATE, obj=member, org_path=transfer.from_org.path, reason=comment)


# --- letters --------------------------------------------------------------------------------------


def _live_letter(transfer: Transfer) -> TransferLetter | None:
    return transfer.letters.filter(voided_on__isnull=True).first()


def live_letter(transfer: Transfer) -> TransferLetter | None:
    return _live_letter(transfer)


def default_validity_days(transfer: Transfer) -> int:
    return rules.DEFAULT_VALIDITY_DAYS.get(transfer.scope, 30)


def _issue_letter(transfer: Transfer, *, actor: Any, days: Any, today: date) -> TransferLetter:
    try:
        valid_days = int(days) if days not in (None, "") else default_validity_days(transfer)
    except (TypeError, ValueError):
        raise RuleViolation(None, "有效期请填写天数（整数）", field="valid_days") from None
    valid_until = rules.check_validity(valid_days, today)
    prefix = f"{today.year}-{transfer.approver_org_id:04d}-"
    for _attempt in range(5):
        last = TransferLetter.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
        seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        try:
            with transaction.atomic():
                return TransferLetter.objects.create(
                    transfer=transfer,
                    number=f"{prefix}{seq:04d}",
                    issued_on=today,
                    valid_days=valid_days,
                    valid_until=valid_until,
                    issued_by=_user(actor),
                )
        except IntegrityError:  # another committee clerk took the number: try the next one
            continue
    raise RuleViolation(None, "介绍信编号分配冲突，请稍后重试", field=None)


def _record_receipt(transfer: Transfer, *, values: dict[str, Any], today: date) -> None:
    letter = _live_letter(transfer)
    if letter is None:
        raise RuleViolation(None, "没有有效的介绍信，不能登记回执", field=None)
    on = values.get("receipt_on") or today
    if on > today or on < letter.issued_on:
        raise RuleViolation(None, f"回执收回日期应在{letter.issued_on:%Y年%m月%d日}（开具日）与今天之间", field="receipt_on")
    org_name = _clean(values.get("receipt_org_name")) or transfer.external_org_name
    TransferLetter.objects.filter(pk=letter.pk).update(receipt_returned_on=on, receipt_org_name=org_name[:120])


def print_letter(*, actor: Any, scope: Scope, transfer: Transfer) -> tuple[bytes, TransferLetter]:
    """Render the live letter and log the print (XFER-007: every print counted, reprints visible)."""
    from .letters import render_letter

    if Party.COMMITTEE not in workflow.parties_of(scope, transfer) and not scope.is_district_admin:
        raise rules.XFER_006_ACTOR.violation(field=None, action="打印介绍信", party=_party_text(Party.COMMITTEE, transfer))
    started = time.perf_counter()
    with transaction.atomic():
        letter = transfer.letters.select_for_update().filter(voided_on__isnull=True).first()
        if letter is None:
            raise RuleViolation(None, "这件转接还没有开具介绍信", field=None)
        TransferLetter.objects.filter(pk=letter.pk).update(print_count=F("print_count") + 1)
        letter.refresh_from_db()
        content = render_letter(transfer, letter)
        elapsed = int((time.perf_counter() - started) * 1000)
        LetterPrint.objects.create(letter=letter, actor=_user(actor), copy_number=letter.print_count, render_ms=elapsed)
        record_event(
            actor=actor,
            action=AuditAction.EXPORT,
            obj=transfer,
            org_path=transfer.approver_org.path,
            detail={"letter": letter.number, "copy": letter.print_count},
            reason="打印组织关系介绍信" if letter.print_count == 1 else f"重新打印组织关系介绍信（第{letter.print_count}次）",
        )
    return content, letter


# --- arrivals from outside -------------------------------------------------------------------------


def register_arrival(*, actor: Any, scope: Scope, organisation: Organisation, values: dict[str, Any], today: date | None = None) -> Arrival:
    """A member arrives with a paper letter: create the member or re-activate a record that left; the
    receiving branch then prints the 回执 to send back."""
    today = today or timezone.localdate()
    if not scope.covers_path(organisation.path, roles=("branch_secretary", "org_admin", "district_admin")):
        raise RuleViolation(None, f"只有“{organisation.name}”的书记或上级党组织管理员可以登记转入", field="organisation")
    if organisation.kind not in MEMBER_HOLDING_KINDS:
        raise rules.XFER_006_HOLDS.violation(field="organisation", org=organisation.name, kind=OrgKind(organisation.kind).label)
    letter_number = _clean(values.get("letter_number"))
    from_name = _clean(values.get("from_org_name"))
    arrival_scope = values.get("scope") or ""
    problems = []
    if len(letter_number) < 2:
        problems.append(RuleViolation(None, "请填写介绍信上的编号", field="letter_number"))
    if len(from_name) < 4:
        problems.append(RuleViolation(None, "请填写开具介绍信的党组织全称", field="from_org_name"))
    if arrival_scope not in ArrivalScope.values:
        problems.append(RuleViolation(None, "请选择转入类型", field="scope"))
    arrived_on = values.get("arrived_on") or today
    if arrived_on > today:
        problems.append(RuleViolation(None, "报到日期不能晚于今天", field="arrived_on"))
    if problems:
        from dangjian.members.services import MemberInvalid

        raise MemberInvalid(problems)
    member_values = {k: v for k, v in values.items() if k not in {"letter_number", "from_org_name", "scope", "arrived_on"}}
    member_values["organisation"] = organisation
    member_values["group"] = None
    with transaction.atomic():
        if Arrival.objects.filter(letter_number=letter_number, from_org_name=from_name).exists():
            raise RuleViolation(None, f"介绍信{letter_number}（{from_name}）已登记过转入，不能重复登记", field="letter_number")
        existing = member_by_id_number(member_values.get("id_number") or "")
        reactivated = False
        if existing is not None:
            if existing.left_on is None:
                raise RuleViolation(
                    None,
                    f"该公民身份号码的党员{existing.name}现仍在“{existing.organisation.name}”登记，请通过平台内转接办理，不能重复登记",
                    field="id_number",
                )
            Member.objects.filter(pk=existing.pk).update(left_on=None, exit_reason="")
            comment = f"持介绍信{letter_number}从{from_name}转入，恢复党员记录"
            member = update_member(actor=actor, member_id=existing.pk, values=member_values, comment=comment, today=today)
            reactivated = True
        else:
            member = create_member(actor=actor, values=member_values, today=today)
        arrival = Arrival.objects.create(
            member=member,
            organisation=organisation,
            letter_number=letter_number[:40],
            from_org_name=from_name[:120],
            scope=arrival_scope,
            change_type_code=ARRIVAL_CODES[arrival_scope],
            arrived_on=arrived_on,
            reactivated=reactivated,
            registered_by=_user(actor),
        )
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            obj=arrival,
            org_path=organisation.path,
            after={"letter": letter_number, "from": from_name, "code": arrival.change_type_code, "reactivated": reactivated},
        )
    return arrival


def print_arrival_receipt(*, actor: Any, arrival: Arrival) -> bytes:
    from .letters import render_arrival_receipt

    with transaction.atomic():
        Arrival.objects.filter(pk=arrival.pk).update(receipt_print_count=F("receipt_print_count") + 1)
        arrival.refresh_from_db()
        record_event(
            actor=actor,
            action=AuditAction.EXPORT,
            obj=arrival,
            org_path=arrival.organisation.path,
            reason=f"打印回执（第{arrival.receipt_print_count}次）",
        )
    return render_arrival_receipt(arrival)
