"""Registry reads: each persona sees its subtree (plus its own record); search by ID/phone is exact."""

import pytest
from django.http import Http404

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant
from dangjian.accounts.scopes import build_scope
from dangjian.members.permissions import can_manage_members, can_unmask, can_view_registry
from dangjian.members.selectors import (
    MemberFilters,
    filter_members,
    get_member_for,
    masked,
    member_by_id_number,
    members_visible_to,
)
from dangjian.members.tests.factories import make_member


def _groups(world):
    return {
        "a1_1": {m.pk for m in world.a1_1_members},
        "a1_2": {m.pk for m in world.a1_2_members},
        "b1_1": {m.pk for m in world.b1_1_members},
        "dave": {world.dave_member.pk},
    }


VISIBLE = {
    "alice": ("a1_1", "a1_2", "b1_1"),
    "bob": ("a1_1", "a1_2"),
    "charlie": ("a1_1",),
    "dave": ("dave",),
    "erin": ("a1_2",),
    "frank": ("b1_1",),
    "grace": (),
    "heidi": (),
    "ivan": (),
}


def _expected(world, persona):
    groups = _groups(world)
    return set().union(*(groups[g] for g in VISIBLE[persona])) if VISIBLE[persona] else set()


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_members_visible_to_each_persona(world, persona):
    # given a persona's scope
    scope = build_scope(world.persona(persona))
    # when the registry is read
    visible = set(members_visible_to(scope).values_list("pk", flat=True))
    # then exactly the members of its subtree (dave: only himself; base keeper, liaison, resident: nobody)
    assert visible == _expected(world, persona)


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_get_member_for_answers_404_outside(world, persona):
    scope = build_scope(world.persona(persona))
    expected = _expected(world, persona)
    for member in world.a1_1_members + world.a1_2_members + world.b1_1_members:
        if member.pk in expected:
            assert get_member_for(scope, member.pk) == member
        else:
            with pytest.raises(Http404):
                get_member_for(scope, member.pk)


def test_a_secretary_also_sees_her_own_record_in_another_branch(world):
    # given charlie, secretary of A1-1, whose own member record is in B1-1
    own = make_member(world.branch_b1_1, "查理", user=world.charlie)
    # then he sees A1-1 and his own record, no one else of B1-1
    visible = set(members_visible_to(build_scope(world.charlie)).values_list("pk", flat=True))
    assert visible == _groups(world)["a1_1"] | {own.pk}


def test_secretary_of_one_branch_and_member_of_another_sees_the_right_union(world):
    # given erin (A1-2 secretary) who is also a member of B1-1 with her own record there
    RoleGrant.objects.create(user=world.erin, role=Role.MEMBER, organisation=world.branch_b1_1)
    own = make_member(world.branch_b1_1, "艾琳", user=world.erin)
    # then she sees A1-2 in full and, in B1-1, only herself
    visible = set(members_visible_to(build_scope(world.erin)).values_list("pk", flat=True))
    assert visible == _groups(world)["a1_2"] | {own.pk}


def test_filters_never_leave_the_scope(world):
    # given bob (street A) filtering by an organisation outside his subtree or searching a name from B
    scope = build_scope(world.bob)
    outsider = world.b1_1_members[0]
    # then nothing from B comes back
    assert not filter_members(scope, MemberFilters(org_id=world.branch_b1_1.pk)).exists()
    assert not filter_members(scope, MemberFilters(q=outsider.id_number)).exists()
    assert outsider.pk not in set(filter_members(scope, MemberFilters(q=outsider.name)).values_list("pk", flat=True))


def test_search_by_id_number_and_phone_is_exact(world):
    # given alice and a member with a known phone
    scope = build_scope(world.alice)
    target = make_member(world.branch_a1_1, "检索对象", phone="13600001234")
    # then the whole ID number or phone finds it, a fragment does not
    assert list(filter_members(scope, MemberFilters(q=target.id_number))) == [target]
    assert list(filter_members(scope, MemberFilters(q=target.id_number.lower()))) == [target]
    assert list(filter_members(scope, MemberFilters(q="136 0000 1234"))) == [target]
    assert not filter_members(scope, MemberFilters(q=target.id_number[:10])).exists()
    assert not filter_members(scope, MemberFilters(q="13600001")).exists()
    assert not filter_members(scope, MemberFilters(q="1234")).exists()


def test_filter_by_subtree_status_and_flags(world):
    scope = build_scope(world.alice)
    flowing = make_member(world.branch_a1_2, "流动者", is_flowing=True, whereabouts="深圳", status="probationary", join_date="2026-01-01")
    assert set(filter_members(scope, MemberFilters(org_id=world.street_a.pk)).values_list("pk", flat=True)) == (
        _groups(world)["a1_1"] | _groups(world)["a1_2"] | {flowing.pk}
    )
    assert list(filter_members(scope, MemberFilters(flags=("flowing",)))) == [flowing]
    assert list(filter_members(scope, MemberFilters(status="probationary"))) == [flowing]
    assert filter_members(scope, MemberFilters(org_id=10**9)).count() == 0


def test_member_by_id_number_is_registry_wide_and_exact(world):
    member = world.b1_1_members[0]
    assert member_by_id_number(member.id_number) == member
    assert member_by_id_number("") is None
    assert member_by_id_number(member.id_number[:-1]) is None


def test_PII_004_masked_view_of_a_member(world):
    member = make_member(world.branch_a1_1, phone="13812341234", address="北京市东城区和平里街道和平社区3号楼")
    view = masked(member)
    assert view == {
        "id_number": member.id_number[:6] + "********" + member.id_number[-4:],
        "phone": "138****1234",
        "address": "北京市东城区和平里街道和平社区****",
    }


def test_PII_001_who_may_unmask_and_manage(world):
    member = world.a1_1_members[0]
    # the branch's secretary and the admins above may unmask; the neighbour secretary may not
    assert can_unmask(build_scope(world.charlie), member)
    assert can_unmask(build_scope(world.bob), member)
    assert not can_unmask(build_scope(world.erin), member)
    assert not can_unmask(build_scope(world.frank), member)
    # a member sees their own data in full, nobody else's
    assert can_unmask(build_scope(world.dave), world.dave_member)
    assert not can_unmask(build_scope(world.dave), member)
    assert can_manage_members(build_scope(world.charlie), world.branch_a1_1.path)
    assert not can_manage_members(build_scope(world.charlie), world.branch_a1_2.path)
    assert not can_view_registry(build_scope(world.dave))
    assert not can_view_registry(build_scope(world.grace))


def test_PII_008_a_member_sees_and_may_unmask_their_own_record_only(world):
    # given dave, a member without any admin role (PII-008: people may see their own data)
    scope = build_scope(world.dave)
    # then his own record is visible and unmaskable by him, and no one else's
    assert get_member_for(scope, world.dave_member.pk) == world.dave_member
    assert can_unmask(scope, world.dave_member)
    neighbour = world.a1_1_members[0]
    with pytest.raises(Http404):
        get_member_for(scope, neighbour.pk)
    assert not can_unmask(scope, neighbour)


def test_members_who_left_are_not_in_current_lists_but_their_record_is_still_found(world):
    # given a member of A1-1 who died last year
    from datetime import date

    from dangjian.members.choices import ExitReason

    gone = world.a1_1_members[0]
    gone.left_on, gone.exit_reason = date(2026, 1, 5), ExitReason.DECEASED
    gone.save()
    scope = build_scope(world.charlie)
    # when the branch secretary lists the branch
    listed = set(filter_members(scope, MemberFilters()).values_list("pk", flat=True))
    # then the record is not among current members, is found on request, and its page still opens
    assert gone.pk not in listed and world.a1_1_members[1].pk in listed
    assert gone.pk in set(filter_members(scope, MemberFilters(include_left=True)).values_list("pk", flat=True))
    assert get_member_for(scope, gone.pk) == gone
