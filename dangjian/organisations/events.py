"""Organisation history: one function per event, each writing an OrganisationEvent and an audit row."""

from __future__ import annotations

from typing import Any

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event

from .models import Organisation, OrganisationEvent

# what a user may edit on an organisation (services.update_organisation), and what history records
EDITABLE_FIELDS = (
    "name",
    "code",
    "kind",
    "sector",
    "affinity",
    "founded_on",
    "term_started_on",
    "term_ends_on",
    "grid_area",
    "address",
    "has_approval_authority",
)
SNAPSHOT_FIELDS = (*EDITABLE_FIELDS, "dissolved_on")


def snapshot(org: Organisation) -> dict[str, Any]:
    data = {f: _plain(getattr(org, f)) for f in SNAPSHOT_FIELDS}
    data["parent_code"] = _parent_code(org)
    return data


def _parent_code(org: Organisation) -> str:
    if org.depth <= 1:
        return ""
    parent_path = org.path[: -Organisation.steplen]
    return Organisation.objects.filter(path=parent_path).values_list("code", flat=True).first() or ""


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def organisation_event(
    org: Organisation,
    *,
    actor: Any,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    comment: str = "",
    ip: str | None = None,
) -> OrganisationEvent:
    event = OrganisationEvent.objects.create(
        organisation=org, actor=actor if getattr(actor, "pk", None) else None, action=action, before=before, after=after, comment=comment
    )
    record_event(
        actor=actor,
        action=action if action in AuditAction.values else AuditAction.UPDATE,
        obj=org,
        org_path=org.path,
        before=before,
        after=after,
        reason=comment,
        ip=ip,
    )
    return event
