"""insert_many writes what save() would write (COPY on PostgreSQL, bulk_create elsewhere)."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.core.bulk import insert_many
from dangjian.members.models import Member, MemberEvent
from dangjian.members.selectors import member_by_id_number
from dangjian.members.tests.factories import valid_id
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.tests.factories import make_org

pytestmark = pytest.mark.django_db


def test_inserted_members_have_ids_ciphertext_blind_index_and_history():
    district = make_org(None, "批量区委", OrgKind.DISTRICT_COMMITTEE, code="BLK")
    branch = make_org(district, "批量支部", OrgKind.GRID_BRANCH, code="BLK-B")
    numbers = [valid_id(date(1980, 1, 1 + n), male=True) for n in range(3)]
    people = [
        Member(
            name=f"批量{n}",
            gender="male",
            id_number=number,
            birth_date=date(1980, 1, 1 + n),
            join_date=date(2005, 7, 1),
            full_date=date(2006, 7, 1),
            status="full",
            organisation=branch,
            phone="13800138000",
        )
        for n, number in enumerate(numbers)
    ]
    # when inserted in bulk
    insert_many(Member, people)
    # then each instance has its primary key and is found again through the blind index
    assert all(p.pk for p in people)
    for person, number in zip(people, numbers, strict=True):
        found = member_by_id_number(number)
        assert found is not None and found.pk == person.pk
        assert found.phone == "13800138000" and found.join_month_day  # decrypted; month-day filled
    # and history rows (JSON) can follow them
    insert_many(MemberEvent, [MemberEvent(member=p, action="create", after={"name": p.name}) for p in people])
    assert list(MemberEvent.objects.filter(member__in=people).order_by("member_id").values_list("after", flat=True)) == [
        {"name": p.name} for p in people
    ]
    assert MemberEvent.objects.filter(member__in=people, at__isnull=False).count() == 3


def test_rows_given_plain_or_as_text_are_stored_as_save_stores_them():
    # given two members alike, one with dates and flags of the fields' own types and one with text
    # (the shortcut for plain values must not change what a text value becomes)
    district = make_org(None, "批量区委", OrgKind.DISTRICT_COMMITTEE, code="BLK")
    branch = make_org(district, "批量支部", OrgKind.GRID_BRANCH, code="BLK-B")

    def person(n, **values):
        return Member(
            name=f"批量{n}",
            gender="male",
            id_number=valid_id(date(1980, 2, 1 + n), male=True),
            status="full",
            organisation=branch,
            phone="13800138000",
            **values,
        )

    typed = person(0, birth_date=date(1980, 2, 1), join_date=date(2005, 7, 1), full_date=date(2006, 7, 1), is_flowing=True)
    texted = person(1, birth_date="1980-02-02", join_date="2005-07-01", full_date="2006-07-01", is_flowing="1")
    insert_many(Member, [typed, texted])
    # then both read back the same, with the month-day derived from the date
    rows = {m.name: m for m in Member.objects.filter(pk__in=[typed.pk, texted.pk])}
    for member in rows.values():
        assert member.join_date == date(2005, 7, 1) and member.full_date == date(2006, 7, 1)
        assert member.is_flowing is True and member.join_month_day == "07-01" and member.phone == "13800138000"
    assert rows["批量1"].birth_date == date(1980, 2, 2)
