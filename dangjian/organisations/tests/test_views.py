"""Organisation pages: the tree, detail with health, tree changes, history, seats, imports."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.urls import reverse

from dangjian.organisations.choices import CommitteePost, OrgKind
from dangjian.organisations.models import CommitteeSeat, Organisation, OrganisationEvent
from dangjian.organisations.tests.factories import make_org

# ---------------------------------------------------------------- tree and search


def test_district_admin_sees_the_whole_tree_with_kind_code_and_member_counts(world, login):
    # given alice, the district admin
    client = login(world.alice)
    # when she opens the tree
    response = client.get(reverse("organisations:tree"))
    # then every organisation is there with its kind label and code
    html = response.content.decode()
    assert response.status_code == 200
    for org in (world.district, world.street_a, world.street_b, world.community_a1, world.branch_a1_1, world.branch_b1_1):
        assert org.name in html
        assert org.code in html
    assert "网格党支部" in html and "街道党工委" in html
    # and the branch shows its direct count (3 + dave), the district the total of the subtree
    assert "党员 4 名" in html
    assert "共 10 名党员" in html


def test_street_admin_sees_only_their_own_street_as_the_root_of_the_tree(world, login):
    # given bob, admin of street A
    client = login(world.bob)
    # when he opens the tree
    html = client.get(reverse("organisations:tree")).content.decode()
    # then street A and its subtree are shown, street B and the district are not
    assert world.street_a.name in html and world.branch_a1_2.name in html
    assert world.street_b.name not in html and world.branch_b1_1.name not in html
    assert world.district.name not in html


def test_branch_secretary_sees_only_their_branch(world, login):
    html = login(world.charlie).get(reverse("organisations:tree")).content.decode()
    assert world.branch_a1_1.name in html
    assert world.branch_a1_2.name not in html
    assert world.community_a1.name not in html


def test_a_member_without_an_admin_role_is_refused_the_tree_with_a_reason(world, login):
    response = login(world.dave).get(reverse("organisations:tree"))
    assert response.status_code == 403
    assert "组织体系仅供党组织管理员和党支部书记查看" in response.content.decode()


def test_ORG_010_a_branch_without_secretary_carries_a_health_badge_in_the_tree(world, login):
    # given branch A1-1 with a secretary and A1-2 without one
    CommitteeSeat.objects.create(organisation=world.branch_a1_1, post=CommitteePost.SECRETARY, member=world.a1_1_members[0])
    # when bob opens the tree
    html = login(world.bob).get(reverse("organisations:tree")).content.decode()
    # then the finding's rule ID is in the badge of A1-2 only
    a1_2 = html[html.index(world.branch_a1_2.name) :]
    a1_1 = html[html.index(world.branch_a1_1.name) : html.index(world.branch_a1_2.name)]
    assert "ORG-010" in a1_2.split("</li>")[0]
    assert "ORG-010" not in a1_1


def test_search_finds_organisations_by_name_or_code_inside_the_scope_only(world, login):
    # given two branches named 第一网格, one in each street
    # when bob (street A) searches for it
    html = login(world.bob).get(reverse("organisations:search"), {"q": "第一网格"}).content.decode()
    # then only street A's branch is found
    assert world.branch_a1_1.name in html
    assert world.branch_b1_1.name not in html


def test_search_by_exact_code(world, login):
    html = login(world.alice).get(reverse("organisations:search"), {"q": "BB11"}).content.decode()
    assert world.branch_b1_1.name in html
    assert world.branch_a1_1.name not in html


def test_search_without_a_match_says_so_in_chinese(world, login):
    html = login(world.alice).get(reverse("organisations:search"), {"q": "不存在的组织"}).content.decode()
    assert "没有名称包含“不存在的组织”" in html


# ---------------------------------------------------------------- detail


def test_org_detail_shows_facts_breadcrumb_health_with_rule_ids_and_children(world, login):
    # given bob and community A1, whose branches have no secretary
    client = login(world.bob)
    # when he opens community A1
    response = client.get(reverse("organisations:detail", args=[world.community_a1.pk]))
    html = response.content.decode()
    # then the code, the kind, the breadcrumb to street A and both branches with their counts are shown
    assert response.status_code == 200
    assert world.community_a1.code in html and "社区党委" in html
    assert reverse("organisations:detail", args=[world.street_a.pk]) in html
    assert world.branch_a1_1.name in html and world.branch_a1_2.name in html
    # and its own missing secretary is reported with the rule ID and the reason
    assert "ORG-010" in html and "未配备书记" in html
    # and the member list link is filtered to this organisation
    assert f"{reverse('members:list')}?org={world.community_a1.pk}" in html


def test_ancestors_outside_the_scope_are_named_but_not_linked(world, login):
    html = login(world.charlie).get(reverse("organisations:detail", args=[world.branch_a1_1.pk])).content.decode()
    assert world.community_a1.name in html
    assert reverse("organisations:detail", args=[world.community_a1.pk]) not in html


def test_tree_admin_sees_the_change_actions_and_a_branch_secretary_does_not(world, login, client):
    # given the same branch seen by bob (street admin) and charlie (its secretary)
    url = reverse("organisations:detail", args=[world.branch_a1_1.pk])
    bob_html = login(world.bob).get(url).content.decode()
    client.logout()
    charlie_html = login(world.charlie).get(url).content.decode()
    # then only bob gets edit, move and dissolve
    for name in ("edit", "move", "dissolve", "seat_add"):
        action = reverse(f"organisations:{name}", args=[world.branch_a1_1.pk])
        assert action in bob_html
        assert action not in charlie_html


# ---------------------------------------------------------------- isolation and roles

ORG_PAGES = ["detail", "edit", "move", "dissolve", "history", "seat_add", "create_child"]


@pytest.mark.parametrize("view_name", ORG_PAGES)
@pytest.mark.parametrize(
    ("persona", "target"), [("charlie", "branch_a1_2"), ("bob", "street_b"), ("bob", "branch_b1_1"), ("erin", "branch_a1_1")]
)
def test_an_organisation_outside_the_subtree_answers_404(world, login, view_name, persona, target):
    # given a persona and an organisation outside their subtree
    client = login(world.persona(persona))
    org = getattr(world, target)
    # when they open any page of it, or post to it
    url = reverse(f"organisations:{view_name}", args=[org.pk])
    # then the answer is 404, the same as for an organisation that does not exist
    assert client.get(url).status_code == 404
    if view_name not in {"detail", "history"}:
        assert client.post(url, {"comment": "x"}).status_code == 404


def test_ending_a_seat_outside_the_subtree_answers_404(world, login):
    seat = CommitteeSeat.objects.create(organisation=world.branch_a1_2, post=CommitteePost.SECRETARY, member=world.a1_2_members[0])
    response = login(world.charlie).post(reverse("organisations:seat_end", args=[seat.pk]))
    assert response.status_code == 404
    seat.refresh_from_db()
    assert seat.ended_on is None


@pytest.mark.parametrize("view_name", ["edit", "move", "dissolve", "seat_add", "create_child"])
def test_a_branch_secretary_cannot_change_their_own_branch_and_is_told_why(world, login, view_name):
    # given charlie, secretary of A1-1, posting a change to his own branch
    client = login(world.charlie)
    # when he posts
    response = client.post(reverse(f"organisations:{view_name}", args=[world.branch_a1_1.pk]), {"comment": "想撤销", "name": "新名称"})
    # then 403 with the reason, and nothing changed
    assert response.status_code == 403
    assert "只有区委组织部管理员和党（工）委管理员可以调整组织设置" in response.content.decode()
    world.branch_a1_1.refresh_from_db()
    assert world.branch_a1_1.name == "甲一社区第一网格党支部" and world.branch_a1_1.dissolved_on is None
    assert not OrganisationEvent.objects.exists()


def test_a_street_admin_cannot_move_or_dissolve_the_street_their_grant_hangs_on(world, login):
    client = login(world.bob)
    for view_name in ("move", "dissolve"):
        response = client.post(reverse(f"organisations:{view_name}", args=[world.street_a.pk]), {"comment": "x"})
        assert response.status_code == 403
        assert "不能移动或撤销您本人受权管理的组织" in response.content.decode()


def test_state_changes_refuse_get_where_they_are_post_only(world, login):
    seat = CommitteeSeat.objects.create(organisation=world.branch_a1_1, post=CommitteePost.SECRETARY, member=world.a1_1_members[0])
    assert login(world.bob).get(reverse("organisations:seat_end", args=[seat.pk])).status_code == 405


# ---------------------------------------------------------------- create, edit, move, dissolve


def test_street_admin_creates_a_grid_branch_under_a_community(world, login):
    # given bob on community A1
    client = login(world.bob)
    # when he posts a new grid branch
    response = client.post(
        reverse("organisations:create_child", args=[world.community_a1.pk]),
        {"name": "甲一社区第三网格党支部", "code": "BA13", "kind": OrgKind.GRID_BRANCH, "sector": "community", "founded_on": "2020-07-01"},
    )
    # then it exists under community A1, with a Chinese message and its creation in the history
    org = Organisation.objects.get(code="BA13")
    assert response.status_code == 302 and response.url == reverse("organisations:detail", args=[org.pk])
    assert org.path.startswith(world.community_a1.path) and org.depth == world.community_a1.depth + 1
    assert OrganisationEvent.objects.filter(organisation=org, action="create", actor=world.bob).exists()
    follow = client.get(response.url)
    assert "已在“甲一社区党委”下新建“甲一社区第三网格党支部”（BA13）" in follow.content.decode()


def test_create_child_offers_only_kinds_that_fit_under_the_parent(world, login):
    html = login(world.bob).get(reverse("organisations:create_child", args=[world.branch_a1_1.pk])).content.decode()
    assert 'value="building_group"' in html
    assert 'value="community_committee"' not in html


def test_a_duplicate_organisation_code_is_shown_on_the_code_field_and_nothing_is_created(world, login):
    # given an existing code BA12
    client = login(world.bob)
    # when bob posts a new branch with that code
    response = client.post(
        reverse("organisations:create_child", args=[world.community_a1.pk]),
        {"name": "重复代码支部", "code": "BA12", "kind": OrgKind.GRID_BRANCH, "sector": "community"},
    )
    # then the form comes back with the reason on the code field
    html = response.content.decode()
    assert response.status_code == 200
    assert "组织代码“BA12”已被其他组织使用" in html
    assert 'id="id_code_error"' in html and 'aria-invalid="true"' in html
    assert not Organisation.objects.filter(name="重复代码支部").exists()


def test_a_rule_violation_from_the_service_becomes_a_form_error_not_a_500(world, login):
    # given a term end more than a year away from the legal end (ORG-013)
    response = login(world.bob).post(
        reverse("organisations:edit", args=[world.branch_a1_1.pk]),
        {
            "name": world.branch_a1_1.name,
            "code": "BA11",
            "kind": OrgKind.GRID_BRANCH,
            "sector": "community",
            "term_started_on": "2024-01-01",
            "term_ends_on": "2035-01-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "ORG-013" in html and 'id="id_term_ends_on_error"' in html


def test_editing_an_organisation_keeps_before_and_after_in_readable_history(world, login):
    # given bob renaming branch A1-1
    client = login(world.bob)
    response = client.post(
        reverse("organisations:edit", args=[world.branch_a1_1.pk]),
        {
            "name": "甲一社区和平网格党支部",
            "code": "BA11",
            "kind": OrgKind.GRID_BRANCH,
            "sector": "community",
            "comment": "甲组字〔2026〕1号",
        },
    )
    assert response.status_code == 302
    # when the history page is opened
    html = client.get(reverse("organisations:history", args=[world.branch_a1_1.pk])).content.decode()
    # then it names who, the Chinese field label, before and after, and the comment
    assert "鲍勃" in html and "修改" in html
    assert "组织名称" in html and "甲一社区第一网格党支部" in html and "甲一社区和平网格党支部" in html
    assert "甲组字〔2026〕1号" in html


def test_moving_a_branch_takes_its_members_and_groups_along(world, login):
    # given a second community in street A and a building group under branch A1-1
    community_a2 = make_org(world.street_a, "甲二社区党委", OrgKind.COMMUNITY_COMMITTEE, code="CA2")
    group = make_org(world.branch_a1_1, "1号楼党小组", OrgKind.BUILDING_GROUP, code="G1")
    client = login(world.bob)
    # when bob moves A1-1 under community A2
    response = client.post(
        reverse("organisations:move", args=[world.branch_a1_1.pk]), {"new_parent": community_a2.pk, "comment": "网格调整"}
    )
    # then the branch, its group and its four members are under A2
    assert response.status_code == 302
    community_a2.refresh_from_db()
    branch = Organisation.objects.get(pk=world.branch_a1_1.pk)
    assert branch.path.startswith(community_a2.path)
    assert Organisation.objects.get(pk=group.pk).path.startswith(branch.path)
    assert apps.get_model("members", "Member").objects.filter(organisation__path__startswith=community_a2.path).count() == 4
    # and the history reads 上级组织代码 CA1 → CA2
    html = client.get(reverse("organisations:history", args=[branch.pk])).content.decode()
    assert "上级组织代码" in html and "CA1" in html and "CA2" in html


def test_move_targets_are_only_organisations_in_scope_where_the_kind_fits(world, login):
    # given bob moving branch A1-1
    make_org(world.street_a, "甲二社区党委", OrgKind.COMMUNITY_COMMITTEE, code="CA2")
    html = login(world.bob).get(reverse("organisations:move", args=[world.branch_a1_1.pk])).content.decode()
    # then another community of his street is offered; the current parent, a sibling branch and street B's orgs are not
    assert "甲二社区党委" in html
    assert f'value="{world.branch_a1_2.pk}"' not in html
    assert f'value="{world.community_a1.pk}"' not in html
    assert f'value="{world.community_b1.pk}"' not in html
    # and the page says what moves along
    assert "4</strong> 名党员" in html


def test_dissolving_is_refused_while_the_organisation_still_holds_members(world, login):
    # given branch A1-1 with four members
    response = login(world.bob).post(
        reverse("organisations:dissolve", args=[world.branch_a1_1.pk]), {"on": "2026-01-05", "comment": "合并"}
    )
    # then the service's reason is shown on the form and the branch is still live
    html = response.content.decode()
    assert response.status_code == 200
    assert "仍有4名党员" in html
    world.branch_a1_1.refresh_from_db()
    assert world.branch_a1_1.dissolved_on is None


def test_dissolving_needs_a_reason(world, login):
    empty = make_org(world.community_a1, "待撤销支部", OrgKind.GRID_BRANCH, code="EMPTY")
    response = login(world.bob).post(reverse("organisations:dissolve", args=[empty.pk]), {"on": "2026-01-05", "comment": ""})
    assert 'id="id_comment_error"' in response.content.decode()
    empty.refresh_from_db()
    assert empty.dissolved_on is None


def test_an_empty_branch_is_dissolved_with_its_reason_in_the_history(world, login):
    empty = make_org(world.community_a1, "待撤销支部", OrgKind.GRID_BRANCH, code="EMPTY")
    client = login(world.bob)
    response = client.post(reverse("organisations:dissolve", args=[empty.pk]), {"on": "2026-01-05", "comment": "甲组字〔2026〕2号"})
    assert response.status_code == 302
    empty.refresh_from_db()
    assert str(empty.dissolved_on) == "2026-01-05"
    assert "甲组字〔2026〕2号" in client.get(reverse("organisations:history", args=[empty.pk])).content.decode()


# ---------------------------------------------------------------- committee seats


def test_appointing_a_secretary_clears_the_ORG_010_finding(world, login):
    # given branch A1-2 without secretary
    client = login(world.bob)
    member = world.a1_2_members[0]
    # when bob appoints one of its members
    response = client.post(
        reverse("organisations:seat_add", args=[world.branch_a1_2.pk]),
        {"post": CommitteePost.SECRETARY, "member": member.pk, "started_on": "2026-01-01"},
    )
    # then the seat exists and the detail page no longer reports ORG-010
    assert response.status_code == 302
    assert CommitteeSeat.objects.filter(organisation=world.branch_a1_2, member=member, ended_on__isnull=True).exists()
    html = client.get(reverse("organisations:detail", args=[world.branch_a1_2.pk])).content.decode()
    assert "未配备书记" not in html and member.name in html


def test_seat_member_choices_are_members_of_the_organisations_subtree(world, login):
    html = login(world.bob).get(reverse("organisations:seat_add", args=[world.branch_a1_2.pk])).content.decode()
    assert f'value="{world.a1_2_members[0].pk}"' in html
    assert f'value="{world.a1_1_members[0].pk}"' not in html


def test_a_member_from_elsewhere_can_only_sit_as_part_time_ORG_021(world, login):
    response = login(world.bob).post(
        reverse("organisations:seat_add", args=[world.branch_a1_2.pk]),
        {"post": CommitteePost.COMMITTEE_MEMBER, "person_name": "", "member": world.a1_1_members[0].pk, "started_on": "2026-01-01"},
    )
    # a member not offered in the choices is refused by the form, with nothing saved
    assert response.status_code == 200
    assert 'id="id_member_error"' in response.content.decode()
    assert not CommitteeSeat.objects.exists()


def test_a_part_time_member_from_a_resident_unit_is_appointed_by_name(world, login):
    response = login(world.bob).post(
        reverse("organisations:seat_add", args=[world.community_a1.pk]),
        {"post": CommitteePost.COMMITTEE_MEMBER, "person_name": "驻区单位 王主任", "is_part_time": "on", "started_on": "2026-01-01"},
    )
    assert response.status_code == 302
    seat = CommitteeSeat.objects.get(organisation=world.community_a1)
    assert seat.person_name == "驻区单位 王主任" and seat.is_part_time


def test_ending_a_seat_records_the_date(world, login):
    seat = CommitteeSeat.objects.create(organisation=world.branch_a1_2, post=CommitteePost.SECRETARY, member=world.a1_2_members[0])
    client = login(world.bob)
    response = client.post(reverse("organisations:seat_end", args=[seat.pk]), {"on": "2026-02-01"}, follow=True)
    seat.refresh_from_db()
    assert str(seat.ended_on) == "2026-02-01"
    assert "离任" in response.content.decode()


# ---------------------------------------------------------------- query counts

TREE_QUERIES = 9  # incl. the header's unread 站内信 count
DETAIL_QUERIES = 15


def _count(client, url, limit, django_assert_max_num_queries):
    with django_assert_max_num_queries(limit) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_tree_runs_the_same_number_of_queries_for_1_and_for_50_more_branches(world, login, django_assert_max_num_queries):
    # given the world, then 50 more branches with a member each
    client = login(world.alice)
    url = reverse("organisations:tree")
    small = _count(client, url, TREE_QUERIES, django_assert_max_num_queries)
    community = make_org(world.street_a, "大社区党委", OrgKind.COMMUNITY_COMMITTEE, code="BIG")
    for i in range(50):
        make_org(community, f"第{i}网格党支部", OrgKind.GRID_BRANCH, code=f"BIG{i}")
    # then the count is the same
    assert _count(client, url, TREE_QUERIES, django_assert_max_num_queries) == small


def test_org_detail_runs_the_same_number_of_queries_for_1_and_50_children(world, login, django_assert_max_num_queries):
    client = login(world.alice)
    community = make_org(world.street_a, "大社区党委", OrgKind.COMMUNITY_COMMITTEE, code="BIG")
    make_org(community, "第0网格党支部", OrgKind.GRID_BRANCH, code="BIG0")
    url = reverse("organisations:detail", args=[community.pk])
    small = _count(client, url, DETAIL_QUERIES, django_assert_max_num_queries)
    for i in range(1, 50):
        make_org(community, f"第{i}网格党支部", OrgKind.GRID_BRANCH, code=f"BIG{i}")
    assert _count(client, url, DETAIL_QUERIES, django_assert_max_num_queries) == small


# ---------------------------------------------------------------- import


def test_a_branch_secretary_cannot_import_organisations(world, login):
    response = login(world.charlie).get(reverse("organisations:import"))
    assert response.status_code == 403
    assert "只有区委组织部管理员和党（工）委管理员可以导入组织" in response.content.decode()


def test_the_import_template_downloads_as_xlsx_with_the_five_columns(world, login):
    from openpyxl import load_workbook

    response = login(world.alice).get(reverse("organisations:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header = [c.value for c in next(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(max_row=1))]
    for column in ("组织名称", "组织代码", "上级组织代码", "组织类别", "成立日期"):
        assert column in header


def test_a_file_that_is_not_xlsx_or_csv_is_refused_with_a_reason(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("组织.xls", b"old excel", content_type="application/vnd.ms-excel")
    response = login(world.alice).post(reverse("organisations:import"), {"file": upload})
    assert "不是 .xlsx 或 .csv 格式" in response.content.decode()


def _org_csv(*rows: str) -> bytes:
    return ("组织名称,组织代码,上级组织代码,组织类别,成立日期\n" + "\n".join(rows) + "\n").encode("utf-8")


def test_organisation_import_previews_then_writes_only_after_confirmation(world, login, settings, tmp_path):
    pytest.importorskip("dangjian.organisations.importing")
    from django.core.files.uploadedfile import SimpleUploadedFile

    # given alice uploading one new grid branch under community A1
    settings.MEDIA_ROOT = tmp_path
    client = login(world.alice)
    data = _org_csv("甲一社区第九网格党支部,BA19,CA1,网格党支部,2020-07-01")
    # when she uploads it
    response = client.post(reverse("organisations:import"), {"file": SimpleUploadedFile("组织.csv", data, content_type="text/csv")})
    # then a preview is shown and nothing is written yet
    html = response.content.decode()
    assert response.status_code == 200
    assert "确认导入" in html and "新增" in html
    assert not Organisation.objects.filter(code="BA19").exists()
    token = response.context["token"]
    # when she confirms
    response = client.post(reverse("organisations:import"), {"token": token})
    # then the branch exists under community A1 and the counts are reported
    assert response.status_code == 302
    org = Organisation.objects.get(code="BA19")
    assert org.path.startswith(world.community_a1.path)
    assert "新增 1 个" in client.get(response.url).content.decode()
    # and the token cannot be used twice
    again = client.post(reverse("organisations:import"), {"token": token}, follow=True)
    assert "已确认过或已超过" in again.content.decode()


def test_organisation_import_with_errors_lists_row_column_reason_and_offers_no_confirmation(world, login, settings, tmp_path):
    pytest.importorskip("dangjian.organisations.importing")
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = login(world.alice)
    data = _org_csv("无上级支部,BX1,NOPE,网格党支部,2020-07-01")
    response = client.post(reverse("organisations:import"), {"file": SimpleUploadedFile("组织.csv", data, content_type="text/csv")})
    html = response.content.decode()
    assert "本次未导入任何数据" in html and "第 2 行" in html
    assert "token" not in response.context or not response.context.get("token")
    assert not Organisation.objects.filter(code="BX1").exists()
