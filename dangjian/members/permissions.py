"""Who may do what with member records, always inside the caller's subtree."""

from __future__ import annotations

from dangjian.accounts.choices import REGISTRY_ROLES, UNMASK_ROLES
from dangjian.core.scope import Scope

from .models import Member

_REGISTRY = tuple(str(r) for r in REGISTRY_ROLES)
_UNMASK = tuple(str(r) for r in UNMASK_ROLES)


def can_manage_members(scope: Scope, org_path: str) -> bool:
    """Create, edit, import and export members of organisations under ``org_path``."""
    return scope.covers_path(org_path, roles=_REGISTRY)


def can_view_registry(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.paths_for(*_REGISTRY))


def can_unmask(scope: Scope, member: Member) -> bool:
    """Entitled roles in the member's subtree (PII-001), or the member themself."""
    if scope.member_id == member.pk:
        return True
    return scope.covers_path(member.organisation.path, roles=_UNMASK)
