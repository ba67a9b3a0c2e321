"""Member registry pages: list, record, unmask, create/edit, history, export and the roster import."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core.masking import mask_id_number
from dangjian.members.models import Member, MemberEvent
from dangjian.members.tests.factories import make_member, valid_id
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.tests.factories import make_org

LIST = "members:list"


def _html(response) -> str:
    return response.content.decode()


def _member_values(world, **extra):
    born = date(1985, 3, 9)
    return {
        "name": "新登记党员",
        "id_number": valid_id(born, male=True),
        "ethnicity": "汉族",
        "status": "full",
        "join_date": "2010-07-01",
        "full_date": "2011-07-01",
        "organisation": world.branch_a1_1.pk,
        "phone": "13912345678",
        "address": "北京市东城区和平里街道和平社区5号楼",
        **extra,
    }


# ---------------------------------------------------------------- list


def test_branch_secretary_sees_their_members_with_masked_id_and_phone(world, login):
    # given charlie, secretary of A1-1
    response = login(world.charlie).get(reverse(LIST))
    html = _html(response)
    # then his four members are listed, masked, and nobody from A1-2 or street B
    assert response.status_code == 200
    for member in world.a1_1_members:
        assert member.name in html
        assert mask_id_number(member.id_number) in html
        assert member.id_number not in html
        assert member.phone not in html
    for member in world.a1_2_members + world.b1_1_members:
        assert reverse("members:detail", args=[member.pk]) not in html


def test_street_admin_sees_both_branches_of_the_street_and_nothing_of_street_b(world, login):
    html = _html(login(world.bob).get(reverse(LIST)))
    assert all(reverse("members:detail", args=[m.pk]) in html for m in world.a1_1_members + world.a1_2_members)
    assert not any(reverse("members:detail", args=[m.pk]) in html for m in world.b1_1_members)


def test_a_member_cannot_open_the_registry_and_is_pointed_to_their_own_record(world, login):
    response = login(world.dave).get(reverse(LIST))
    assert response.status_code == 403
    assert "党员名册仅供党组织管理员和党支部书记查看" in _html(response)


def test_search_by_full_id_number_finds_exactly_that_member_without_the_number_in_any_url(world, login):
    # given a member of A1-1
    target = world.a1_1_members[1]
    # when charlie searches for the full ID number
    response = login(world.charlie).post(reverse(LIST), {"q": target.id_number}, follow=True)
    html = _html(response)
    # then only that member is listed (through the blind index)
    assert reverse("members:detail", args=[target.pk]) in html
    assert sum(reverse("members:detail", args=[m.pk]) in html for m in world.a1_1_members) == 1
    # and the number is in no URL (the redirect, the sort and page links) nor anywhere on the page
    url, status = response.redirect_chain[0]
    assert status == 302 and target.id_number not in url and "idkey=" in url
    assert target.id_number not in html
    assert mask_id_number(target.id_number) in html


def test_search_by_id_number_of_a_member_outside_the_subtree_finds_nothing(world, login):
    outsider = world.b1_1_members[0]
    html = _html(login(world.charlie).post(reverse(LIST), {"q": outsider.id_number}, follow=True))
    assert reverse("members:detail", args=[outsider.pk]) not in html
    assert "没有符合条件的党员" in html


def test_search_by_phone_number(world, login):
    target = world.a1_2_members[0]
    response = login(world.bob).post(reverse(LIST), {"q": target.phone}, follow=True)
    html = _html(response)
    assert reverse("members:detail", args=[target.pk]) in html
    assert sum(reverse("members:detail", args=[m.pk]) in html for m in world.a1_1_members + world.a1_2_members) == 1
    assert target.phone not in response.redirect_chain[0][0] and target.phone not in html


def test_search_by_part_of_a_name(world, login):
    make_member(world.branch_a1_1, "欧阳春晓")
    response = login(world.charlie).post(reverse(LIST), {"q": "春晓", "status": "full"}, follow=True)
    assert "q=%E6%98%A5%E6%99%93" in response.redirect_chain[0][0]
    assert "欧阳春晓" in _html(response)


def test_a_number_search_is_kept_while_other_filters_change(world, login):
    target = world.a1_1_members[1]
    client = login(world.charlie)
    first = client.post(reverse(LIST), {"q": target.id_number}, follow=True)
    key = first.context["number_search"][1]
    response = client.post(reverse(LIST), {"q": "", "keep": "1", "idkey": key, "shown": "x", "status": "full"}, follow=True)
    assert response.context["number_search"][1] == key
    assert len(response.context["rows"]) == 1


def test_filter_by_organisation_subtree_status_and_flag(world, login):
    # given a flowing probationary member in A1-2
    flowing = make_member(world.branch_a1_2, "流动甲", status="probationary", is_flowing=True, whereabouts="广东省深圳市")
    client = login(world.bob)
    # when bob filters A1-2 + probationary + flowing
    html = _html(client.get(reverse(LIST), {"org": world.branch_a1_2.pk, "status": "probationary", "flags": ["flowing"]}))
    # then only that member is listed
    assert reverse("members:detail", args=[flowing.pk]) in html
    assert not any(reverse("members:detail", args=[m.pk]) in html for m in world.a1_1_members + world.a1_2_members)
    assert "共 1 人" in html


def test_an_organisation_filter_outside_the_scope_is_ignored_and_leaks_nothing(world, login):
    html = _html(login(world.bob).get(reverse(LIST), {"org": world.branch_b1_1.pk}))
    assert not any(reverse("members:detail", args=[m.pk]) in html for m in world.b1_1_members)
    assert f'value="{world.branch_b1_1.pk}"' not in html


def test_sort_by_join_date_descending(world, login):
    early = make_member(world.branch_a1_1, "最早入党", birth_date=date(1940, 1, 1), join_date=date(1960, 1, 1))
    late = make_member(world.branch_a1_1, "最晚入党", birth_date=date(1990, 1, 1), join_date=date(2020, 1, 1))
    html = _html(login(world.charlie).get(reverse(LIST), {"sort": "-join_date"}))
    assert html.index(late.name) < html.index(early.name)
    assert 'aria-sort="descending"' in html


def test_the_list_is_paged_by_50_with_page_links_keeping_the_filters(world, login):
    # given 60 members in A1-1
    for i in range(56):
        make_member(world.branch_a1_1, f"党员{i:02d}")
    client = login(world.charlie)
    # when the first page is opened with a filter
    response = client.get(reverse(LIST), {"status": "full"})
    html = _html(response)
    # then it holds 50 rows and links to page 2 with the filter kept
    assert len(response.context["rows"]) == 50
    assert "status=full&amp;page=2" in html
    assert len(client.get(reverse(LIST), {"status": "full", "page": 2}).context["rows"]) == 10


def test_an_empty_registry_guides_to_the_roster_import(world, login):
    # given a new branch with a secretary and no members
    from dangjian.accounts.choices import Role
    from dangjian.accounts.models import RoleGrant, User

    branch = make_org(world.community_a1, "新建网格党支部", OrgKind.GRID_BRANCH, code="NEW1")
    secretary = User.objects.create_user(username="newsec", password="x-Pass-2026")
    RoleGrant.objects.create(user=secretary, role=Role.BRANCH_SECRETARY, organisation=branch)
    html = _html(login(secretary).get(reverse(LIST)))
    assert "还没有党员信息" in html
    assert reverse("members:import") in html


LIST_QUERIES = 8  # incl. the header's unread 站内信 count


def test_the_member_list_runs_the_same_number_of_queries_for_1_and_50_rows(world, login, django_assert_max_num_queries):
    # given a branch with one member, listed by its secretary
    from dangjian.accounts.choices import Role
    from dangjian.accounts.models import RoleGrant, User

    branch = make_org(world.community_a1, "计数网格党支部", OrgKind.GRID_BRANCH, code="QC1")
    secretary = User.objects.create_user(username="qcsec", password="x-Pass-2026")
    RoleGrant.objects.create(user=secretary, role=Role.BRANCH_SECRETARY, organisation=branch)
    make_member(branch, "唯一党员", is_flowing=True, whereabouts="外地")
    client = login(secretary)
    with django_assert_max_num_queries(LIST_QUERIES) as one:
        assert len(client.get(reverse(LIST)).context["rows"]) == 1
    # when the branch has 50
    for i in range(49):
        make_member(branch, f"党员{i:02d}")
    with django_assert_max_num_queries(LIST_QUERIES) as fifty:
        assert len(client.get(reverse(LIST)).context["rows"]) == 50
    # then the same number of queries ran
    assert len(one.captured_queries) == len(fifty.captured_queries)


# ---------------------------------------------------------------- record and unmask


def test_member_detail_shows_labelled_fields_and_masked_personal_data(world, login):
    member = world.a1_1_members[0]
    html = _html(login(world.charlie).get(reverse("members:detail", args=[member.pk])))
    assert member.name in html and "入党日期" in html and "党员状态" in html
    assert mask_id_number(member.id_number) in html
    assert member.id_number not in html and member.phone not in html and member.address not in html
    assert "查看完整信息" in html


@pytest.mark.parametrize(
    ("persona", "target"), [("charlie", "a1_2_members"), ("bob", "b1_1_members"), ("erin", "a1_1_members"), ("dave", "a1_1_members")]
)
@pytest.mark.parametrize("view_name", ["detail", "edit", "history", "unmask"])
def test_a_member_outside_the_subtree_answers_404(world, login, persona, target, view_name):
    # given a member the persona cannot see (dave sees only himself)
    member = getattr(world, target)[0]
    client = login(world.persona(persona))
    url = reverse(f"members:{view_name}", args=[member.pk])
    # then every page of that member is 404, and posting changes nothing
    if view_name != "unmask":
        assert client.get(url).status_code == 404
    if view_name in {"edit", "unmask"}:
        assert client.post(url, {"reason": "核对身份", "name": "改名"}).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.UNMASK).exists()


def test_unmask_without_a_reason_is_refused_and_writes_nothing(world, login):
    member = world.a1_1_members[0]
    response = login(world.charlie).post(reverse("members:unmask", args=[member.pk]), {"reason": ""})
    html = _html(response)
    assert response.status_code == 422
    assert member.id_number not in html
    assert 'id="id_reason_error"' in html
    assert not AuditEvent.objects.filter(action=AuditAction.UNMASK).exists()


def test_unmask_with_a_reason_shows_the_plain_values_once_and_writes_one_audit_row(world, login):
    # given charlie and a member of his branch
    member = world.a1_1_members[0]
    client = login(world.charlie)
    # when he states a reason
    response = client.post(reverse("members:unmask", args=[member.pk]), {"reason": "办理组织关系转接核对身份"})
    # then the plain values are in this response, which may not be cached
    html = _html(response)
    assert response.status_code == 200
    assert member.id_number in html and member.phone in html and member.address in html
    assert "no-store" in response["Cache-Control"]
    # and exactly one audit row names him, the member and the reason
    events = AuditEvent.objects.filter(action=AuditAction.UNMASK)
    assert events.count() == 1
    event = events.get()
    assert event.actor == world.charlie and event.object_id == str(member.pk) and event.reason == "办理组织关系转接核对身份"
    # and the next plain GET is masked again
    assert member.id_number not in _html(client.get(reverse("members:detail", args=[member.pk])))


def test_unmask_is_post_only_so_plain_values_never_sit_behind_a_url(world, login):
    member = world.a1_1_members[0]
    assert login(world.charlie).get(reverse("members:unmask", args=[member.pk]), {"reason": "核对"}).status_code == 405


def test_a_member_opens_their_own_record_on_me_and_may_unmask_it(world, login):
    client = login(world.dave)
    html = _html(client.get(reverse("members:me")))
    assert "我的党员信息" in html and "戴维" in html
    assert world.dave_member.id_number not in html
    response = client.post(reverse("members:unmask", args=[world.dave_member.pk]), {"reason": "核对本人信息"})
    assert world.dave_member.id_number in _html(response)


def test_a_member_cannot_edit_their_own_record_and_is_told_whom_to_ask(world, login):
    response = login(world.dave).get(reverse("members:edit", args=[world.dave_member.pk]))
    assert response.status_code == 403
    assert "请联系所在党支部书记更正" in _html(response)


def test_me_without_a_member_record_explains_how_to_link_one(world, login):
    html = _html(login(world.alice).get(reverse("members:me")))
    assert "还没有关联党员信息" in html


# ---------------------------------------------------------------- create and edit


def test_PII_005_an_invalid_id_number_is_shown_on_its_field_and_nothing_is_saved(world, login):
    # given a number whose check digit is wrong
    values = _member_values(world)
    bad = values["id_number"][:17] + ("0" if values["id_number"][17] != "0" else "1")
    # when charlie registers it
    response = login(world.charlie).post(reverse("members:create"), {**values, "id_number": bad})
    html = _html(response)
    # then the PII-005 message sits on the ID field and nothing is saved
    assert response.status_code == 200
    error = html[html.index('id="id_id_number_error"') :][:400]
    assert "PII-005" in error and "校验位不正确" in error
    assert not Member.objects.filter(name="新登记党员").exists()


def test_several_problems_are_each_shown_against_their_own_field(world, login):
    values = _member_values(world, join_date="2030-01-01", phone="12345")
    html = _html(login(world.charlie).post(reverse("members:create"), values))
    assert "DEV-027" in html[html.index('id="id_join_date_error"') :][:300]
    assert "不是有效的手机号" in html[html.index('id="id_phone_error"') :][:300]


def test_creating_a_member_records_it_with_history(world, login):
    client = login(world.charlie)
    response = client.post(reverse("members:create"), _member_values(world))
    member = Member.objects.get(name="新登记党员")
    assert response.status_code == 302 and response.url == reverse("members:detail", args=[member.pk])
    assert member.organisation == world.branch_a1_1
    assert member.birth_date == date(1985, 3, 9) and member.gender == "male"  # filled from the ID number
    assert MemberEvent.objects.filter(member=member, action="create", actor=world.charlie).exists()
    assert "已登记党员新登记党员" in _html(client.get(response.url))


def test_create_offers_only_branches_in_scope(world, login):
    html = _html(login(world.charlie).get(reverse("members:create")))
    assert f'value="{world.branch_a1_1.pk}"' in html
    assert f'value="{world.branch_a1_2.pk}"' not in html
    assert f'value="{world.community_a1.pk}"' not in html


def test_a_branch_outside_the_scope_cannot_be_posted(world, login):
    response = login(world.charlie).post(reverse("members:create"), _member_values(world, organisation=world.branch_a1_2.pk))
    assert 'id="id_organisation_error"' in _html(response)
    assert not Member.objects.filter(name="新登记党员").exists()


def test_a_member_cannot_register_members(world, login):
    response = login(world.dave).post(reverse("members:create"), _member_values(world))
    assert response.status_code == 403
    assert not Member.objects.filter(name="新登记党员").exists()


def test_edit_keeps_personal_data_when_its_fields_are_left_empty_and_never_shows_it(world, login):
    # given charlie editing a member's employer only
    member = world.a1_1_members[0]
    client = login(world.charlie)
    form_html = _html(client.get(reverse("members:edit", args=[member.pk])))
    assert member.id_number not in form_html and member.phone not in form_html
    assert mask_id_number(member.id_number) in form_html
    values = _member_values(
        world,
        name=member.name,
        id_number="",
        phone="",
        address="",
        employer="和平里医院",
        join_date=member.join_date.isoformat(),
        full_date=member.full_date.isoformat(),
    )
    # when he saves
    response = client.post(reverse("members:edit", args=[member.pk]), values)
    # then the employer changed and the personal data did not
    assert response.status_code == 302
    fresh = Member.objects.get(pk=member.pk)
    assert fresh.employer == "和平里医院"
    assert (fresh.id_number, fresh.phone, fresh.address) == (member.id_number, member.phone, member.address)


def test_PII_005_on_edit_leaves_the_record_unchanged(world, login):
    member = world.a1_1_members[0]
    values = _member_values(
        world, name="改了名", id_number="110105198503090000", join_date=member.join_date.isoformat(), full_date=member.full_date.isoformat()
    )
    html = _html(login(world.charlie).post(reverse("members:edit", args=[member.pk]), values))
    assert "PII-005" in html[html.index('id="id_id_number_error"') :][:400]
    assert Member.objects.get(pk=member.pk).name == member.name


def test_history_shows_changes_with_chinese_labels_and_masked_values(world, login):
    member = world.a1_1_members[0]
    client = login(world.charlie)
    values = _member_values(
        world,
        name=member.name,
        id_number="",
        address="",
        phone="13800001111",
        status="full",
        join_date=member.join_date.isoformat(),
        full_date=member.full_date.isoformat(),
        comment="本人更换手机",
    )
    assert client.post(reverse("members:edit", args=[member.pk]), values).status_code == 302
    html = _html(client.get(reverse("members:history", args=[member.pk])))
    assert "联系电话" in html and "138****1111" in html and "13800001111" not in html
    assert "本人更换手机" in html and "查理" in html


# ---------------------------------------------------------------- export


def _rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [[c for c in row] for row in sheet.iter_rows(values_only=True)]


def test_export_holds_only_rows_in_scope_and_masked_values(world, login):
    pytest.importorskip("dangjian.members.exporting")
    # given bob exporting the list filtered to A1-2
    response = login(world.bob).get(reverse("members:export"), {"org": world.branch_a1_2.pk})
    assert response.status_code == 200
    text = "\n".join(" ".join(str(c) for c in row if c is not None) for row in _rows(response.content))
    # then exactly A1-2's members are there, masked
    for member in world.a1_2_members:
        assert member.name in text and mask_id_number(member.id_number) in text and member.id_number not in text
    for member in world.a1_1_members + world.b1_1_members:
        assert member.id_number not in text and mask_id_number(member.id_number) not in text
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=world.bob).count() == 1


def test_a_full_export_needs_a_reason(world, login):
    pytest.importorskip("dangjian.members.exporting")
    response = login(world.bob).post(reverse("members:export") + f"?org={world.branch_a1_2.pk}", {"reason": ""}, follow=True)
    assert "须填写导出事由" in _html(response)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_full_export_with_a_reason_holds_plain_values_and_is_audited(world, login):
    pytest.importorskip("dangjian.members.exporting")
    response = login(world.bob).post(reverse("members:export") + f"?org={world.branch_a1_2.pk}", {"reason": "报送上级组织部门核对"})
    text = str(_rows(response.content))
    assert all(m.id_number in text for m in world.a1_2_members)
    assert not any(m.id_number in text for m in world.b1_1_members)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.reason == "报送上级组织部门核对"


def test_a_member_cannot_export_the_registry(world, login):
    assert login(world.dave).get(reverse("members:export")).status_code == 403


# ---------------------------------------------------------------- import

ROSTER_HEADER = "序号,姓名,性别,民族,公民身份号码,入党日期,转正日期,党员状态,联系电话"


def _roster(*rows: str) -> SimpleUploadedFile:
    data = ("\n".join([ROSTER_HEADER, *rows]) + "\n").encode("utf-8-sig")
    return SimpleUploadedFile("花名册.csv", data, content_type="text/csv")


@pytest.fixture
def staging(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_roster_import_previews_writes_nothing_then_imports_on_confirmation(world, login, staging):
    pytest.importorskip("dangjian.members.importing")
    # given charlie uploading a roster of one new member for his branch
    new_id = valid_id(date(1990, 5, 4), male=False)
    client = login(world.charlie)
    response = client.post(
        reverse("members:import"),
        {"organisation": world.branch_a1_1.pk, "file": _roster(f"1,王小红,女,汉族,{new_id},2015-07-01,2016-07-01,正式党员,13700001234")},
    )
    # then the preview counts the new member and nothing is written yet
    html = _html(response)
    assert response.status_code == 200
    assert "预览" in html and "确认导入" in html
    assert response.context["report"].created == 1
    assert not Member.objects.filter(name="王小红").exists()
    token = response.context["token"]
    # when he confirms
    response = client.post(reverse("members:import_confirm"), {"token": token})
    # then the member exists in A1-1 and the counts are reported
    assert response.status_code == 302
    assert Member.objects.get(name="王小红").organisation == world.branch_a1_1
    assert "新增 1 人" in _html(client.get(response.url))
    # and the staged file is gone: a second confirmation imports nothing
    again = client.post(reverse("members:import_confirm"), {"token": token}, follow=True)
    assert "已确认过或已超过" in _html(again)
    assert Member.objects.filter(name="王小红").count() == 1
    assert not list(staging.joinpath("import_staging").iterdir())


def test_a_roster_with_errors_lists_row_column_and_reason_and_imports_nothing(world, login, staging):
    pytest.importorskip("dangjian.members.importing")
    good = valid_id(date(1990, 5, 4), male=False)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = login(world.charlie).post(
        reverse("members:import"),
        {"organisation": world.branch_a1_1.pk, "file": _roster(f"1,王小红,女,汉族,{bad},2015-07-01,2016-07-01,正式党员,13700001234")},
    )
    html = _html(response)
    assert "本次未导入任何数据" in html and "第 2 行" in html and "公民身份号码" in html and "校验位" in html
    assert not response.context.get("token")
    assert 'name="token"' not in html
    assert not Member.objects.filter(name="王小红").exists()


def test_another_users_token_confirms_nothing(world, login, staging, client):
    pytest.importorskip("dangjian.members.importing")
    new_id = valid_id(date(1990, 5, 4), male=False)
    response = login(world.charlie).post(
        reverse("members:import"),
        {"organisation": world.branch_a1_1.pk, "file": _roster(f"1,王小红,女,汉族,{new_id},2015-07-01,2016-07-01,正式党员,13700001234")},
    )
    token = response.context["token"]
    client.logout()
    login(world.bob).post(reverse("members:import_confirm"), {"token": token})
    assert not Member.objects.filter(name="王小红").exists()


def test_cancelling_an_import_discards_the_staged_file(world, login, staging):
    pytest.importorskip("dangjian.members.importing")
    new_id = valid_id(date(1990, 5, 4), male=False)
    client = login(world.charlie)
    response = client.post(
        reverse("members:import"),
        {"organisation": world.branch_a1_1.pk, "file": _roster(f"1,王小红,女,汉族,{new_id},2015-07-01,2016-07-01,正式党员,13700001234")},
    )
    client.post(reverse("members:import_confirm"), {"token": response.context["token"], "cancel": "1"})
    assert not list(staging.joinpath("import_staging").iterdir())
    assert not Member.objects.filter(name="王小红").exists()


def test_the_import_target_is_limited_to_the_scope(world, login, staging):
    response = login(world.charlie).post(reverse("members:import"), {"organisation": world.branch_a1_2.pk, "file": _roster()})
    assert 'id="id_organisation_error"' in _html(response)


def test_the_roster_template_downloads(world, login):
    pytest.importorskip("dangjian.members.exporting")
    response = login(world.charlie).get(reverse("members:import_template"))
    assert response.status_code == 200
    assert "公民身份号码" in str(_rows(response.content)[0])


def test_a_branch_secretarys_only_branch_is_preselected_on_create(world, login):
    form = login(world.charlie).get(reverse("members:create")).context["form"]
    assert form["organisation"].value() == world.branch_a1_1.pk
