"""make_city: a valid tree, valid members, personal data readable and findable as the ORM writes it."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from dangjian.core.dates import add_months
from dangjian.demo.city import ROOT_CODE, build_city_plan, step_of
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.members.rules import member_violations
from dangjian.members.selectors import blind_lookup, member_by_id_number
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation

TODAY = date(2026, 5, 1)

pytestmark = pytest.mark.django_db


def test_tree_paths_are_treebeard_steps():
    # given / when / then
    assert [step_of(n) for n in (1, 9, 10, 35, 36, 37)] == ["0001", "0009", "000A", "000Z", "0010", "0011"]


def test_the_plan_is_a_function_of_its_seed_and_sizes():
    # given
    first = build_city_plan(members=3000, orgs=150, seed=7, today=TODAY)
    # when
    again = build_city_plan(members=3000, orgs=150, seed=7, today=TODAY)
    # then
    assert [(o.path, o.code, o.size) for o in first.orgs] == [(o.path, o.code, o.size) for o in again.orgs]
    assert sum(o.size for o in first.orgs) == 3000
    assert abs(len(first.orgs) - 150) <= 10


def test_make_city_writes_a_valid_tree_and_valid_members():
    # given
    out = io.StringIO()
    # when
    call_command("make_city", members=1500, orgs=80, seed=3, today=TODAY, stdout=out)
    # then the tree passes treebeard's own check and has one root
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    assert list(Organisation.objects.filter(depth=1).values_list("code", flat=True)) == [ROOT_CODE]
    assert Member.objects.count() == 1500
    # members sit in branches only, 10–60 to a branch (a few over when the rest is spread)
    sizes = Counter(Member.objects.values_list("organisation_id", flat=True))
    kinds = dict(Organisation.objects.filter(pk__in=sizes).values_list("pk", "kind"))
    assert set(kinds.values()) <= MEMBER_HOLDING_KINDS
    assert min(sizes.values()) >= 10 and max(sizes.values()) <= 70
    # every member passes the registry rules and has a full date a year after joining
    for member in Member.objects.all()[:300]:
        values = {f.attname: getattr(member, f.attname) for f in Member._meta.concrete_fields}
        assert member_violations(values, today=TODAY) == []
        if member.status == MemberStatus.FULL:
            assert member.full_date == add_months(member.join_date, 12)
        assert member.join_month_day == f"{member.join_date:%m-%d}"


def test_make_city_personal_data_is_encrypted_and_found_through_the_blind_index():
    # given
    call_command("make_city", members=300, orgs=20, seed=5, today=TODAY, stdout=io.StringIO())
    # when
    member = Member.objects.order_by("pk")[123]
    # then the ORM decrypts it and the blind indexes find it
    assert len(member.id_number) == 18 and member.phone and member.address
    assert member_by_id_number(member.id_number).pk == member.pk
    assert Member.objects.filter(phone_hash=blind_lookup("phone", member.phone), pk=member.pk).exists()
    raw = Member.objects.filter(pk=member.pk).values_list("id_number", flat=True).query
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(*raw.sql_with_params())
        stored = cursor.fetchone()[0]
    assert member.id_number not in stored and stored.startswith("1$")


def test_make_city_refuses_a_registry_that_is_not_empty():
    # given
    call_command("make_city", members=200, orgs=12, seed=1, today=TODAY, stdout=io.StringIO())
    # when / then
    with pytest.raises(CommandError, match="只在空的登记库上"):
        call_command("make_city", members=200, orgs=12, seed=1, today=TODAY, stdout=io.StringIO())
