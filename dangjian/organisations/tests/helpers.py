"""Member rows for organisation tests, made without importing the members app (layers: organisations
sits below members, so its tests read the model from the app registry)."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.apps import apps

from dangjian.core.dates import add_months
from dangjian.core.idnumber import make_id_number

_seq = itertools.count(1)


def add_member(org: Any, *, status: str = "full", **extra: Any) -> Any:
    """One member of ``org`` with a valid, unique ID number (region 120101, apart from the world's)."""
    n = next(_seq)
    born = date(1960 + n % 40, 1 + n % 12, 1 + n % 28)
    join = extra.pop("join_date", add_months(born, 12 * 25))
    values: dict[str, Any] = {
        "name": f"党员{n}",
        "gender": "male",
        "id_number": make_id_number("120101", born, (2 * n + 1) % 1000),
        "birth_date": born,
        "join_date": join,
        "full_date": add_months(join, 12) if status == "full" else None,
        "status": status,
        "organisation": org,
        **extra,
    }
    return apps.get_model("members", "Member").objects.create(**values)
