"""The member registry API: scoping, masking, rule violations, unmask audit."""

import json
from datetime import date

import pytest

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core.masking import mask_id_number, mask_phone
from dangjian.members import permissions
from dangjian.members.models import Member, MemberEvent
from dangjian.members.tests.factories import make_member, valid_id

URL = "/api/v1/members"


def _new_member(world, **extra):
    born = date(1985, 3, 9)
    return {
        "name": "新登记党员",
        "id_number": valid_id(born, male=True),
        "organisation_id": world.branch_a1_1.pk,
        "join_date": "2010-07-01",
        "full_date": "2011-07-01",
        "status": "full",
        "phone": "13912345678",
        "address": "北京市东城区和平里街道和平社区5号楼2单元301",
        **extra,
    }


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def _ids(response):
    return {row["id"] for row in response.json()["items"]}


# --- list -----------------------------------------------------------------------------------


def test_list_shows_only_members_of_the_callers_subtree(world, login):
    # given charlie, secretary of A1-1
    client = login(world.charlie)
    # when he lists members
    response = client.get(URL, {"limit": 200})
    # then he sees exactly A1-1's members
    assert response.status_code == 200
    assert _ids(response) == {m.pk for m in world.a1_1_members}
    assert response.json()["count"] == len(world.a1_1_members)


def test_list_rows_are_exactly_the_documented_member_rows(world, login):
    # given members with a category, flags, a lost-contact date and one in a group
    from dangjian.members.schemas import MemberPage, MemberRow

    make_member(world.branch_a1_1, "标记甲", is_flowing=True, whereabouts="深圳", is_party_rep=True, party_rep_level="district")
    make_member(world.branch_a1_1, "标记乙", lost_contact_since=date(2024, 3, 1), is_exempt=True, exemption_reason="illness")
    # when the list is read (it is rendered without the schema's per-row validation)
    body = login(world.charlie).get(URL, {"limit": 200, "sort": "name"}).json()
    # then every row is a MemberRow with nothing missing, nothing extra, and the same JSON
    assert MemberPage.model_validate(body).count == len(body["items"]) == len(world.a1_1_members) + 2
    for item in body["items"]:
        assert MemberRow.model_validate(item).model_dump(mode="json") == item
    flagged = {item["name"]: item["flags"] for item in body["items"]}
    assert flagged["标记甲"] == ["flowing", "party_rep"] and flagged["标记乙"] == ["lost_contact", "exempt"]
    # and the page is documented as items + count
    schema = login(world.charlie).get("/api/v1/openapi.json").json()
    page = schema["paths"]["/api/v1/members"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/MemberPage")


def test_list_masks_id_number_phone_and_address(world, login):
    # given a member with known personal data in charlie's branch
    member = make_member(world.branch_a1_1, "脱敏测试", phone="13812341234", address="北京市东城区和平里街道和平社区9号楼")
    # when charlie lists members
    response = login(world.charlie).get(URL, {"q": "脱敏测试"})
    # then the row shows only masked values and the plain values appear nowhere in the body
    row = response.json()["items"][0]
    assert row["id_number"] == mask_id_number(member.id_number)
    assert row["phone"] == "138****1234"
    assert row["address"] == "北京市东城区和平里街道和平社区****"
    body = response.content.decode()
    assert member.id_number not in body
    assert "13812341234" not in body
    assert "9号楼" not in body


def test_list_finds_a_member_by_exact_id_number_and_by_phone(world, login):
    # given a member of A1-1
    member = world.a1_1_members[0]
    client = login(world.charlie)
    # when searching by the full ID number, then by the phone
    by_id = client.get(URL, {"q": member.id_number})
    by_phone = client.get(URL, {"q": member.phone})
    # then the member is found each time
    assert member.pk in _ids(by_id)
    assert member.pk in _ids(by_phone)


def test_list_search_by_id_number_never_reaches_outside_the_subtree(world, login):
    # given a member of street B
    outsider = world.b1_1_members[0]
    # when charlie searches for that exact ID number
    response = login(world.charlie).get(URL, {"q": outsider.id_number})
    # then nothing is found
    assert response.json() == {"items": [], "count": 0}


def test_list_filters_by_organisation_subtree_status_and_flag(world, login):
    # given a probationary flowing member in A1-2
    flowing = make_member(world.branch_a1_2, "流动甲", status="probationary", is_flowing=True, whereabouts="广东省深圳市")
    client = login(world.bob)
    # when bob filters by A1-2, status and the flowing flag
    response = client.get(URL, {"org_id": world.branch_a1_2.pk, "status": "probationary", "flags": "flowing"})
    # then only that member comes back, with its flag
    assert _ids(response) == {flowing.pk}
    assert response.json()["items"][0]["flags"] == ["flowing"]


def test_list_filter_by_an_organisation_outside_the_subtree_is_404(world, login):
    response = login(world.charlie).get(URL, {"org_id": world.branch_b1_1.pk})
    assert response.status_code == 404


def test_list_sorts_and_paginates(world, login):
    # given bob, who sees A1-1 and A1-2
    client = login(world.bob)
    # when he pages through members by descending join date, two at a time
    first = client.get(URL, {"sort": "-join_date", "limit": 2, "offset": 0}).json()
    second = client.get(URL, {"sort": "-join_date", "limit": 2, "offset": 2}).json()
    # then pages are disjoint, ordered, and the count is the whole result
    expected = sorted(world.a1_1_members + world.a1_2_members, key=lambda m: (m.join_date, m.pk), reverse=True)
    assert [r["id"] for r in first["items"] + second["items"]] == [m.pk for m in expected[:4]]
    assert first["count"] == len(expected)


def test_list_rejects_an_unknown_sort_with_a_chinese_message(world, login):
    response = login(world.charlie).get(URL, {"sort": "salary"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "sort"
    assert "排序" in response.json()["message"]


def test_list_runs_a_constant_number_of_queries(world, login, django_assert_max_num_queries):
    # given bob and a page of members (more rows must not mean more queries)
    client = login(world.bob)
    client.get(URL)  # warm the session
    for _ in range(20):
        make_member(world.branch_a1_2)
    # when he lists them, then a fixed small number of queries runs
    with django_assert_max_num_queries(8):
        response = client.get(URL, {"limit": 50})
    assert len(response.json()["items"]) > 20


# --- detail ---------------------------------------------------------------------------------


def test_detail_is_masked(world, login):
    # given a member of A1-1
    member = world.a1_1_members[0]
    # when charlie opens it
    response = login(world.charlie).get(f"{URL}/{member.pk}")
    # then the personal data is masked and the organisation is named
    data = response.json()
    assert response.status_code == 200
    assert data["id_number"] == mask_id_number(member.id_number)
    assert data["phone"] == mask_phone(member.phone)
    assert "*" in data["address"]
    assert member.id_number not in response.content.decode()
    assert data["organisation"]["code"] == "BA11"
    assert data["can_unmask"] is True


def test_detail_outside_the_subtree_is_404_like_a_missing_member(world, login):
    client = login(world.charlie)
    outside = client.get(f"{URL}/{world.b1_1_members[0].pk}")
    missing = client.get(f"{URL}/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_a_member_sees_their_own_record_but_no_other(world, login):
    client = login(world.dave)
    assert client.get(f"{URL}/{world.dave_member.pk}").status_code == 200
    assert client.get(f"{URL}/{world.a1_1_members[0].pk}").status_code == 404


def test_anonymous_call_gets_401_json(world, client):
    response = client.get(f"{URL}/{world.a1_1_members[0].pk}")
    assert response.status_code == 401
    assert "登录" in response.json()["detail"]


# --- create ---------------------------------------------------------------------------------


def test_create_registers_a_member_and_answers_masked(world, login):
    # given valid data for A1-1
    data = _new_member(world)
    # when charlie posts it
    response = _post(login(world.charlie), URL, data)
    # then it is created, birth date and sex come from the ID, the answer is masked
    assert response.status_code == 201, response.content
    body = response.json()
    member = Member.objects.get(pk=body["id"])
    assert member.id_number == data["id_number"]
    assert member.birth_date == date(1985, 3, 9)
    assert body["gender"] == "male"
    assert body["id_number"] == mask_id_number(data["id_number"])
    assert body["phone"] == "139****5678"
    assert data["id_number"] not in response.content.decode()
    assert MemberEvent.objects.filter(member=member, action=AuditAction.CREATE).count() == 1


def test_PII_005_a_bad_checksum_is_422_with_the_rule_id(world, login):
    # given an ID number whose last character is wrong
    good = valid_id(date(1985, 3, 9), male=True)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    # when charlie posts it
    response = _post(login(world.charlie), URL, _new_member(world, id_number=bad))
    # then it is refused under PII-005 against the id_number field, without echoing the number
    assert response.status_code == 422
    body = response.json()
    assert body["rule"] == "PII-005"
    assert body["field"] == "id_number"
    assert "校验位" in body["message"]
    assert bad not in response.content.decode()
    assert not Member.objects.filter(name="新登记党员").exists()


def test_PII_006_a_second_record_with_the_same_id_number_is_422(world, login):
    # given a member of street B (outside charlie's subtree) with a known ID number
    existing = world.b1_1_members[0]
    # when charlie registers the same person again in A1-1
    response = _post(login(world.charlie), URL, _new_member(world, id_number=existing.id_number, birth_date=None, gender=None))
    # then it is refused under PII-006, naming the masked number
    assert response.status_code == 422
    body = response.json()
    assert body["rule"] == "PII-006"
    assert body["field"] == "id_number"
    assert mask_id_number(existing.id_number) in body["message"]
    assert existing.id_number not in response.content.decode()


def test_several_problems_are_listed_each_with_rule_and_field(world, login):
    # given a future join date (DEV-027) and a bad phone in the same request
    data = _new_member(world, join_date="2099-01-01", full_date=None, phone="12345")
    # when charlie posts it
    response = _post(login(world.charlie), URL, data)
    # then every problem is listed with its field
    errors = response.json()["errors"]
    assert response.status_code == 422
    assert {"join_date", "phone"} <= {e["field"] for e in errors}
    assert "DEV-027" in {e["rule"] for e in errors}


def test_schema_errors_are_422_in_chinese_with_the_field_title(world, login):
    response = _post(login(world.charlie), URL, _new_member(world, join_date="2010-13-01", status="active"))
    body = response.json()
    assert response.status_code == 422
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert "入党日期" in messages["join_date"] and "YYYY-MM-DD" in messages["join_date"]
    assert "党员状态" in messages["status"] and "probationary" in messages["status"]


def test_an_unknown_ethnicity_is_refused_in_chinese(world, login):
    response = _post(login(world.charlie), URL, _new_member(world, ethnicity="火星族"))
    assert response.status_code == 422
    assert "56个民族" in response.json()["message"]


def test_create_in_an_organisation_outside_the_subtree_is_404(world, login):
    response = _post(login(world.charlie), URL, _new_member(world, organisation_id=world.branch_b1_1.pk))
    assert response.status_code == 404
    assert not Member.objects.filter(name="新登记党员").exists()


def test_create_without_a_registry_role_is_403(world, login):
    # given heidi, a unit liaison of community A1 (no registry role, sees no organisation)
    # and dave, who sees his own record only
    for persona in (world.heidi, world.dave):
        response = _post(login(persona), URL, _new_member(world))
        # then the branch is not even visible to them
        assert response.status_code == 404
    # and a member editing his own record is refused with a reason
    response = _patch(login(world.dave), f"{URL}/{world.dave_member.pk}", {"phone": "13700000000"})
    assert response.status_code == 403
    assert "权限" in response.json()["detail"]


def test_create_in_a_committee_is_refused_under_ORG_017(world, login):
    response = _post(login(world.bob), URL, _new_member(world, organisation_id=world.community_a1.pk))
    assert response.status_code == 422
    assert response.json()["rule"] == "ORG-017"


# --- update ---------------------------------------------------------------------------------


def test_patch_changes_only_given_fields_and_keeps_masked_history(world, login):
    # given a member of A1-1
    member = world.a1_1_members[0]
    old_name = member.name
    # when charlie changes the phone
    response = _patch(login(world.charlie), f"{URL}/{member.pk}", {"phone": "13700001111", "comment": "本人来电更正"})
    # then only the phone changed, and the history holds the masked values
    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert member.phone == "13700001111"
    assert member.name == old_name
    event = MemberEvent.objects.filter(member=member).latest("pk")
    assert event.after == {"phone": "137****1111"}
    assert event.comment == "本人来电更正"
    assert response.json()["phone"] == "137****1111"


def test_patch_to_a_branch_outside_the_subtree_is_404(world, login):
    member = world.a1_1_members[0]
    response = _patch(login(world.charlie), f"{URL}/{member.pk}", {"organisation_id": world.branch_a1_2.pk})
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.organisation_id == world.branch_a1_1.pk


def test_patch_moves_a_member_between_branches_of_the_callers_subtree(world, login):
    member = world.a1_1_members[0]
    response = _patch(login(world.bob), f"{URL}/{member.pk}", {"organisation_id": world.branch_a1_2.pk})
    assert response.status_code == 200
    assert response.json()["organisation"]["id"] == world.branch_a1_2.pk


def test_patch_cannot_clear_a_required_field(world, login):
    response = _patch(login(world.charlie), f"{URL}/{world.a1_1_members[0].pk}", {"name": None})
    assert response.status_code == 422
    assert response.json()["field"] == "name"


def test_patch_of_a_member_outside_the_subtree_is_404(world, login):
    member = world.b1_1_members[0]
    response = _patch(login(world.charlie), f"{URL}/{member.pk}", {"note": "x"})
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.note == ""


# --- unmask ---------------------------------------------------------------------------------


def _unmasks():
    return AuditEvent.objects.filter(action=AuditAction.UNMASK).count()


def test_unmask_returns_plain_values_and_writes_exactly_one_audit_row(world, login):
    # given a member of A1-1
    member = world.a1_1_members[0]
    before = _unmasks()
    # when charlie unmasks with a reason
    response = _post(login(world.charlie), f"{URL}/{member.pk}/unmask", {"reason": "办理组织关系转接需核对身份"})
    # then the plain values come back, uncached, and one audit row names the reason
    assert response.status_code == 200, response.content
    assert response.json() == {"id": member.pk, "id_number": member.id_number, "phone": member.phone, "address": member.address}
    assert response["Cache-Control"] == "no-store"
    assert _unmasks() == before + 1
    event = AuditEvent.objects.filter(action=AuditAction.UNMASK).latest("pk")
    assert event.reason == "办理组织关系转接需核对身份"
    assert event.object_id == str(member.pk)
    assert event.actor == world.charlie


def test_unmask_of_selected_fields_returns_only_those(world, login):
    member = world.a1_1_members[0]
    response = _post(login(world.charlie), f"{URL}/{member.pk}/unmask", {"reason": "电话联系", "fields": ["phone"]})
    assert response.json() == {"id": member.pk, "id_number": None, "phone": member.phone, "address": None}


def test_unmask_without_a_reason_is_422_and_not_audited(world, login):
    before = _unmasks()
    response = _post(login(world.charlie), f"{URL}/{world.a1_1_members[0].pk}/unmask", {})
    assert response.status_code == 422
    assert response.json()["field"] == "reason"
    assert "事由" in response.json()["message"]
    assert _unmasks() == before


def test_unmask_outside_the_subtree_is_404_and_not_audited(world, login):
    before = _unmasks()
    response = _post(login(world.charlie), f"{URL}/{world.b1_1_members[0].pk}/unmask", {"reason": "想看看"})
    assert response.status_code == 404
    assert _unmasks() == before


def test_unmask_without_the_right_is_403_with_a_reason(world, login, monkeypatch):
    # given a caller who sees the member but is not entitled to unmask (no such role exists today)
    monkeypatch.setattr(permissions, "can_unmask", lambda scope, member: False)
    before = _unmasks()
    # when charlie asks
    response = _post(login(world.charlie), f"{URL}/{world.a1_1_members[0].pk}/unmask", {"reason": "核对"})
    # then 403 with the reason, and nothing is audited or revealed
    assert response.status_code == 403
    assert "PII-001" in response.json()["detail"]
    assert _unmasks() == before


def test_a_member_may_unmask_their_own_record(world, login):
    response = _post(login(world.dave), f"{URL}/{world.dave_member.pk}/unmask", {"reason": "核对本人信息"})
    assert response.status_code == 200
    assert response.json()["id_number"] == world.dave_member.id_number


# --- history --------------------------------------------------------------------------------


def test_history_lists_changes_newest_first(world, login):
    # given two changes to a member
    member = world.a1_1_members[0]
    client = login(world.charlie)
    _patch(client, f"{URL}/{member.pk}", {"employer": "第一单位"})
    _patch(client, f"{URL}/{member.pk}", {"employer": "第二单位"})
    # when charlie reads the history
    response = client.get(f"{URL}/{member.pk}/history")
    # then the latest change comes first, with who did it
    items = response.json()["items"]
    assert response.status_code == 200
    assert items[0]["after"] == {"employer": "第二单位"}
    assert items[0]["actor"] == "查理"
    assert items[0]["action_label"] == "修改"
    assert response.json()["count"] == 2


@pytest.mark.parametrize("path", ["", "/history"])
def test_history_and_detail_of_an_outsider_are_404(world, login, path):
    assert login(world.erin).get(f"{URL}/{world.a1_1_members[0].pk}{path}").status_code == 404


def test_every_filterable_flag_is_shown_on_the_rows():
    # a flag one can filter by (FLAG_FILTERS) must also be named on the rows (FLAG_KEYS) and labelled
    from dangjian.members import selectors

    assert list(selectors.FLAG_KEYS) == list(selectors.FLAG_FILTERS) == list(selectors.FLAG_LABELS)
