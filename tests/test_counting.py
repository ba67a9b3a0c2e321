"""List totals: exact on the last page without a query, cached otherwise and invalidated by writes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conftest import make_member, make_org
from dangjian.core.counting import bump_tables, cached_count, page_total
from dangjian.members.models import Member
from dangjian.organisations.choices import OrgKind


@pytest.fixture
def branch(db):
    cache.clear()
    district = make_org(None, "计数区委", OrgKind.DISTRICT_COMMITTEE, code="CNT")
    return make_org(district, "计数支部", OrgKind.GRID_BRANCH, code="CNT-B")


def _counts(func):
    with CaptureQueriesContext(connection) as queries:
        value = func()
    return value, sum("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_a_short_page_is_its_own_total_without_a_count_query(branch):
    for _ in range(3):
        make_member(branch)
    members = Member.objects.filter(organisation=branch)
    total, counted = _counts(lambda: page_total(members, offset=0, limit=50, rows=3, cached=True))
    assert (total, counted) == (3, 0)
    # a page past the end asks the database (the total is not "offset")
    total, counted = _counts(lambda: page_total(members, offset=100, limit=50, rows=0))
    assert (total, counted) == (3, 1)


@pytest.mark.django_db(transaction=True)
def test_a_full_page_total_is_cached_until_a_member_is_saved_or_deleted():
    cache.clear()
    district = make_org(None, "计数区委", OrgKind.DISTRICT_COMMITTEE, code="CNT")
    branch = make_org(district, "计数支部", OrgKind.GRID_BRANCH, code="CNT-B")
    people = [make_member(branch) for _ in range(3)]
    members = Member.objects.filter(organisation=branch)
    # given a first full page counted once
    assert _counts(lambda: page_total(members, offset=0, limit=2, rows=2, cached=True)) == (3, 1)
    # then the same list is not counted again
    assert _counts(lambda: page_total(members, offset=0, limit=2, rows=2, cached=True)) == (3, 0)
    # when a member is added through the ORM, the total is new at once
    make_member(branch)
    assert _counts(lambda: cached_count(members)) == (4, 1)
    # when one is deleted, too
    people[0].delete()
    assert _counts(lambda: cached_count(members)) == (3, 1)
    # a bulk path that bypasses signals bumps the table itself
    Member.objects.filter(pk=people[1].pk).update(organisation=district)
    assert _counts(lambda: cached_count(members)) == (3, 0)  # stale until bumped (bounded by the cache timeout)
    bump_tables(Member._meta.db_table)
    assert _counts(lambda: cached_count(members)) == (2, 1)


@pytest.mark.django_db(transaction=True)
def test_counts_inside_a_transaction_are_not_cached_and_bumps_wait_for_the_commit():
    cache.clear()
    district = make_org(None, "计数区委", OrgKind.DISTRICT_COMMITTEE, code="CNT")
    branch = make_org(district, "计数支部", OrgKind.GRID_BRANCH, code="CNT-B")
    make_member(branch)
    members = Member.objects.filter(organisation=branch)
    with transaction.atomic():
        make_member(branch)
        assert _counts(lambda: cached_count(members)) == (2, 1)
        assert _counts(lambda: cached_count(members)) == (2, 1)  # not cached in the transaction
    assert _counts(lambda: cached_count(members)) == (2, 1)
    try:
        with transaction.atomic():
            make_member(branch)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    # the rolled-back save bumped nothing: the committed total stays cached
    assert _counts(lambda: cached_count(members)) == (2, 0)


@pytest.mark.django_db(transaction=True)
def test_the_member_list_page_counts_once_and_shows_a_new_member_at_once(client):
    from conftest import build_world

    cache.clear()
    world = build_world()
    client.force_login(world.bob)  # street A's administrator
    shown = len(world.a1_1_members) + len(world.a1_2_members)

    def page():
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/members/?page=1").content.decode()
        return html, sum("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

    # given a first load that counts street A's members
    html, counted = page()
    assert f"共 {shown} 人" in html and counted >= 1
    # then a reload shows the same total without counting the registry again
    html, recounted = page()
    assert f"共 {shown} 人" in html and recounted == counted - 1
    # and a member registered meanwhile is in the total of the next load
    make_member(world.branch_a1_2)
    html, _ = page()
    assert f"共 {shown + 1} 人" in html
