"""Writes to the organisation tree: create, update, move, dissolve, committee seats. Each is atomic."""

from __future__ import annotations

from datetime import date
from typing import Any, NoReturn

from django.db import IntegrityError, transaction

from dangjian.audit.models import AuditAction
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import path_range

from . import events, rules
from .choices import GROUP_KINDS, CommitteePost, OrgKind, Sector
from .locks import lock_organisation, lock_subtree, lock_tree
from .models import CommitteeSeat, Organisation

EDITABLE_FIELDS = events.EDITABLE_FIELDS

# fields ORG-011/ORG-013 judge a term by
TERM_FIELDS = ("kind", "sector", "term_started_on", "term_ends_on")


def _clean_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    for key in ("name", "code", "grid_area", "address"):
        if key in cleaned and isinstance(cleaned[key], str):
            cleaned[key] = " ".join(cleaned[key].replace("\u3000", " ").split())
    if not cleaned.get("name", "x"):
        raise RuleViolation(None, "组织名称不能为空。", field="name")
    if not cleaned.get("code", "x"):
        raise RuleViolation(None, "组织代码不能为空。", field="code")
    for key, label, choices in (("kind", "组织类别", OrgKind), ("sector", "领域", Sector)):
        if key not in cleaned:
            continue
        if not cleaned[key]:
            raise RuleViolation(None, f"请选择{label}。", field=key)
        if cleaned[key] not in choices.values:
            allowed = "、".join(str(c.label) for c in choices)
            raise RuleViolation(None, f"{label}“{cleaned[key]}”无效，应为：{allowed}。", field=key)
    return cleaned


def _check_code_free(code: str, *, exclude_pk: int | None = None) -> None:
    clash = Organisation.objects.filter(code=code)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise RuleViolation(None, f"组织代码“{code}”已被其他组织使用，组织代码必须唯一。", field="code")


def _check_dates(values: dict[str, Any], *, today: date) -> None:
    founded = values.get("founded_on")
    if founded and founded > today:
        raise RuleViolation(None, f"成立日期{founded}晚于今天。", field="founded_on")
    start, end = values.get("term_started_on"), values.get("term_ends_on")
    if start and end and end <= start:
        raise RuleViolation(None, "任期届满日期应晚于任期开始日期。", field="term_ends_on")
    if start and founded and start < founded:
        raise RuleViolation(None, "任期开始日期不能早于成立日期。", field="term_started_on")


def _default_term_end(values: dict[str, Any]) -> None:
    """ORG-011: fill the term end from the kind's term length when only the start is given."""
    if values.get("term_started_on") and not values.get("term_ends_on"):
        values["term_ends_on"] = rules.legal_term_end(
            kind=values["kind"], sector=values.get("sector", Sector.COMMUNITY), started_on=values["term_started_on"]
        )


def create_organisation(
    *, actor: Any, parent_id: int | None, values: dict[str, Any], today: date | None = None, ip: str | None = None
) -> Organisation:
    """Add an organisation under ``parent_id`` (or the root 区委 when None)."""
    today = today or date.today()
    values = _clean_values(values)
    for required in ("name", "code", "kind"):
        if not values.get(required):
            raise RuleViolation(None, f"请填写{Organisation._meta.get_field(required).verbose_name}。", field=required)
    values.setdefault("sector", Sector.COMMUNITY)
    _check_dates(values, today=today)
    _default_term_end(values)
    rules.check_term_end(
        kind=values["kind"], sector=values["sector"], started_on=values.get("term_started_on"), ends_on=values.get("term_ends_on")
    )
    try:
        with transaction.atomic():
            if parent_id is None:
                rules.check_parent_kind(kind=values["kind"], parent_kind=None)
                if Organisation.objects.filter(depth=1).exists():
                    raise RuleViolation(None, "平台只能有一个顶层组织（区委）。", field="parent")
                _check_code_free(values["code"])
                org = Organisation.objects.add_root(create_kwargs=values)
            else:
                # the parent lock serialises siblings: the new path comes from the last child's
                parent = lock_organisation(parent_id)
                if parent.is_dissolved:
                    raise RuleViolation(None, f"上级组织“{parent.name}”已撤销，不能在其下新建组织。", field="parent")
                rules.check_parent_kind(kind=values["kind"], parent_kind=parent.kind)
                _check_code_free(values["code"])
                org = Organisation.objects.add_child(parent, create_kwargs=values)
            events.organisation_event(org, actor=actor, action=AuditAction.CREATE, before=None, after=events.snapshot(org), ip=ip)
    except IntegrityError as exc:
        _raise_code_clash_or(exc, values["code"])
    return org


def _raise_code_clash_or(exc: IntegrityError, code: str, *, exclude_pk: int | None = None) -> NoReturn:
    """A concurrent write took the code between our check and our insert: say so; anything else is a bug."""
    clash = Organisation.objects.filter(code=code)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise RuleViolation(None, f"组织代码“{code}”已被其他组织使用，组织代码必须唯一。", field="code") from exc
    raise exc


def update_organisation(
    *, actor: Any, organisation_id: int, values: dict[str, Any], comment: str = "", today: date | None = None, ip: str | None = None
) -> Organisation:
    """Edit an organisation's own fields; the history keeps before/after of what changed."""
    today = today or date.today()
    values = _clean_values(values)
    try:
        org = _update(actor=actor, organisation_id=organisation_id, values=values, comment=comment, today=today, ip=ip)
    except IntegrityError as exc:
        _raise_code_clash_or(exc, values.get("code", ""), exclude_pk=organisation_id)
    return org


def _update(*, actor: Any, organisation_id: int, values: dict[str, Any], comment: str, today: date, ip: str | None) -> Organisation:
    with transaction.atomic():
        org = lock_organisation(organisation_id)
        if org.is_dissolved:
            raise RuleViolation(None, f"“{org.name}”已撤销，不能修改。")
        before = events.snapshot(org)
        merged = {**{f: getattr(org, f) for f in EDITABLE_FIELDS}, **values}
        _check_dates(merged, today=today)
        if values.get("code") and values["code"] != org.code:
            _check_code_free(values["code"], exclude_pk=org.pk)
        if "kind" in values and values["kind"] != org.kind:
            parent = Organisation.objects.get_parent(org)
            rules.check_parent_kind(kind=values["kind"], parent_kind=parent.kind if parent else None)
            _check_kind_change(org, values["kind"])
        if "term_started_on" in values and "term_ends_on" not in values:
            merged["term_ends_on"] = None
            _default_term_end(merged)
        # ORG-013 judges a term when it is set or its basis changes, not every edit of the name
        if any(merged[f] != getattr(org, f) for f in TERM_FIELDS):
            rules.check_term_end(
                kind=merged["kind"], sector=merged["sector"], started_on=merged.get("term_started_on"), ends_on=merged.get("term_ends_on")
            )
        for field in EDITABLE_FIELDS:
            setattr(org, field, merged[field])
        # only our own fields: path, depth and numchild belong to treebeard (a concurrent move or add)
        org.save(update_fields=[*EDITABLE_FIELDS, "updated_at"])
        after = events.snapshot(org)
        old, new = events.changed(before, after)
        if old or new:
            events.organisation_event(org, actor=actor, action=AuditAction.UPDATE, before=old, after=new, comment=comment, ip=ip)
    return org


def _check_kind_change(org: Organisation, new_kind: str) -> None:
    from django.apps import apps

    member_model = apps.get_model("members", "Member")
    if org.holds_members and new_kind not in {k.value for k in rules.MEMBER_HOLDING_KINDS}:
        if member_model.objects.filter(organisation=org).exists():
            raise rules.ORG_017.violation(field="kind", org=org.name, kind=OrgKind(new_kind).label)
    for child in Organisation.objects.get_children(org):
        rules.check_parent_kind(kind=child.kind, parent_kind=new_kind)


def move_organisation(*, actor: Any, organisation_id: int, new_parent_id: int, comment: str = "", ip: str | None = None) -> Organisation:
    """Move an organisation with its whole subtree under another parent (tree-wide lock)."""
    with transaction.atomic():
        lock_tree()
        org = lock_subtree(organisation_id)
        target = lock_organisation(new_parent_id)
        if org.depth == 1:
            raise RuleViolation(None, "顶层组织（区委）不能移动。", field="parent")
        if target.pk == org.pk or target.path.startswith(org.path):
            raise RuleViolation(None, f"不能把“{org.name}”移动到它自己或其下级组织之下。", field="parent")
        if target.is_dissolved:
            raise RuleViolation(None, f"目标组织“{target.name}”已撤销。", field="parent")
        rules.check_parent_kind(kind=org.kind, parent_kind=target.kind)
        before = events.snapshot(org)
        if org.path[: -Organisation.steplen] == target.path:
            raise RuleViolation(None, f"“{org.name}”已在“{target.name}”之下。", field="parent")
        Organisation.objects.move(org, target, "last-child")
        org.refresh_from_db()
        events.organisation_event(
            org,
            actor=actor,
            action=AuditAction.MOVE,
            before={"parent_code": before["parent_code"]},
            after={"parent_code": target.code},
            comment=comment,
            ip=ip,
        )
    return org


def dissolve_organisation(
    *, actor: Any, organisation_id: int, on: date | None = None, comment: str = "", ip: str | None = None
) -> Organisation:
    """Dissolve (撤销) an organisation: refused while it or its subtree still holds members or live orgs."""
    from django.apps import apps

    on = on or date.today()
    if not comment.strip():
        raise RuleViolation(None, "请填写撤销原因（如上级批复文号）。", field="comment")
    member_model = apps.get_model("members", "Member")
    with transaction.atomic():
        org = lock_organisation(organisation_id)
        if org.is_dissolved:
            raise RuleViolation(None, f"“{org.name}”已于{org.dissolved_on}撤销。")
        if org.depth == 1:
            raise RuleViolation(None, "顶层组织（区委）不能撤销。")
        members = member_model.objects.filter(organisation__path__range=path_range(org.path)).count()
        if members:
            raise RuleViolation(None, f"“{org.name}”及其下级组织仍有{members}名党员，请先办理组织关系转接后再撤销。")
        live_children = Organisation.objects.filter(
            path__range=path_range(org.path), depth__gt=org.depth, dissolved_on__isnull=True
        ).count()
        if live_children:
            raise RuleViolation(None, f"“{org.name}”还有{live_children}个未撤销的下级组织，请先撤销或移走下级组织。")
        org.dissolved_on = on
        org.save(update_fields=["dissolved_on", "updated_at"])
        events.organisation_event(
            org,
            actor=actor,
            action=AuditAction.DISSOLVE,
            before={"dissolved_on": None},
            after={"dissolved_on": on.isoformat()},
            comment=comment,
            ip=ip,
        )
    return org


def appoint_seat(
    *,
    actor: Any,
    organisation_id: int,
    post: str,
    member_id: int | None = None,
    person_name: str = "",
    is_part_time: bool = False,
    started_on: date | None = None,
    ip: str | None = None,
) -> CommitteeSeat:
    """Put a member (or a named person from outside, ORG-021) on the committee; a new secretary replaces the old."""
    if post not in CommitteePost.values:
        raise RuleViolation(None, f"职务“{post}”无效。", field="post")
    person_name = " ".join(person_name.split())
    if not member_id and not person_name:
        raise RuleViolation(None, "请选择党员或填写姓名。", field="member")
    started_on = started_on or date.today()
    with transaction.atomic():
        org = lock_organisation(organisation_id)
        if org.is_dissolved:
            raise RuleViolation(None, f"“{org.name}”已撤销。")
        if member_id:
            _check_seat_member(org, member_id, is_part_time=is_part_time)
        elif not is_part_time:
            # a person without a member record here keeps their 组织关系 elsewhere
            raise rules.ORG_021.violation(field="is_part_time", person=person_name, org=org.name)
        ended: list[str] = []
        if post == CommitteePost.SECRETARY:
            for seat in CommitteeSeat.objects.select_for_update().filter(organisation=org, post=post, ended_on__isnull=True):
                if seat.started_on and started_on < seat.started_on:
                    raise RuleViolation(
                        None,
                        f"新任书记任职日期{started_on}早于现任书记{seat.holder_name}的任职日期{seat.started_on}，请核对任职日期。",
                        field="started_on",
                    )
                seat.ended_on = started_on
                seat.save(update_fields=["ended_on"])
                ended.append(seat.holder_name)
        seat = CommitteeSeat.objects.create(
            organisation=org,
            post=post,
            member_id=member_id,
            person_name=person_name if not member_id else "",
            is_part_time=is_part_time,
            started_on=started_on,
        )
        events.organisation_event(
            org,
            actor=actor,
            action=AuditAction.UPDATE,
            before={"committee": ended} if ended else None,
            after={"committee": f"{seat.get_post_display()}：{seat.holder_name}{'（兼职）' if is_part_time else ''}"},
            comment="委员任职",
            ip=ip,
        )
    return seat


def _check_seat_member(org: Organisation, member_id: int, *, is_part_time: bool) -> None:
    from django.apps import apps

    member = apps.get_model("members", "Member").objects.select_related("organisation").filter(pk=member_id).first()
    if member is None:
        raise RuleViolation(None, "所选党员不存在。", field="member")
    # a 党小组 holds no 组织关系 (ORG-012): its members belong to the branch above it
    home = org.path[: -Organisation.steplen] if org.kind in GROUP_KINDS else org.path
    inside = member.organisation.path.startswith(home)
    if not inside and not is_part_time:
        raise rules.ORG_021.violation(field="member", person=member.name, org=org.name)


def end_seat(*, actor: Any, seat_id: int, on: date | None = None, ip: str | None = None) -> CommitteeSeat:
    """End a committee seat (离任)."""
    on = on or date.today()
    with transaction.atomic():
        seat = CommitteeSeat.objects.select_for_update(of=("self",)).select_related("organisation", "member").get(pk=seat_id)
        if seat.ended_on:
            raise RuleViolation(None, f"{seat.holder_name}已于{seat.ended_on}离任。")
        if seat.started_on and on < seat.started_on:
            raise RuleViolation(None, "离任日期不能早于任职日期。", field="ended_on")
        seat.ended_on = on
        seat.save(update_fields=["ended_on"])
        events.organisation_event(
            seat.organisation,
            actor=actor,
            action=AuditAction.UPDATE,
            before={"committee": f"{seat.get_post_display()}：{seat.holder_name}"},
            after=None,
            comment="委员离任",
            ip=ip,
        )
    return seat
