"""Helpers for the recruitment tests: a person registered in branch A1-1, scopes of the personas."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.accounts.scopes import build_scope
from dangjian.core.idnumber import make_id_number
from dangjian.core.scope import Scope
from dangjian.recruitment import services
from dangjian.recruitment.models import Candidate

_seq = itertools.count(301, 2)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def scope_of(user: Any) -> Scope:
    return build_scope(user)


def pdf(name: str = "申请书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def new_id(born: date = date(1995, 6, 15)) -> str:
    return make_id_number("110101", born, next(_seq) % 1000)


def ensure_introducers(branch: Any) -> None:
    """Two full members of long standing in ``branch``: the people ``demo.step_values`` picks for steps
    5 and 9 (培养联系人, 入党介绍人). The world's members get birth dates from a global sequence, so
    without these a test's outcome would depend on how many members other tests made first."""
    from dangjian.members.models import Member
    from dangjian.members.tests.factories import make_member

    old = Member.objects.filter(organisation=branch, status="full", left_on__isnull=True, full_date__lte=date(2015, 1, 1))
    for n in range(2 - min(old.count(), 2)):
        make_member(branch, f"老党员{n + 1}", birth_date=date(1955, 3, 1 + n), join_date=date(1985, 7, 1))


def register(world: Any, *, applied: date = date(2020, 1, 6), org: Any = None, today: date | None = None, **values: Any) -> Candidate:
    ensure_introducers(org or world.branch_a1_1)
    return services.register_candidate(
        actor=world.charlie,
        values={
            "name": values.pop("name", "申请人甲"),
            "id_number": values.pop("id_number", None) or new_id(),
            "organisation": org or world.branch_a1_1,
            "applied_on": applied,
            "work_unit": "和平里社区卫生服务中心",
            **values,
        },
        upload=pdf(),
        today=today or date(2030, 1, 1),
    )
