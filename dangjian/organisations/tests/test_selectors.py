"""Reads of the tree are scoped: a Scope sees its subtrees only; outside answers 404.

Scopes are written out here (core type); the personas' scopes built from role grants are tested in
accounts/tests/test_scopes.py, above this app.
"""

import pytest
from django.http import Http404

from dangjian.core.scope import Scope
from dangjian.organisations.models import Organisation
from dangjian.organisations.selectors import (
    ancestors_of,
    branches_visible_to,
    children_of,
    get_organisation_for,
    organisation_choices,
    organisations_visible_to,
    parent_of,
    search_organisations,
    subtree,
    tree_rows,
)
from dangjian.organisations.tests.factories import make_org

ORG_ATTRS = ("district", "street_a", "street_b", "community_a1", "community_b1", "branch_a1_1", "branch_a1_2", "branch_b1_1")

# persona -> (role, organisation attribute) as in the world fixture
GRANTS = {
    "alice": ("district_admin", "district"),
    "bob": ("org_admin", "street_a"),
    "charlie": ("branch_secretary", "branch_a1_1"),
    "dave": ("member", "branch_a1_1"),
    "erin": ("branch_secretary", "branch_a1_2"),
    "frank": ("org_admin", "street_b"),
    "grace": ("base_keeper", "community_a1"),
    "heidi": ("unit_liaison", "community_a1"),
    "ivan": ("resident", "community_a1"),
}

VISIBLE_ORGS = {
    "alice": set(ORG_ATTRS),
    "bob": {"street_a", "community_a1", "branch_a1_1", "branch_a1_2"},
    "charlie": {"branch_a1_1"},
    "dave": set(),
    "erin": {"branch_a1_2"},
    "frank": {"street_b", "community_b1", "branch_b1_1"},
    "grace": set(),
    "heidi": set(),
    "ivan": set(),
}


def _scope(world, *grants):
    roles: dict[str, tuple[str, ...]] = {}
    for role, attr in grants:
        roles[role] = (*roles.get(role, ()), getattr(world, attr).path)
    return Scope(user_id=1, roles=roles)


def _names(world, orgs):
    by_pk = {getattr(world, attr).pk: attr for attr in ORG_ATTRS}
    return {by_pk[o.pk] for o in orgs}


@pytest.mark.parametrize("persona", sorted(VISIBLE_ORGS))
def test_each_persona_sees_exactly_its_own_subtree(world, persona):
    # given a persona's scope
    scope = _scope(world, GRANTS[persona])
    # when organisations are listed
    visible = organisations_visible_to(scope)
    # then exactly that subtree is returned
    assert _names(world, visible) == VISIBLE_ORGS[persona]


@pytest.mark.parametrize("persona", sorted(VISIBLE_ORGS))
def test_get_organisation_for_answers_404_outside_the_subtree(world, persona):
    scope = _scope(world, GRANTS[persona])
    for attr in ORG_ATTRS:
        org = getattr(world, attr)
        if attr in VISIBLE_ORGS[persona]:
            assert get_organisation_for(scope, org.pk) == org
        else:
            with pytest.raises(Http404):
                get_organisation_for(scope, org.pk)


def test_get_organisation_for_a_missing_id_is_the_same_404(world):
    with pytest.raises(Http404) as missing:
        get_organisation_for(_scope(world, GRANTS["alice"]), 10**9)
    with pytest.raises(Http404) as outside:
        get_organisation_for(_scope(world, GRANTS["charlie"]), world.branch_b1_1.pk)
    assert str(missing.value) == str(outside.value)


def test_a_person_with_roles_in_two_organisations_sees_the_union(world):
    # given a scope that is secretary of A1-2, org admin of street B and member of A1-1
    scope = _scope(world, ("branch_secretary", "branch_a1_2"), ("org_admin", "street_b"), ("member", "branch_a1_1"))
    # then it sees A1-2 and street B's subtree, nothing else
    visible = _names(world, organisations_visible_to(scope))
    assert visible == {"branch_a1_2", "street_b", "community_b1", "branch_b1_1"}


def test_a_superuser_scope_sees_every_organisation(world):
    assert organisations_visible_to(Scope(user_id=1, is_superuser=True)).count() == 8


def test_dissolved_organisations_are_hidden_on_request(world):
    empty = make_org(world.community_a1, "空支部", "grid_branch")
    Organisation.objects.filter(pk=empty.pk).update(dissolved_on="2026-01-01")
    scope = _scope(world, GRANTS["bob"])
    assert organisations_visible_to(scope).filter(pk=empty.pk).exists()
    assert not organisations_visible_to(scope, include_dissolved=False).filter(pk=empty.pk).exists()
    assert not branches_visible_to(scope).filter(pk=empty.pk).exists()


def test_branches_visible_to_lists_member_holding_kinds_only(world):
    assert _names(world, branches_visible_to(_scope(world, GRANTS["bob"]))) == {"branch_a1_1", "branch_a1_2"}


def test_tree_navigation(world):
    assert list(children_of(world.community_a1)) == [world.branch_a1_1, world.branch_a1_2]
    assert ancestors_of(world.branch_a1_1) == [world.district, world.street_a, world.community_a1]
    assert parent_of(world.branch_a1_1) == world.community_a1
    assert parent_of(world.district) is None
    assert set(subtree(world.street_a, include_self=False)) == {world.community_a1, world.branch_a1_1, world.branch_a1_2}


def test_tree_rows_carry_direct_member_counts_in_a_constant_number_of_queries(world, django_assert_num_queries):
    scope = _scope(world, GRANTS["alice"])
    with django_assert_num_queries(2):
        rows = tree_rows(scope)
    counts = {r.pk: (r.member_total, r.member_full) for r in rows}
    assert counts[world.branch_a1_1.pk] == (4, 4)
    assert counts[world.branch_a1_2.pk] == (3, 3)
    assert counts[world.community_a1.pk] == (0, 0)  # direct counts: a committee holds no members
    assert [r.path for r in rows] == sorted(r.path for r in rows)


def test_tree_rows_below_a_root_stay_inside_the_scope(world):
    rows = tree_rows(_scope(world, GRANTS["charlie"]), root=world.community_a1)
    assert [r.pk for r in rows] == [world.branch_a1_1.pk]


def test_search_and_choices_stay_inside_the_scope(world):
    scope = _scope(world, GRANTS["bob"])
    assert {o.pk for o in search_organisations(scope, "网格党支部")} == {world.branch_a1_1.pk, world.branch_a1_2.pk}
    assert search_organisations(scope, "BB11") == []
    assert search_organisations(_scope(world, GRANTS["alice"]), "bb11") == [world.branch_b1_1]
    assert search_organisations(scope, "  ") == []
    choices = organisation_choices(scope)
    assert [pk for pk, _ in choices] == [world.street_a.pk, world.community_a1.pk, world.branch_a1_1.pk, world.branch_a1_2.pk]
    assert choices[2][1] == "　　　甲一社区第一网格党支部"  # indented by depth
