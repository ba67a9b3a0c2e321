"""Building a user's Scope from their role grants (ADR 0004)."""

from __future__ import annotations

from typing import Any

from dangjian.core.scope import Scope

from .choices import SUBTREE_ROLES
from .models import RoleGrant


def build_scope(user: Any) -> Scope:
    """The Scope for ``user``: one query for grants, one for the member record (none when the user was
    loaded with it)."""
    if user is None or not user.is_authenticated:
        return Scope.anonymous()
    roles: dict[str, list[str]] = {}
    role_ids: dict[str, list[int]] = {}
    grants = RoleGrant.objects.filter(user=user, organisation__dissolved_on__isnull=True).values_list(
        "role", "organisation__path", "organisation_id"
    )
    for role, path, org_id in grants:
        roles.setdefault(role, []).append(path)
        role_ids.setdefault(role, []).append(org_id)
    member_id = None
    if _has_member(user):
        cached = user._state.fields_cache
        if "member" in cached:  # loaded with the user (select_related("user__member"), the token path)
            member_id = cached["member"].pk if cached["member"] is not None else None
        else:
            member_model = user._meta.get_field("member").related_model
            member_id = member_model.objects.filter(user=user).values_list("pk", flat=True).first()
    return Scope(
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
        roles={k: tuple(v) for k, v in roles.items()},
        role_org_ids={k: tuple(v) for k, v in role_ids.items()},
        member_id=member_id,
        subtree_roles=tuple(str(r) for r in SUBTREE_ROLES),
    )


def _has_member(user: Any) -> bool:
    try:
        user._meta.get_field("member")
    except Exception:
        return False
    return True
