"""Pages: pipeline, register, dossier with timeline, recording a step, upload and review, calendar, export."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from dangjian.recruitment import demo
from dangjian.recruitment.choices import MaterialStatus, Stage
from dangjian.recruitment.models import Candidate, Material, WorkCalendar
from dangjian.recruitment.tests.factories import new_id, pdf, register

pytestmark = pytest.mark.django_db


def test_secretary_registers_an_applicant_with_the_application_letter(world, login):
    client = login(world.charlie)
    number = new_id()
    response = client.post(
        reverse("recruitment:create"),
        {"name": "赵小青", "id_number": number, "organisation": world.branch_a1_1.pk, "applied_on": "2026-01-05", "file": pdf()},
    )
    candidate = Candidate.objects.get(name="赵小青")
    assert response.status_code == 302 and response["Location"] == reverse("recruitment:detail", args=[candidate.pk])
    page = client.get(response["Location"]).content.decode()
    assert "第2步" in page and "派人谈话" in page and number not in page and "已脱敏" in page
    assert "DEV-003" in page  # the talk window cites its rule


def test_registering_a_member_is_refused_with_the_rule(world, login):
    client = login(world.charlie)
    response = client.post(
        reverse("recruitment:create"),
        {
            "name": "戴维",
            "id_number": world.dave_member.id_number,
            "organisation": world.branch_a1_1.pk,
            "applied_on": "2026-01-05",
            "is_paper": "on",
        },
    )
    assert response.status_code == 422
    assert "DEV-027" in response.content.decode() and not Candidate.objects.exists()


def test_recording_a_step_too_early_shows_the_rule_and_the_months(world, login):
    candidate = demo.walk(register(world, applied=date(2024, 1, 8)), until=5, today=date(2025, 1, 1))
    client = login(world.charlie)
    response = client.post(reverse("recruitment:record", args=[candidate.pk]), {"number": 7, "on": "2024-12-31"})
    text = response.content.decode()
    assert response.status_code == 422
    assert "从列为入党积极分子到确定为发展对象需满1年，该同志仅8个月" in text
    assert candidate.steps.filter(number=7).count() == 0


def test_recording_a_step_with_its_material_moves_the_person_on(world, login):
    candidate = register(world, applied=date(2025, 6, 2))
    client = login(world.charlie)
    response = client.post(
        reverse("recruitment:upload", args=[candidate.pk]), {"step_number": 2, "kind": "talk_record", "file": pdf("谈话记录.pdf")}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("recruitment:record", args=[candidate.pk]), {"number": 2, "on": "2025-06-10", "responsible": "组织委员王芳"}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.next_step == 3 and candidate.stage == Stage.APPLICANT


def test_superior_returns_then_approves_a_document(world, login):
    candidate = register(world)
    material = candidate.materials.get()
    client = login(world.bob)
    assert "审核通过" in client.get(reverse("recruitment:reviews")).content.decode()
    client.post(reverse("recruitment:review", args=[material.pk]), {"approve": "no", "comment": "请补充本人签名"})
    assert Material.objects.get(pk=material.pk).status == MaterialStatus.RETURNED
    page = login(world.charlie).get(reverse("recruitment:detail", args=[candidate.pk])).content.decode()
    assert "请补充本人签名" in page and "重新上传" in page


def test_the_secretary_cannot_review(world, login):
    material = register(world).materials.get()
    response = login(world.charlie).post(reverse("recruitment:review", args=[material.pk]), {"approve": "yes"})
    assert response.status_code == 403


def test_material_file_is_served_after_the_scope_check(world, login):
    material = register(world).materials.get()
    response = login(world.charlie).get(reverse("recruitment:material_file", args=[material.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert login(world.frank).get(reverse("recruitment:material_file", args=[material.pk])).status_code == 404


def test_pipeline_counts_and_export(world, login):
    demo.walk(register(world, name="甲", applied=date(2024, 1, 8)), until=5, today=date(2025, 1, 1))
    register(world, name="乙", applied=date(2024, 2, 1))
    register(world, name="丙外", org=world.branch_b1_1)
    client = login(world.bob)
    page = client.get(reverse("recruitment:index")).content.decode()
    assert "甲" in page and "丙外" not in page
    response = client.get(reverse("recruitment:export"))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    names = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["乙", "甲"]
    stats = dict(book["统计"].iter_rows(values_only=True))
    assert stats["入党积极分子"] == 1 and stats["入党申请人"] == 1


def test_pipeline_list_runs_a_constant_number_of_queries(world, login, django_assert_max_num_queries):
    client = login(world.charlie)
    register(world, name="一号")
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("recruitment:index"))
    for n in range(8):
        register(world, name=f"多{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("recruitment:index"))


def test_calendar_is_edited_by_the_district_admin(world, login):
    response = login(world.alice).post(
        reverse("recruitment:calendar"), {"year": 2026, "holidays": "2026-10-01\n2026-10-02", "workdays": "2026-10-10"}
    )
    assert response.status_code == 302
    assert WorkCalendar.objects.get(year=2026).holidays == ["2026-10-01", "2026-10-02"]
    assert login(world.bob).post(reverse("recruitment:calendar"), {"year": 2026, "holidays": ""}).status_code == 403
    assert "2026-10-10" in login(world.bob).get(reverse("recruitment:calendar") + "?year=2026").content.decode()


def test_member_page_link_finds_the_dossier(world, login):
    candidate = demo.walk(register(world, name="全程乙"), until=17, today=date(2030, 1, 1))
    client = login(world.charlie)
    response = client.get(reverse("recruitment:for_member", args=[candidate.member_id]))
    assert response["Location"] == reverse("recruitment:detail", args=[candidate.pk])
    assert "没有" in client.get(reverse("recruitment:for_member", args=[world.dave_member.pk])).content.decode()


def test_member_without_a_role_is_refused(world, login):
    assert login(world.dave).get(reverse("recruitment:index")).status_code == 403


def test_unmask_shows_the_id_once_with_a_reason_and_audits_it(world, login):
    from dangjian.audit.models import AuditEvent

    number = new_id()
    candidate = register(world, id_number=number)
    client = login(world.charlie)
    refused = client.post(reverse("recruitment:unmask", args=[candidate.pk]), {"reason": ""})
    assert refused.status_code == 422 and number not in refused.content.decode()
    response = client.post(reverse("recruitment:unmask", args=[candidate.pk]), {"reason": "填写政审材料核对身份"})
    assert number in response.content.decode() and response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="unmask", object_id=str(candidate.pk)).count() == 1
    assert number not in client.get(reverse("recruitment:detail", args=[candidate.pk])).content.decode()


def test_the_member_page_links_the_development_record_once_there_is_one(world, login):
    """Issue 8 point 5: the whole development record is reachable from the member's page."""
    candidate = demo.walk(register(world), until=17, today=date(2026, 11, 28))
    candidate.refresh_from_db()
    client = login(world.charlie)
    page = client.get(reverse("members:detail", args=[candidate.member_id])).content.decode()
    assert "发展档案" in page and reverse("recruitment:for_member", args=[candidate.member_id]) in page
    # a member who joined before the platform has no such link
    other = client.get(reverse("members:detail", args=[world.a1_1_members[0].pk])).content.decode()
    assert "发展档案" not in other


def test_DEV_002_dossier_warns_when_the_branch_is_not_the_applicants_unit(world, login):
    """DEV-002 (Warn): the dossier shows a warning when the receiving branch is neither the unit's nor
    above it by name; a unit the community carries in its name shows none. The person is still saved."""
    client = login(world.charlie)
    elsewhere = register(world, applied=date(2026, 1, 5), work_unit="华光电子有限公司")
    page = client.get(reverse("recruitment:detail", args=[elsewhere.pk])).content.decode()
    assert "DEV-002" in page and "华光电子有限公司" in page and "请核实" in page
    community = world.community_a1.name.removesuffix("党委").removesuffix("委员会")
    local = register(world, applied=date(2026, 1, 5), work_unit=f"{community}居委会")
    assert "请核实" not in client.get(reverse("recruitment:detail", args=[local.pk])).content.decode()


def test_DEV_026_dossier_shows_dues_from_the_step_15_month(world, login):
    """DEV-026: after step 15 the dossier shows 党费自YYYY年M月起缴纳 (derived from the step-15 date)."""
    client = login(world.charlie)
    candidate = demo.walk(register(world, applied=date(2023, 1, 9)), until=14, today=date(2026, 1, 1))
    assert "党费自" not in client.get(reverse("recruitment:detail", args=[candidate.pk])).content.decode()
    candidate = demo.walk(candidate, until=15, today=date(2026, 1, 1))
    meeting = candidate.steps.get(number=15).on
    page = client.get(reverse("recruitment:detail", args=[candidate.pk])).content.decode()
    assert f"党费自{meeting.year}年{meeting.month}月起缴纳" in page and "DEV-026" in page
