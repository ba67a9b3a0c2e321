"""build_scope: role grants per organisation become subtree paths; a person may hold several."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant
from dangjian.accounts.scopes import build_scope
from dangjian.organisations.models import Organisation
from dangjian.organisations.selectors import get_organisation_for, organisations_visible_to


def test_scope_of_each_persona_holds_its_grants(world):
    # given the world's personas
    # then each scope carries its role at its organisation's path
    assert build_scope(world.alice).roles == {"district_admin": (world.district.path,)}
    assert build_scope(world.bob).subtree_paths == (world.street_a.path,)
    assert build_scope(world.charlie).subtree_paths == (world.branch_a1_1.path,)
    assert build_scope(world.charlie).role_org_ids == {"branch_secretary": (world.branch_a1_1.pk,)}
    assert build_scope(world.frank).subtree_paths == (world.street_b.path,)
    assert build_scope(world.alice).is_district_admin and not build_scope(world.bob).is_district_admin


def test_roles_without_subtree_reach_open_no_subtree(world):
    for persona in ("dave", "grace", "heidi", "ivan"):
        scope = build_scope(world.persona(persona))
        assert scope.subtree_paths == (), persona
        assert scope.is_authenticated
    assert build_scope(world.grace).has_role(Role.BASE_KEEPER)
    assert not build_scope(world.grace).has_role(Role.BRANCH_SECRETARY)


def test_the_scope_knows_the_users_own_member_record(world):
    assert build_scope(world.dave).member_id == world.dave_member.pk
    assert build_scope(world.charlie).member_id is None


def test_a_person_with_roles_in_two_organisations_gets_both(world):
    # given charlie, secretary of A1-1, made member of B1-1 and secretary of A1-2 as well
    RoleGrant.objects.create(user=world.charlie, role=Role.MEMBER, organisation=world.branch_b1_1)
    RoleGrant.objects.create(user=world.charlie, role=Role.BRANCH_SECRETARY, organisation=world.branch_a1_2)
    scope = build_scope(world.charlie)
    # then both secretary subtrees are visible, the member grant adds no subtree
    assert set(scope.subtree_paths) == {world.branch_a1_1.path, world.branch_a1_2.path}
    assert scope.roles["member"] == (world.branch_b1_1.path,)
    assert not scope.covers_path(world.branch_b1_1.path)


def test_overlapping_grants_collapse_to_the_higher_one(world):
    # given bob, admin of street A, also made secretary of A1-1 (inside street A)
    RoleGrant.objects.create(user=world.bob, role=Role.BRANCH_SECRETARY, organisation=world.branch_a1_1)
    # then only street A's path remains as a visible root
    assert build_scope(world.bob).subtree_paths == (world.street_a.path,)


def test_grants_at_a_dissolved_organisation_are_ignored(world):
    # given erin's branch is dissolved
    Organisation.objects.filter(pk=world.branch_a1_2.pk).update(dissolved_on="2026-01-01")
    # then her secretary grant no longer opens anything
    assert build_scope(world.erin).subtree_paths == ()


def test_scope_follows_a_moved_organisation(world):
    # given community A1 moved under street B (paths change)
    from dangjian.organisations.services import move_organisation

    move_organisation(actor=world.alice, organisation_id=world.community_a1.pk, new_parent_id=world.street_b.pk)
    # then charlie's scope is built from the new path, and frank's now covers it
    new_path = Organisation.objects.get(pk=world.branch_a1_1.pk).path
    assert build_scope(world.charlie).subtree_paths == (new_path,)
    assert build_scope(world.frank).covers_path(new_path)
    assert not build_scope(world.bob).covers_path(new_path)


def test_anonymous_and_superuser_scopes(world, django_user_model):
    assert build_scope(None).user_id is None
    assert build_scope(AnonymousUser()).subtree_paths == ()
    root = django_user_model.objects.create_superuser(username="root", password="x" * 12)
    scope = build_scope(root)
    assert scope.is_superuser and scope.covers_path(world.branch_b1_1.path)


def test_build_scope_costs_two_queries(world, django_assert_num_queries):
    with django_assert_num_queries(2):
        build_scope(world.charlie)


# --- the personas' scopes applied to the tree (organisations sits below accounts) ---------------------

ORG_ATTRS = ("district", "street_a", "street_b", "community_a1", "community_b1", "branch_a1_1", "branch_a1_2", "branch_b1_1")
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


@pytest.mark.parametrize("persona", sorted(VISIBLE_ORGS))
def test_organisations_visible_to_each_persona(world, persona):
    # given a persona's scope built from its grants
    scope = build_scope(world.persona(persona))
    # when the tree is read
    visible = set(organisations_visible_to(scope).values_list("pk", flat=True))
    # then exactly its subtree, and every other organisation answers 404
    assert visible == {getattr(world, attr).pk for attr in VISIBLE_ORGS[persona]}
    for attr in set(ORG_ATTRS) - VISIBLE_ORGS[persona]:
        with pytest.raises(Http404):
            get_organisation_for(scope, getattr(world, attr).pk)


def test_secretary_of_one_branch_and_member_of_another_sees_one_branch_of_the_tree(world):
    RoleGrant.objects.create(user=world.erin, role=Role.MEMBER, organisation=world.branch_a1_1)
    visible = set(organisations_visible_to(build_scope(world.erin)).values_list("pk", flat=True))
    assert visible == {world.branch_a1_2.pk}
