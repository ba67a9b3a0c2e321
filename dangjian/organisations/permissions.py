"""Who may change the organisation tree, always inside the caller's subtree."""

from __future__ import annotations

from dangjian.core.scope import Scope

from .models import Organisation

# Mirrors accounts.choices.TREE_ROLES: accounts sits above this app, so the codes are repeated here
# (a test in accounts checks that the two stay equal).
TREE_ROLES = ("district_admin", "org_admin")


def can_change_organisation(scope: Scope, org: Organisation) -> bool:
    """Edit an organisation, add children under it, appoint or end its committee seats."""
    return scope.covers_path(org.path, roles=TREE_ROLES)


def can_restructure(scope: Scope, org: Organisation) -> bool:
    """Move or dissolve: only organisations strictly below one the caller administers.

    An admin cannot move or dissolve the organisation their own grant hangs on; that is for the
    level above.
    """
    if scope.is_superuser:
        return True
    return any(org.path.startswith(root) and org.path != root for root in scope.paths_for(*TREE_ROLES))


def can_import_organisations(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.paths_for(*TREE_ROLES))
