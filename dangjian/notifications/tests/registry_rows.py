"""Organisations, members and accounts for notification tests, made without importing those apps.

notifications sits below organisations, accounts and members (import-linter layers), so its tests
read their models from the app registry, as organisations' tests do for members.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.apps import apps

from dangjian.core.idnumber import make_id_number

_seq = itertools.count(1)


def add_org(name: str) -> Any:
    """A root 党支部 (its own subtree, apart from the world's)."""
    n = next(_seq)
    values = {"name": name, "code": f"N{n:06d}", "kind": "branch", "sector": "community", "founded_on": date(2015, 7, 1)}
    return apps.get_model("organisations", "Organisation").objects.add_root(create_kwargs=values)


def add_member(org: Any, *, join_date: date, **extra: Any) -> Any:
    """A full member who joined on ``join_date``, with a valid unique ID number and a mobile."""
    n = next(_seq)
    born = date(join_date.year - 30, 1 + n % 12, 1 + n % 28)
    values: dict[str, Any] = {
        "name": extra.pop("name", f"党员{n}"),
        "gender": "male",
        "id_number": make_id_number("130102", born, (2 * n + 1) % 1000),
        "birth_date": born,
        "join_date": join_date,
        "status": "full",
        "organisation": org,
        "phone": extra.pop("phone", f"137{n:08d}"),
        **extra,
    }
    return apps.get_model("members", "Member").objects.create(**values)


def add_user(username: str) -> Any:
    return apps.get_model("accounts", "User").objects.create_user(username=username, password="Test#2026-notifications")
