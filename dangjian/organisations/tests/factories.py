"""Organisation factories: always through the treebeard manager."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from dangjian.organisations.choices import OrgKind, Sector
from dangjian.organisations.models import Organisation

_codes = itertools.count(1)


def make_org(parent: Organisation | None, name: str, kind: str = OrgKind.BRANCH, **extra: Any) -> Organisation:
    """Add an organisation directly through treebeard (no service, no events): for test worlds."""
    values: dict[str, Any] = {
        "name": name,
        "code": extra.pop("code", f"T{next(_codes):06d}"),
        "kind": kind,
        "sector": extra.pop("sector", Sector.COMMUNITY),
        "founded_on": extra.pop("founded_on", date(2015, 7, 1)),
        **extra,
    }
    if parent is None:
        return Organisation.objects.add_root(create_kwargs=values)
    parent.refresh_from_db()
    return Organisation.objects.add_child(parent, create_kwargs=values)
