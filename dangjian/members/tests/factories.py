"""Member factories: valid ID numbers with matching birth date and sex."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from dangjian.core.dates import add_months
from dangjian.core.idnumber import make_id_number
from dangjian.members.choices import Category, Education, MemberStatus
from dangjian.members.models import Member
from dangjian.organisations.models import Organisation

_seq = itertools.count(1)
NAMES = [
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄强",
    "周杰",
    "吴丽",
    "徐明",
    "孙涛",
    "胡军",
    "朱红",
    "高峰",
    "林晓",
    "何平",
    "郭勇",
]


def valid_id(born: date, *, male: bool, region: str = "110105") -> str:
    n = next(_seq)
    seq = (n * 2 + (1 if male else 0)) % 1000
    if seq % 2 != (1 if male else 0):
        seq = (seq + 1) % 1000
    return make_id_number(region, born, seq)


def make_member(org: Organisation, name: str | None = None, **extra: Any) -> Member:
    """Create a member row directly (encrypted fields and blind index filled by the fields)."""
    n = next(_seq)
    male = extra.pop("male", n % 2 == 1)
    born = extra.pop("birth_date", date(1960 + n % 40, 1 + n % 12, 1 + n % 28))
    status = extra.pop("status", MemberStatus.FULL)
    join = extra.pop("join_date", add_months(born, 12 * 25))
    values: dict[str, Any] = {
        "name": name or NAMES[n % len(NAMES)],
        "gender": "male" if male else "female",
        "id_number": extra.pop("id_number", None) or valid_id(born, male=male),
        "birth_date": born,
        "education": Education.BACHELOR,
        "category": Category.EMPLOYEE,
        "join_date": join,
        "full_date": add_months(join, 12) if status == MemberStatus.FULL else None,
        "status": status,
        "organisation": org,
        "phone": extra.pop("phone", f"139{n:08d}"[-11:]),
        "address": extra.pop("address", f"北京市东城区和平里街道和平社区{n}号楼"),
        **extra,
    }
    return Member.objects.create(**values)
