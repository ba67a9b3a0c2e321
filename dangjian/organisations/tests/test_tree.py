"""The organisation tree at city scale (issue 9 point 4): a window of whole levels, rolled-up totals
and findings in SQL for what the window does not show, and folded nodes that load their children."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.urls import reverse

from dangjian.core.dates import add_months
from dangjian.organisations import selectors
from dangjian.organisations.choices import CommitteePost, OrgKind, Sector
from dangjian.organisations.health import LEVELS, health_for_many, level_of, rollup_by_prefix, worse
from dangjian.organisations.models import CommitteeSeat, Organisation, Unit
from dangjian.organisations.selectors import tree_window
from dangjian.organisations.tests.factories import make_org
from dangjian.organisations.tests.helpers import add_member

ON = date(2026, 11, 28)


def _members(org, full=0, probationary=0):
    for _ in range(full):
        add_member(org, status="full")
    for _ in range(probationary):
        add_member(org, status="probationary", join_date=date(2026, 3, 1))


def _seats(org, n=1, *, ended=False):
    posts = [CommitteePost.SECRETARY, CommitteePost.ORGANISATION_MEMBER, CommitteePost.PUBLICITY_MEMBER, CommitteePost.COMMITTEE_MEMBER]
    for post in posts[:n]:
        CommitteeSeat.objects.create(
            organisation=org,
            post=post,
            person_name="某某",
            is_part_time=True,
            started_on=date(2020, 1, 1),
            ended_on=date(2024, 1, 1) if ended else None,
        )


def _healthy_branch(parent, name, kind=OrgKind.GRID_BRANCH, **extra):
    branch = make_org(parent, name, kind, **extra)
    _members(branch, full=3)
    _seats(branch)
    return branch


@pytest.fixture
def varied(db):
    """A district with one organisation per finding, each at its boundary, and healthy ones beside them."""
    district = make_org(None, "区委", OrgKind.DISTRICT_COMMITTEE)
    _seats(district)
    street = make_org(district, "街道党工委", OrgKind.STREET_WORKING_COMMITTEE, term_ends_on=ON - timedelta(days=1))  # no term: no ORG-014
    _seats(street)
    near = make_org(street, "任期将满社区党委", OrgKind.COMMUNITY_COMMITTEE, term_ends_on=add_months(ON, 6))  # ORG-014 remind (amber)
    _seats(near)
    fine = make_org(street, "健康社区党委", OrgKind.COMMUNITY_COMMITTEE, term_ends_on=add_months(ON, 6) + timedelta(days=1))
    _seats(fine)
    two_full = make_org(near, "两名正式党员支部", OrgKind.GRID_BRANCH)  # ORG-001 (red): probationary members do not count
    _members(two_full, full=2, probationary=4)
    _seats(two_full)
    big = make_org(near, "超大支部", OrgKind.GRID_BRANCH)  # ORG-005 (red): 51 members, committee of 3
    _members(big, full=48, probationary=3)
    _seats(big, 3)
    fifty = make_org(near, "五十人支部", OrgKind.GRID_BRANCH)  # 50 members: no ORG-005
    _members(fifty, full=47, probationary=3)
    _seats(fifty, 3)
    seven = make_org(fine, "七名正式党员支部", OrgKind.BRANCH, sector=Sector.OFFICE_BUILDING)  # ORG-009 (red): 7 full, 2 seats
    _members(seven, full=7)
    _seats(seven, 2)
    no_secretary = make_org(fine, "无书记支部", OrgKind.GRID_BRANCH)  # ORG-010 (red): the secretary's seat has ended
    _members(no_secretary, full=3)
    _seats(no_secretary, ended=True)
    joint = _healthy_branch(fine, "联合党支部", OrgKind.JOINT_BRANCH, sector=Sector.NON_PUBLIC_ENTERPRISE)  # ORG-004 (amber): 6 units
    for n in range(6):
        Unit.objects.create(name=f"企业{n}", sector=Sector.NON_PUBLIC_ENTERPRISE, area_organisation=fine, party_organisation=joint)
    five_units = _healthy_branch(fine, "五单位联合党支部", OrgKind.JOINT_BRANCH, sector=Sector.NON_PUBLIC_ENTERPRISE)
    for n in range(5):
        Unit.objects.create(name=f"公司{n}", sector=Sector.NON_PUBLIC_ENTERPRISE, area_organisation=fine, party_organisation=five_units)
    _healthy_branch(fine, "逾期换届支部", term_ends_on=ON - timedelta(days=1))  # ORG-014 overdue (red)
    _healthy_branch(fine, "今日届满支部", term_ends_on=ON)  # ends today: a reminder, not overdue
    group_parent = _healthy_branch(fine, "有小组的支部")
    make_org(group_parent, "第一楼院党小组", OrgKind.BUILDING_GROUP)  # groups need no secretary and have no term
    gone = make_org(fine, "已撤销支部", OrgKind.GRID_BRANCH, dissolved_on=date(2025, 1, 1))  # dissolved: not counted
    _members(gone, full=1)
    make_org(gone, "已撤销支部党小组", OrgKind.PARTY_GROUP, dissolved_on=date(2025, 1, 1))
    return district


def _python_view(root, length):
    """What the rollup should say, from health_for_many and the members table, prefix by prefix."""
    member_model = apps.get_model("members", "Member")
    live = list(Organisation.objects.filter(path__startswith=root.path, dissolved_on__isnull=True).order_by("path"))
    findings = health_for_many(live, on=ON)
    expected: dict[str, dict] = {}
    for org in live:
        row = expected.setdefault(org.path[:length], {"members": 0, "full": 0, "orgs": 0, "flagged": 0, "worst": "green"})
        members = member_model.objects.filter(organisation=org)
        row["members"] += members.count()
        row["full"] += members.filter(status="full").count()
        if len(org.path) > length:
            row["orgs"] += 1
            row["flagged"] += 1 if findings[org.pk] else 0
            row["worst"] = worse(row["worst"], level_of(findings[org.pk]))
    return expected


@pytest.mark.parametrize("levels", [0, 1, 2, 3, 4])
def test_the_tree_rollup_in_SQL_finds_what_the_health_checks_find_ORG_001_004_005_009_010_014(varied, levels):
    """ORG-001, ORG-004, ORG-005, ORG-009, ORG-010 and ORG-014 (remind and overdue): the SQL rollup of the
    organisations the tree does not show counts the same organisations with findings, the same worst
    level and the same members as health_for_many and the members table, for every prefix length."""
    # given the varied district, shown down to ``levels`` below the root
    length = len(varied.path) + levels * Organisation.steplen
    # when the rollup groups it by path prefix
    rollups = rollup_by_prefix([(varied.path, length)], on=ON)
    # then every group matches the Python checks
    expected = _python_view(varied, length)
    assert {p: (r.members, r.full, r.orgs, r.flagged, r.worst) for p, r in rollups.items()} == {
        p: (e["members"], e["full"], e["orgs"], e["flagged"], e["worst"]) for p, e in expected.items()
    }


def test_the_varied_district_has_every_finding_the_rollup_claims_to_cover(varied):
    """ORG-001, ORG-004, ORG-005, ORG-009, ORG-010, ORG-014: the fixture really exercises each rule."""
    live = list(Organisation.objects.filter(dissolved_on__isnull=True))
    found = {f.rule_id for findings in health_for_many(live, on=ON).values() for f in findings}
    assert {"ORG-001", "ORG-004", "ORG-005", "ORG-009", "ORG-010", "ORG-014"} <= found
    whole = rollup_by_prefix([(varied.path, len(varied.path))], on=ON)[varied.path]
    assert whole.worst == "red" and LEVELS.index(whole.worst) == 2
    by_name = {o.name: o for o in live}
    levels = {o.name: level_of(f) for o in live for f in [health_for_many([o], on=ON)[o.pk]]}
    assert levels["任期将满社区党委"] == "amber" and levels["今日届满支部"] == "amber"
    assert levels["逾期换届支部"] == "red" and levels["联合党支部"] == "amber"
    assert levels["五十人支部"] == levels["五单位联合党支部"] == levels["健康社区党委"] == "green"
    assert by_name["第一楼院党小组"].kind == OrgKind.BUILDING_GROUP and levels["第一楼院党小组"] == "green"


# ---------------------------------------------------------------- the window


def test_the_window_shows_whole_levels_that_fit_the_budget(world, monkeypatch):
    # given a budget of 4 organisations: the district (1) and its streets (2) fit, the communities (2) do not
    monkeypatch.setattr(selectors, "TREE_NODE_BUDGET", 4)
    # when the district's window is taken
    rows, spans = tree_window([world.district.path])
    # then the district and both streets are shown, and the rollup groups by the streets' paths
    assert [o.code for o in rows] == ["D0", "SA", "SB"]
    assert spans == [(world.district.path, len(world.street_a.path))]


def test_the_window_shows_a_roots_children_even_beyond_the_budget(world, monkeypatch):
    # given a budget of 1 and bob's street A
    monkeypatch.setattr(selectors, "TREE_NODE_BUDGET", 1)
    # when the window is taken, then street A and its community are shown, the branches are not
    rows, spans = tree_window([world.street_a.path])
    assert [o.code for o in rows] == ["SA", "CA1"]
    assert spans == [(world.street_a.path, len(world.community_a1.path))]


def test_a_small_tree_is_shown_whole(world):
    rows, _spans = tree_window([world.district.path])
    assert len(rows) == Organisation.objects.count()


# ---------------------------------------------------------------- the page


def test_a_folded_tree_shows_rolled_up_totals_and_findings_of_the_levels_it_does_not_show(world, login, monkeypatch):
    """ORG-010: no organisation of the world has a secretary seat, so every one has a finding."""
    # given a budget that shows the district and its streets only
    monkeypatch.setattr(selectors, "TREE_NODE_BUDGET", 4)
    # when alice opens the tree
    html = login(world.alice).get(reverse("organisations:tree")).content.decode()
    # then the communities and branches are not on the page, but counted
    assert world.community_a1.name not in html and world.branch_a1_1.name not in html
    assert "共 8 个组织，其中 8 个有健康提示" in html
    assert "共 10 名党员" in html and "共 7 名党员" in html and "共 3 名党员" in html
    assert "下级 7 个组织有提示" in html  # under the district: 2 streets, 2 communities, 3 branches
    assert "下级 3 个组织有提示" in html  # under street A: its community and two branches
    # and the streets unfold by fetching their children, or link to their page without JavaScript
    assert f'hx-get="{reverse("organisations:children", args=[world.street_a.pk])}"' in html
    assert f'href="{reverse("organisations:detail", args=[world.street_a.pk])}#children-h">查看下级 3 个组织' in html
    # and the page says which checks the folded counts cover
    assert "ORG-001、ORG-004、ORG-005、ORG-009、ORG-010、ORG-014" in html


def test_unfolding_a_node_loads_its_children_with_their_own_rollups(world, login):
    # given bob
    client = login(world.bob)
    # when his browser unfolds street A (htmx)
    response = client.get(reverse("organisations:children", args=[world.street_a.pk]), headers={"HX-Request": "true"})
    html = response.content.decode()
    # then the community comes as a tree node, folded, with its members and the findings below it
    assert response.status_code == 200
    assert "<html" not in html
    assert world.community_a1.name in html and world.branch_a1_1.name not in html
    assert "共 7 名党员" in html and "下级 2 个组织有提示" in html
    assert f'hx-get="{reverse("organisations:children", args=[world.community_a1.pk])}"' in html


def test_unfolding_a_branch_lists_its_members_full_count(world, login):
    html = (
        login(world.bob)
        .get(reverse("organisations:children", args=[world.community_a1.pk]), headers={"HX-Request": "true"})
        .content.decode()
    )
    assert world.branch_a1_1.name in html and "党员 4 名" in html
    assert world.branch_a1_2.name in html and "党员 3 名" in html


def test_the_children_address_without_htmx_goes_to_the_organisations_page(world, login):
    response = login(world.bob).get(reverse("organisations:children", args=[world.community_a1.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:detail", args=[world.community_a1.pk])


def test_unfolding_an_organisation_outside_the_subtree_answers_404(world, login):
    response = login(world.bob).get(reverse("organisations:children", args=[world.street_b.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 404


def test_a_member_without_an_admin_role_cannot_unfold_anything(world, login):
    response = login(world.dave).get(reverse("organisations:children", args=[world.branch_a1_1.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 404


def test_the_folded_tree_runs_the_same_number_of_queries_for_1_and_for_50_more_branches(
    world, login, monkeypatch, django_assert_max_num_queries
):
    # given a budget that folds the communities
    monkeypatch.setattr(selectors, "TREE_NODE_BUDGET", 4)
    client = login(world.alice)
    url = reverse("organisations:tree")
    with django_assert_max_num_queries(12) as before:
        client.get(url)
    # when 50 branches with members are added below the fold
    community = make_org(world.street_a, "大社区党委", OrgKind.COMMUNITY_COMMITTEE, code="BIG")
    for i in range(50):
        add_member(make_org(community, f"第{i}网格党支部", OrgKind.GRID_BRANCH, code=f"BIG{i}"))
    # then the page runs the same queries and counts them
    with django_assert_max_num_queries(12) as after:
        html = client.get(url).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)
    assert "共 60 名党员" in html
