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
