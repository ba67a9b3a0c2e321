"""重点工作提醒单 (LIFE-017): monthly notices to branch secretaries, the A4 PDF, silent branches."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from dangjian.meetings.choices import MeetingKind
from dangjian.meetings.compliance import Period, compute_sheet, month_index
from dangjian.meetings.reminders import send_monthly_reminders, sheet_for_branch
from dangjian.notifications.models import Message

from .factories import make_meeting

pytestmark = pytest.mark.django_db


def test_LIFE_017_the_sheet_lists_this_months_due_items_and_the_overdue_ones(world):
    """LIFE-017: on 1 May 2025, May's monthly items are due; April's missing themed day is overdue."""
    make_meeting(world.branch_a1_1, kinds=(MeetingKind.THEMED_DAY,), day=date(2025, 3, 12))
    sheet = sheet_for_branch(world.branch_a1_1, date(2025, 5, 1))
    due_rules = {i.rule_id for i in sheet.due}
    overdue = [i.text for i in sheet.overdue]
    assert {"LIFE-005", "LIFE-001", "LIFE-006"} <= due_rules
    assert any("2025年4月未开展主题党日" in text for text in overdue)
    assert not any("2025年3月未开展主题党日" in text for text in overdue)
    assert "本月应完成" in sheet.summary and "LIFE-017" in sheet.summary


def test_LIFE_017_january_also_reports_last_years_overdue_items(world):
    """LIFE-017: at the start of a year, last year's missing 组织生活会 is still listed."""
    sheet = sheet_for_branch(world.branch_a1_1, date(2026, 1, 1))
    assert any("2025年未召开组织生活会" in i.text for i in sheet.overdue)


def test_LIFE_017_the_daily_job_notifies_each_secretary_once_on_the_first_of_the_month(world):
    """LIFE-017: the job acts on the 1st only; a rerun sends nothing twice (dedup per branch+month)."""
    assert send_monthly_reminders(day=date(2025, 5, 2))["skipped"]
    summary = send_monthly_reminders(day=date(2025, 5, 1))
    # charlie (A1-1) and erin (A1-2) are the secretaries; branch B1-1 has none
    assert summary["branches"] == 2
    inbox = Message.objects.filter(kind="task_reminder", channel="inbox")
    assert set(inbox.values_list("recipient_user_id", flat=True)) == {world.charlie.pk, world.erin.pk}
    assert all("重点工作提醒单" in m.body and "/meetings/reminders/" in m.link for m in inbox)
    count = Message.objects.count()
    send_monthly_reminders(day=date(2025, 5, 1))
    assert Message.objects.count() == count


def test_LIFE_017_the_reminder_pdf_is_a_printable_a4_sheet(world, login):
    """LIFE-017: the PDF names the branch, the month and the rule IDs of its items."""
    response = login(world.charlie).get(reverse("meetings:reminder_pdf", args=[world.branch_a1_1.pk]), {"month": "2025-05"})
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "重点工作提醒单" in text and "2025年5月" in text and "LIFE-005" in text
    assert round(float(reader.pages[0].mediabox.width)) == 595


def test_LIFE_017_superiors_see_silent_branches_without_records_last_month(world, login):
    """LIFE-017: a branch with no submitted record held last month is silent; one with a record is not."""
    make_meeting(world.branch_a1_1, day=date(2025, 4, 9))
    sheet = compute_sheet(
        world.street_a, Period("month", 2025, 5), today=date(2025, 5, 3), lecture_months=3, silent_month=month_index(date(2025, 4, 1))
    )
    silent = {r.name for r in sheet.rows if r.silent}
    assert silent == {world.branch_a1_2.name}
