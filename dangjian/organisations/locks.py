"""Tree locks, always taken in this order: tree (root) before parent before node.

Writers that touch one node (create a child, edit, dissolve, seats) lock that one row. A move locks
the tree, then the whole moving subtree, so a concurrent child insert under any node of the subtree
waits for the move (and then sees the new paths) instead of writing a path the move has left behind.
"""

from __future__ import annotations

from dangjian.core.scope import path_range

from .models import Organisation


def lock_tree() -> None:
    """Serialise moves: every move locks the root rows first (SQLite IMMEDIATE serialises anyway)."""
    list(Organisation.objects.filter(depth=1).order_by("pk").select_for_update().values_list("pk", flat=True))


def lock_organisation(pk: int) -> Organisation:
    """Lock one node; the new child's path comes from the last sibling's, so lock the parent first."""
    return Organisation.objects.select_for_update().get(pk=pk)


def lock_subtree(pk: int) -> Organisation:
    """Lock a node and all its descendants (in path order); return the node, fresh."""
    path = Organisation.objects.values_list("path", flat=True).get(pk=pk)
    list(Organisation.objects.filter(path__range=path_range(path)).order_by("path").select_for_update().values_list("pk", flat=True))
    return Organisation.objects.get(pk=pk)
