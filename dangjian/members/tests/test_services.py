from datetime import date

import pytest
from django.db import connection

from dangjian.accounts.scopes import build_scope
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core.rules import RuleViolation
from dangjian.members.selectors import members_visible_to
from dangjian.members.services import create_member, unmask_member
from dangjian.members.tests.factories import valid_id

TODAY = date(2026, 11, 28)


def _values(world, **extra):
    born = date(1985, 3, 9)
    return {
        "name": "新党员",
        "id_number": valid_id(born, male=True),
        "join_date": date(2010, 7, 1),
        "full_date": date(2011, 7, 1),
        "status": "full",
        "organisation": world.branch_a1_1,
        "phone": "13912345678",
        "address": "北京市东城区和平里街道和平社区5号楼",
        **extra,
    }


def test_created_member_fills_birth_and_sex_from_the_id_number(world):
    member = create_member(actor=world.charlie, values=_values(world), today=TODAY)
    assert member.birth_date == date(1985, 3, 9)
    assert member.gender == "male"


def test_PII_001_personal_data_is_not_stored_in_plaintext(world):
    # given a member created through the service
    values = _values(world)
    member = create_member(actor=world.charlie, values=values, today=TODAY)
    # when the row is read with raw SQL
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address FROM members_member WHERE id = %s", [member.pk])
        raw = cursor.fetchone()
    # then none of the three values appears in clear
    assert values["id_number"] not in raw[0]
    assert "13912345678" not in raw[1]
    assert "和平社区" not in raw[2]


def test_PII_006_a_second_record_with_the_same_id_number_is_refused(world):
    values = _values(world)
    create_member(actor=world.charlie, values=values, today=TODAY)
    with pytest.raises(RuleViolation) as exc:
        create_member(actor=world.charlie, values={**values, "name": "重复"}, today=TODAY)
    assert "一人只能有一条党员记录" in exc.value.message
    assert "PII-006" in exc.value.message


def test_unmask_writes_exactly_one_audit_row(world):
    member = create_member(actor=world.charlie, values=_values(world), today=TODAY)
    before = AuditEvent.objects.filter(action=AuditAction.UNMASK).count()
    plain = unmask_member(actor=world.charlie, member=member, reason="核对身份办理转接")
    assert plain["phone"] == "13912345678"
    assert AuditEvent.objects.filter(action=AuditAction.UNMASK).count() == before + 1


def test_scope_of_a_branch_secretary_excludes_the_neighbouring_branch(world):
    visible = set(members_visible_to(build_scope(world.charlie)).values_list("pk", flat=True))
    assert {m.pk for m in world.a1_1_members} <= visible
    assert not visible & {m.pk for m in world.a1_2_members + world.b1_1_members}
