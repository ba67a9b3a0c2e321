"""Tree locks, always taken in this order: tree (root) before parent before node."""

from __future__ import annotations

from .models import Organisation


def lock_tree() -> None:
    """Serialise moves: every move locks the root rows first (SQLite IMMEDIATE serialises anyway)."""
    list(Organisation.objects.filter(depth=1).order_by("pk").select_for_update().values_list("pk", flat=True))


def lock_organisation(pk: int) -> Organisation:
    """Lock one node; the new child's path comes from the last sibling's, so lock the parent first."""
    return Organisation.objects.select_for_update().get(pk=pk)
