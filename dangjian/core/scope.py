"""The caller's reach: which organisation subtrees they see, with which roles (ADR 0004).

``Scope`` is a core type. accounts builds it per request; lower apps receive it and filter
through ``subtree_q`` / ``Scope.filter``, the one helper every read of organisations and members
goes through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

PATH_MAX = "Z" * 255  # above every treebeard path character (0-9A-Z)


def path_range(path: str) -> tuple[str, str]:
    """Bounds of a materialised-path subtree; a range uses the index where LIKE cannot."""
    return (path, path + PATH_MAX)


def subtree_q(paths: list[str] | tuple[str, ...], *, prefix: str = "") -> Q:
    """A Q selecting rows whose organisation path lies in any of ``paths``' subtrees.

    ``prefix`` is the relation from the queried model to the organisation, e.g.
    ``"organisation__"`` for members; empty for organisations themselves.
    """
    roots = _outermost(paths)
    if not roots:
        return Q(pk__in=[])
    query = Q()
    for root in roots:
        query |= Q(**{f"{prefix}path__range": path_range(root)})
    return query


def _outermost(paths: list[str] | tuple[str, ...]) -> list[str]:
    """Drop paths already covered by an ancestor in the list."""
    roots: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return roots


@dataclass(frozen=True)
class Scope:
    """What a user may see: organisation subtrees per role, and their own member record."""

    user_id: int | None
    is_superuser: bool = False
    # role code -> organisation paths where that role is held
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # role code -> organisation ids where that role is held
    role_org_ids: dict[str, tuple[int, ...]] = field(default_factory=dict)
    member_id: int | None = None
    # roles whose grant gives read access to the whole subtree
    subtree_roles: tuple[str, ...] = ("district_admin", "org_admin", "branch_secretary")

    @classmethod
    def anonymous(cls) -> Scope:
        return cls(user_id=None)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or any(self.roles.get(r) for r in roles)

    @property
    def is_district_admin(self) -> bool:
        return self.is_superuser or bool(self.roles.get("district_admin"))

    @property
    def subtree_paths(self) -> tuple[str, ...]:
        """Roots of every subtree visible through an admin-type role."""
        paths: list[str] = []
        for role in self.subtree_roles:
            paths.extend(self.roles.get(role, ()))
        return tuple(_outermost(paths))

    def paths_for(self, *roles: str) -> tuple[str, ...]:
        paths: list[str] = []
        for role in roles:
            paths.extend(self.roles.get(role, ()))
        return tuple(_outermost(paths))

    def orgs_q(self, *, prefix: str = "", roles: tuple[str, ...] | None = None) -> Q:
        """Q over organisations (or via ``prefix`` over related rows) inside the visible subtrees."""
        if self.is_superuser:
            return Q()
        paths = self.paths_for(*roles) if roles else self.subtree_paths
        return subtree_q(list(paths), prefix=prefix)

    def filter(self, queryset: QuerySet[Any], *, prefix: str = "", roles: tuple[str, ...] | None = None) -> QuerySet[Any]:
        return queryset.filter(self.orgs_q(prefix=prefix, roles=roles))

    def covers_path(self, path: str, *, roles: tuple[str, ...] | None = None) -> bool:
        if self.is_superuser:
            return True
        paths = self.paths_for(*roles) if roles else self.subtree_paths
        return any(path.startswith(root) for root in paths)


def common_ancestor_path(paths: list[str], *, steplen: int = 4) -> str:
    """The deepest tree path above every path given ("" when none), e.g. for filing an audit event."""
    if not paths:
        return ""
    low, high = min(paths), max(paths)
    size = 0
    while size < min(len(low), len(high)) and low[size] == high[size]:
        size += 1
    return low[: size - size % steplen]
