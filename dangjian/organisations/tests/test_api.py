"""The organisation tree API: scoping, roles, rule violations, history."""

import json
from datetime import date

import pytest

from dangjian.audit.models import AuditAction
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.models import Organisation, OrganisationEvent
from dangjian.organisations.services import appoint_seat
from dangjian.organisations.tests.factories import make_org

URL = "/api/v1/organisations"


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def _codes(response):
    return [row["code"] for row in response.json()["items"]]


# --- list -----------------------------------------------------------------------------------


def test_list_is_in_tree_order_and_limited_to_the_callers_subtree(world, login):
    # given bob, admin of street A
    # when he lists organisations
    response = login(world.bob).get(URL)
    # then he gets street A's subtree in tree order, and nothing of street B or the district
    assert response.status_code == 200
    assert _codes(response) == ["SA", "CA1", "BA11", "BA12"]
    assert response.json()["count"] == 4


def test_list_rows_name_kind_parent_and_member_counts(world, login):
    response = login(world.charlie).get(URL)
    (row,) = response.json()["items"]
    assert row["code"] == "BA11"
    assert row["kind_label"] == "网格党支部"
    assert row["parent_code"] == "CA1"
    assert row["parent_id"] == world.community_a1.pk
    assert row["member_total"] == len(world.a1_1_members)


def test_list_filters_by_parent_kind_and_text(world, login):
    client = login(world.alice)
    assert _codes(client.get(URL, {"parent": world.district.pk})) == ["SA", "SB"]
    assert _codes(client.get(URL, {"kind": "grid_branch"})) == ["BA11", "BA12", "BB11"]
    assert _codes(client.get(URL, {"q": "第二网格"})) == ["BA12"]
    assert _codes(client.get(URL, {"q": "bb11"})) == ["BB11"]


def test_list_filter_by_a_parent_outside_the_subtree_is_404(world, login):
    response = login(world.bob).get(URL, {"parent": world.street_b.pk})
    assert response.status_code == 404


def test_list_paginates_with_limit_and_offset(world, login):
    client = login(world.alice)
    page = client.get(URL, {"limit": 3, "offset": 3}).json()
    assert page["count"] == 8
    assert [r["code"] for r in page["items"]] == ["BA11", "BA12", "SB"]


def test_list_rejects_a_limit_above_the_maximum_in_chinese(world, login):
    response = login(world.alice).get(URL, {"limit": 1000})
    assert response.status_code == 422
    assert "每页条数" in response.json()["message"] and "200" in response.json()["message"]


def test_list_hides_dissolved_organisations_unless_asked(world, login):
    # given a dissolved branch in community A1
    gone = make_org(world.community_a1, "已撤销支部", OrgKind.BRANCH, code="GONE", dissolved_on=date(2024, 1, 1))
    client = login(world.bob)
    # then it is listed only when asked for
    assert gone.code not in _codes(client.get(URL))
    assert gone.code in _codes(client.get(URL, {"include_dissolved": "true"}))


def test_list_runs_a_constant_number_of_queries(world, login, django_assert_max_num_queries):
    client = login(world.alice)
    client.get(URL)
    for n in range(20):
        make_org(world.community_a1, f"新支部{n}", OrgKind.BRANCH)
    with django_assert_max_num_queries(8):
        response = client.get(URL, {"limit": 50})
    assert len(response.json()["items"]) == 28


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_parent_term_committee_and_health_findings(world, login):
    # given A1-1 with a term and no secretary
    Organisation.objects.filter(pk=world.branch_a1_1.pk).update(term_started_on=date(2022, 1, 1), term_ends_on=date(2027, 1, 1))
    # when charlie opens it
    response = login(world.charlie).get(f"{URL}/{world.branch_a1_1.pk}")
    # then the parent, term and the ORG-010 finding (no secretary) are shown with rule id and reason
    data = response.json()
    assert response.status_code == 200
    assert data["parent"] == {"id": world.community_a1.pk, "name": "甲一社区党委", "code": "CA1"}
    assert data["term_ends_on"] == "2027-01-01"
    assert data["committee"] == []
    finding = next(f for f in data["health"] if f["rule"] == "ORG-010")
    assert "未配备书记" in finding["message"]


def test_detail_lists_the_current_committee(world, login):
    # given charlie's branch with a secretary appointed
    member = world.a1_1_members[0]
    appoint_seat(actor=world.bob, organisation_id=world.branch_a1_1.pk, post="secretary", member_id=member.pk)
    # when opened, then the seat is listed and ORG-010 is gone
    data = login(world.charlie).get(f"{URL}/{world.branch_a1_1.pk}").json()
    assert [(s["post_label"], s["holder_name"]) for s in data["committee"]] == [("书记", member.name)]
    assert "ORG-010" not in {f["rule"] for f in data["health"]}


def test_ORG_001_detail_flags_a_branch_with_too_few_full_members(world, login):
    # given an empty branch in community A1
    empty = make_org(world.community_a1, "空支部", OrgKind.BRANCH)
    # then its health names ORG-001
    data = login(world.bob).get(f"{URL}/{empty.pk}").json()
    assert "ORG-001" in {f["rule"] for f in data["health"]}


def test_detail_outside_the_subtree_is_404_like_a_missing_one(world, login):
    client = login(world.charlie)
    outside = client.get(f"{URL}/{world.branch_a1_2.pk}")
    missing = client.get(f"{URL}/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_anonymous_call_gets_401_json(world, client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


# --- create ---------------------------------------------------------------------------------


def test_create_adds_an_organisation_under_a_parent_in_scope(world, login):
    # given bob, admin of street A
    # when he creates a grid branch under community A1
    response = _post(
        login(world.bob),
        URL,
        {
            "parent_id": world.community_a1.pk,
            "name": "甲一社区第三网格党支部",
            "code": "BA13",
            "kind": "grid_branch",
            "term_started_on": "2024-03-01",
        },
    )
    # then it exists under A1, its term end follows ORG-011, and its history has the creation
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["parent"]["code"] == "CA1"
    assert data["term_ends_on"] == "2029-03-01"
    assert OrganisationEvent.objects.filter(organisation_id=data["id"], action=AuditAction.CREATE).count() == 1


def test_create_by_a_branch_secretary_is_403_with_a_reason(world, login):
    response = _post(
        login(world.charlie), URL, {"parent_id": world.branch_a1_1.pk, "name": "第一党小组", "code": "G1", "kind": "party_group"}
    )
    assert response.status_code == 403
    assert "党（工）委管理员" in response.json()["detail"]
    assert not Organisation.objects.filter(code="G1").exists()


def test_create_under_a_parent_outside_the_subtree_is_404(world, login):
    response = _post(login(world.bob), URL, {"parent_id": world.community_b1.pk, "name": "越界支部", "code": "X1", "kind": "branch"})
    assert response.status_code == 404
    assert not Organisation.objects.filter(code="X1").exists()


def test_ORG_019_a_kind_at_the_wrong_level_is_422_with_the_rule(world, login):
    response = _post(
        login(world.bob), URL, {"parent_id": world.community_a1.pk, "name": "错层级", "code": "X2", "kind": "street_working_committee"}
    )
    assert response.status_code == 422
    assert response.json()["rule"] == "ORG-019"
    assert response.json()["field"] == "parent"


def test_create_with_a_code_in_use_is_422_on_the_code_field(world, login):
    response = _post(login(world.bob), URL, {"parent_id": world.community_a1.pk, "name": "重复代码", "code": "BB11", "kind": "branch"})
    assert response.status_code == 422
    assert response.json()["field"] == "code"
    assert "BB11" in response.json()["message"]


def test_create_with_an_unknown_kind_is_422_naming_the_field_in_chinese(world, login):
    response = _post(login(world.bob), URL, {"parent_id": world.community_a1.pk, "name": "未知", "code": "X3", "kind": "club"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "kind"
    assert error["message"].startswith("组织类别：取值“club”无效")


def test_malformed_json_is_400_in_chinese(world, login):
    response = login(world.bob).post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


# --- update ---------------------------------------------------------------------------------


def test_patch_changes_only_given_fields_and_records_before_and_after(world, login):
    # when bob renames A1-2
    response = _patch(login(world.bob), f"{URL}/{world.branch_a1_2.pk}", {"name": "甲一社区二网格党支部", "comment": "更名"})
    # then the name changed, the code did not, and the history holds before/after
    assert response.status_code == 200, response.content
    world.branch_a1_2.refresh_from_db()
    assert world.branch_a1_2.name == "甲一社区二网格党支部"
    assert world.branch_a1_2.code == "BA12"
    event = OrganisationEvent.objects.filter(organisation=world.branch_a1_2).latest("pk")
    assert event.before == {"name": "甲一社区第二网格党支部"}
    assert event.after == {"name": "甲一社区二网格党支部"}


def test_patch_cannot_clear_a_required_field(world, login):
    response = _patch(login(world.bob), f"{URL}/{world.branch_a1_2.pk}", {"code": None})
    assert response.status_code == 422
    assert response.json()["field"] == "code"


def test_patch_by_a_branch_secretary_is_403(world, login):
    response = _patch(login(world.charlie), f"{URL}/{world.branch_a1_1.pk}", {"name": "改名"})
    assert response.status_code == 403


def test_patch_outside_the_subtree_is_404(world, login):
    response = _patch(login(world.bob), f"{URL}/{world.branch_b1_1.pk}", {"name": "改名"})
    assert response.status_code == 404
    world.branch_b1_1.refresh_from_db()
    assert world.branch_b1_1.name == "乙一社区第一网格党支部"


def test_ORG_013_a_term_end_too_far_from_the_legal_end_is_422(world, login):
    response = _patch(login(world.bob), f"{URL}/{world.branch_a1_2.pk}", {"term_started_on": "2024-01-01", "term_ends_on": "2035-01-01"})
    assert response.status_code == 422
    assert response.json()["rule"] == "ORG-013"


# --- move -----------------------------------------------------------------------------------


def test_move_takes_the_whole_subtree_under_the_new_parent(world, login):
    # given a second community in street A, and a group under branch A1-2
    community_a2 = make_org(world.street_a, "甲二社区党委", OrgKind.COMMUNITY_COMMITTEE, code="CA2")
    group = make_org(world.branch_a1_2, "第一党小组", OrgKind.PARTY_GROUP, code="GA121")
    # when bob moves A1-2 under community A2
    response = _post(login(world.bob), f"{URL}/{world.branch_a1_2.pk}/move", {"parent_id": community_a2.pk, "comment": "网格调整"})
    # then the branch and its group now sit under A2, and the move is in the history
    assert response.status_code == 200, response.content
    assert response.json()["parent"]["code"] == "CA2"
    group.refresh_from_db()
    community_a2.refresh_from_db()
    assert group.path.startswith(community_a2.path)
    event = OrganisationEvent.objects.filter(organisation=world.branch_a1_2, action=AuditAction.MOVE).get()
    assert event.before == {"parent_code": "CA1"} and event.after == {"parent_code": "CA2"}


def test_move_under_a_parent_outside_the_subtree_is_404(world, login):
    response = _post(login(world.bob), f"{URL}/{world.branch_a1_2.pk}/move", {"parent_id": world.community_b1.pk})
    assert response.status_code == 404


def test_move_of_the_callers_own_top_organisation_is_403(world, login):
    response = _post(login(world.bob), f"{URL}/{world.street_a.pk}/move", {"parent_id": world.street_a.pk})
    assert response.status_code == 403
    assert "下级组织" in response.json()["detail"]


def test_move_without_a_new_parent_is_422(world, login):
    response = _post(login(world.bob), f"{URL}/{world.branch_a1_2.pk}/move", {})
    assert response.status_code == 422
    assert response.json()["field"] == "parent_id"


def test_move_into_its_own_subtree_is_refused(world, login):
    response = _post(login(world.bob), f"{URL}/{world.community_a1.pk}/move", {"parent_id": world.branch_a1_1.pk})
    assert response.status_code == 422


# --- dissolve -------------------------------------------------------------------------------


def test_dissolve_an_empty_branch_with_a_reason(world, login):
    empty = make_org(world.community_a1, "空支部", OrgKind.BRANCH, code="EMPTY")
    response = _post(login(world.bob), f"{URL}/{empty.pk}/dissolve", {"reason": "甲组发〔2026〕3号", "on": "2026-01-15"})
    assert response.status_code == 200, response.content
    assert response.json()["dissolved_on"] == "2026-01-15"
    assert OrganisationEvent.objects.get(organisation=empty, action=AuditAction.DISSOLVE).comment == "甲组发〔2026〕3号"


def test_dissolve_is_refused_while_members_remain(world, login):
    response = _post(login(world.bob), f"{URL}/{world.branch_a1_1.pk}/dissolve", {"reason": "合并"})
    assert response.status_code == 422
    assert "党员" in response.json()["message"]


def test_dissolve_without_a_reason_is_422(world, login):
    empty = make_org(world.community_a1, "空支部", OrgKind.BRANCH)
    response = _post(login(world.bob), f"{URL}/{empty.pk}/dissolve", {})
    assert response.status_code == 422
    assert "撤销原因" in response.json()["message"]


@pytest.mark.parametrize("persona", ["charlie", "dave"])
def test_dissolve_without_a_tree_role_is_refused(world, login, persona):
    # charlie sees A1-1 but may not restructure (403); dave sees no organisation at all (404)
    response = _post(login(world.persona(persona)), f"{URL}/{world.branch_a1_1.pk}/dissolve", {"reason": "x"})
    assert response.status_code == {"charlie": 403, "dave": 404}[persona]


# --- history --------------------------------------------------------------------------------


def test_history_lists_changes_newest_first(world, login):
    client = login(world.bob)
    _patch(client, f"{URL}/{world.branch_a1_2.pk}", {"address": "一号楼"})
    _patch(client, f"{URL}/{world.branch_a1_2.pk}", {"address": "二号楼"})
    data = client.get(f"{URL}/{world.branch_a1_2.pk}/history").json()
    assert data["count"] == 2
    assert data["items"][0]["after"] == {"address": "二号楼"}
    assert data["items"][0]["actor"] == "鲍勃"


def test_history_outside_the_subtree_is_404(world, login):
    assert login(world.charlie).get(f"{URL}/{world.branch_b1_1.pk}/history").status_code == 404
