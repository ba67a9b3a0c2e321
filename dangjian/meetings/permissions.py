"""Who may do what with meeting records; the object itself is always loaded through the scope first."""

from __future__ import annotations

from dangjian.core.scope import Scope
from dangjian.organisations.models import Organisation

SECRETARY_ROLES = ("branch_secretary",)
SUPERIOR_ROLES = ("org_admin", "district_admin")


def can_record(scope: Scope, branch: Organisation) -> bool:
    """The branch's secretary (or a secretary above it) records, edits, submits and amends its records."""
    return scope.is_superuser or scope.covers_path(branch.path, roles=SECRETARY_ROLES)


def holds_role_at(scope: Scope, branch: Organisation) -> bool:
    """The caller acts for the branch itself: a role granted at the branch, or membership of it."""
    return any(branch.pk in ids for ids in scope.role_org_ids.values())


def superior_path(scope: Scope, branch: Organisation) -> str | None:
    """The deepest superior organisation (strictly above the branch) the caller acts for as admin;
    None when the caller holds no such role, or acts for the branch itself (own reads, own records)."""
    if holds_role_at(scope, branch):
        return None
    above = [p for p in scope.paths_for(*SUPERIOR_ROLES) if branch.path.startswith(p) and p != branch.path]
    if not above:
        return None
    return max(above, key=len)


def can_review(scope: Scope, branch: Organisation) -> bool:
    """线上审核: an org admin or district admin of a superior organisation, never the branch's own role."""
    return superior_path(scope, branch) is not None or (scope.is_superuser and not holds_role_at(scope, branch))


def can_view_compliance(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.subtree_paths)


def can_view_reads(scope: Scope) -> bool:
    """The 调阅 log: admins of organisations (not branch secretaries, whose branch is read)."""
    return scope.is_superuser or bool(scope.paths_for(*SUPERIOR_ROLES))


def can_change_settings(scope: Scope) -> bool:
    return scope.is_district_admin
