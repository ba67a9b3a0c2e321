"""Who may do what in the development pipeline, always inside the caller's subtree.

The branch (its secretary, or an org admin above) records the branch's steps; the superior party
committee (an org admin or district admin *above* the branch) records its own steps (备案, 预审,
审批) and reviews the materials online (线上审核).
"""

from __future__ import annotations

from dangjian.accounts.choices import SUBTREE_ROLES, Role
from dangjian.core.scope import Scope

_MANAGE = tuple(str(r) for r in SUBTREE_ROLES)
_SUPERIOR = (str(Role.ORG_ADMIN), str(Role.DISTRICT_ADMIN))

NO_VIEW = "发展党员档案仅供党支部书记和上级党组织管理员查看。"
NO_MANAGE = "只有本党支部书记或上级党组织管理员可以记录发展党员步骤、上传材料。"
NO_SUPERIOR = "这一步由上级党委办理：只有党支部的上级党组织管理员可以记录或审核。"
NO_CALENDAR = "工作日历由区委组织部管理员维护。"


def can_view_pipeline(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.paths_for(*_MANAGE))


def can_manage(scope: Scope, org_path: str) -> bool:
    """Register applicants, record branch steps, upload materials for a branch under ``org_path``."""
    return scope.covers_path(org_path, roles=_MANAGE)


def is_superior(scope: Scope, org_path: str) -> bool:
    """An org admin or district admin whose organisation is strictly above the branch."""
    if scope.is_superuser:
        return True
    return any(org_path.startswith(root) and org_path != root for root in scope.paths_for(*_SUPERIOR))


def can_edit_calendar(scope: Scope) -> bool:
    return scope.is_district_admin
