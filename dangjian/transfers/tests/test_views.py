"""Pages: the member's status page, applying with the destination search, steps, letter and arrivals."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from dangjian.members.models import Member
from dangjian.transfers.choices import Action, TransferState
from dangjian.transfers.models import Arrival, Transfer

from .helpers import authority_on_street_a, place


def test_member_sees_an_empty_page_with_the_apply_button(world, login):
    client = login(world.dave)
    response = client.get(reverse("transfers:index"))
    assert response.status_code == 200
    assert "申请转接组织关系" in response.text


def test_member_applies_from_the_phone_page_with_a_destination_search(world, login):
    client = login(world.dave)
    # the search button lists matching branches anywhere in the district
    found = client.post(reverse("transfers:apply"), {"q": "乙一社区", "find": "1", "destination_kind": "internal"})
    assert found.status_code == 200 and "乙一社区第一网格党支部" in found.text
    response = client.post(
        reverse("transfers:apply"),
        {
            "destination_kind": "internal",
            "destination_org": world.branch_b1_1.pk,
            "q": "乙一社区",
            "reason": "搬家",
            "dues_paid_up_to": "2026-10",
            "contact_phone": "13812345678",
        },
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("transfers:detail", args=[transfer.pk])
    page = client.get(response["Location"])
    assert "已申请，待党支部确认" in page.text and "现在由<strong>甲一社区第一网格党支部</strong>办理" in page.text
    assert "13812345678" not in page.text and "138****5678" in page.text  # masked
    assert "撤回申请" in page.text


def test_apply_form_errors_are_shown_at_their_fields(world, login):
    client = login(world.dave)
    response = client.post(reverse("transfers:apply"), {"destination_kind": "external", "reason": "", "dues_paid_up_to": "2026年13月"})
    assert response.status_code == 422
    text = response.text
    assert "请选择转往地区" in text and "请填写接收党组织全称" in text and "月份应为1至12" in text
    assert not Transfer.objects.exists()


def test_secretary_confirms_and_a_double_click_makes_one_step(world, login):
    transfer = place(world, TransferState.APPLIED)
    client = login(world.charlie)
    todo = client.get(reverse("transfers:index"))
    assert "戴维" in todo.text and "待办事项" in todo.text
    url = reverse("transfers:act", args=[transfer.pk])
    first = client.post(url, {"action": Action.CONFIRM})
    second = client.post(url, {"action": Action.CONFIRM})
    assert first.status_code == 302
    assert second.status_code == 422 and "可能已由他人办理" in second.text
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.BRANCH_CONFIRMED
    assert transfer.steps.count() == 1


def test_refuse_without_reason_shows_the_rule(world, login):
    transfer = place(world, TransferState.APPLIED)
    response = login(world.charlie).post(reverse("transfers:act", args=[transfer.pk]), {"action": Action.REFUSE, "reason": ""})
    assert response.status_code == 422 and "XFER-005" in response.text


def test_committee_issues_prints_and_records_the_receipt(world, login):
    authority_on_street_a(world)
    transfer = place(world, TransferState.COMMITTEE_APPROVED, internal=False)
    client = login(world.bob)
    page = client.get(reverse("transfers:detail", args=[transfer.pk]))
    assert "开具介绍信" in page.text
    assert client.post(reverse("transfers:act", args=[transfer.pk]), {"action": Action.ISSUE_LETTER, "valid_days": "30"}).status_code == 302
    pdf = client.get(reverse("transfers:letter", args=[transfer.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    page = client.get(reverse("transfers:detail", args=[transfer.pk]))
    assert "已打印1次" in page.text and "重新打印介绍信（将记录第2次打印）" in page.text
    response = client.post(
        reverse("transfers:act", args=[transfer.pk]), {"action": Action.RECORD_RECEIPT, "receipt_org_name": "某社区党委"}
    )
    assert response.status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).state == TransferState.RECEIPT_RETURNED
    # the member cannot print their own letter
    assert login(world.dave).get(reverse("transfers:letter", args=[transfer.pk])).status_code == 403


def test_arrival_with_a_paper_letter_creates_the_member_and_the_receipt(world, login):
    from dangjian.members.tests.factories import valid_id

    client = login(world.charlie)
    id_number = valid_id(date(1990, 5, 6), male=True)
    response = client.post(
        reverse("transfers:arrival_new"),
        {
            "organisation": world.branch_a1_1.pk,
            "letter_number": "2026-外-0012",
            "from_org_name": "某省某市某区某街道党工委",
            "scope": "other_province",
            "arrived_on": "2026-11-02",
            "name": "孙新来",
            "id_number": id_number,
            "ethnicity": "汉族",
            "status": "full",
            "join_date": "2015-07-01",
            "full_date": "2016-07-01",
            "phone": "13900001111",
        },
    )
    assert response.status_code == 302, response.text[:2000]
    arrival = Arrival.objects.get()
    assert arrival.change_type_code == "141" and arrival.member.organisation == world.branch_a1_1
    receipt = client.get(reverse("transfers:arrival_receipt", args=[arrival.pk]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    # the same letter cannot be registered twice
    again = client.post(
        reverse("transfers:arrival_new"),
        {
            "organisation": world.branch_a1_1.pk,
            "letter_number": "2026-外-0012",
            "from_org_name": "某省某市某区某街道党工委",
            "scope": "other_province",
            "arrived_on": "2026-11-02",
            "name": "孙新来",
            "id_number": id_number,
            "ethnicity": "汉族",
            "status": "full",
            "join_date": "2015-07-01",
        },
    )
    assert again.status_code == 422 and "不能重复登记" in again.text


def test_arrival_reactivates_a_member_who_left(world, login):
    member = world.a1_2_members[0]
    Member.objects.filter(pk=member.pk).update(left_on=date(2025, 1, 1), exit_reason="transferred_out")
    member.refresh_from_db()
    client = login(world.charlie)
    response = client.post(
        reverse("transfers:arrival_new"),
        {
            "organisation": world.branch_a1_1.pk,
            "letter_number": "R-1",
            "from_org_name": "本市某区某街道党工委",
            "scope": "city_other_district",
            "arrived_on": "2026-11-02",
            "name": member.name,
            "id_number": member.id_number,
            "ethnicity": member.ethnicity,
            "status": "full",
            "join_date": member.join_date.isoformat(),
        },
    )
    assert response.status_code == 302, response.text[:3000]
    member.refresh_from_db()
    assert member.left_on is None and member.organisation == world.branch_a1_1
    assert Arrival.objects.get().reactivated


def test_stats_page_shows_the_online_count(world, login):
    done = place(world, TransferState.COMPLETED)
    Transfer.objects.filter(pk=done.pk).update(done_at=done.applied_at)
    response = login(world.bob).get(reverse("transfers:stats"))
    assert response.status_code == 200
    assert "在线接转组织关系" in response.text


def test_the_list_is_for_staff_and_the_member_sees_only_their_own(world, login):
    place(world, TransferState.APPLIED)
    assert login(world.dave).get(reverse("transfers:list")).status_code == 403
    assert "戴维" in login(world.bob).get(reverse("transfers:list")).text
    other = place(world, TransferState.APPLIED, member=world.a1_1_members[0])
    assert login(world.dave).get(reverse("transfers:detail", args=[other.pk])).status_code == 404


def test_returned_application_is_corrected_and_resubmitted(world, login):
    transfer = place(world, TransferState.RETURNED, internal=False)
    client = login(world.dave)
    page = client.get(reverse("transfers:detail", args=[transfer.pk]))
    assert "修改后重新提交" in page.text and "接收党组织全称" in page.text
    response = client.post(
        reverse("transfers:act", args=[transfer.pk]),
        {
            "action": Action.RESUBMIT,
            "new_reason": "工作调动到外省",
            "dues_paid_up_to": "2026-11",
            "external_org_name": "某省某市某区某街道党工委（新）",
        },
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == TransferState.APPLIED
    assert (transfer.reason, transfer.dues_paid_up_to, transfer.external_org_name) == (
        "工作调动到外省",
        date(2026, 11, 1),
        "某省某市某区某街道党工委（新）",
    )
    assert transfer.steps.get().action == Action.RESUBMIT


def test_the_district_admin_is_told_what_revoking_a_letter_transfer_does(world, login):
    # given a letter issued for a transfer out of the district, and a completed internal transfer
    authority_on_street_a(world)
    letter = place(world, TransferState.LETTER_ISSUED, internal=False)
    client = login(world.alice)
    page = client.get(reverse("transfers:detail", args=[letter.pk])).text
    # then revoking it is not described as revoking a completed transfer
    assert "撤销该转接，介绍信作废" in page and "撤销已完成的转接" not in page
