"""Pages: the one record form, review from the page, uploads (LIFE-024), compliance sheet and export,
the member's own view, settings (LIFE-004)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dangjian.meetings.choices import MeetingStatus
from dangjian.meetings.models import Attendance, LifeSettings, Meeting, MeetingFile

from .factories import make_meeting

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def form_data(world, **extra):
    day = timezone.localdate() - timedelta(days=1)
    data = {
        "org": world.branch_a1_1.pk,
        "kinds": ["themed_day", "party_lecture"],
        "day": day.isoformat(),
        "start": "14:30",
        "end": "16:00",
        "place": "社区党群服务中心",
        "topic": "学习党章",
        "host": "查理",
        "recorder": "王芳",
        "minutes": "会议记录正文",
        f"att_{world.dave_member.pk}": "present",
        f"att_{world.a1_1_members[0].pk}": "absent",
        f"reason_{world.a1_1_members[0].pk}": "sick",
    }
    data.update(extra)
    return data


def test_LIFE_024_a_record_is_saved_without_any_photo(world, login):
    """LIFE-024: no photo proof is demanded; the form saves with no file."""
    client = login(world.charlie)
    assert client.get(reverse("meetings:create")).status_code == 200
    response = client.post(reverse("meetings:create"), form_data(world))
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/meetings/{meeting.pk}/")
    assert meeting.status == MeetingStatus.DRAFT and not MeetingFile.objects.exists()
    assert set(meeting.kind_entries.values_list("kind", flat=True)) == {"themed_day", "party_lecture"}
    assert Attendance.objects.get(meeting=meeting, member=world.dave_member).presence == "present"


def test_LIFE_024_uploads_are_checked_by_content_and_stored_under_server_names(world, login, tmp_path):
    """LIFE-024: photos are optional; when given, a renamed program is refused and names are generated."""
    client = login(world.charlie)
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a picture", content_type="image/jpeg")
    response = client.post(reverse("meetings:create"), {**form_data(world), "files": [fake]})
    assert "内容不是JPEG 图片" in response.content.decode()
    assert not Meeting.objects.exists()
    good = SimpleUploadedFile("会场照片.png", PNG, content_type="image/png")
    client.post(reverse("meetings:create"), {**form_data(world), "files": [good]})
    stored = MeetingFile.objects.get()
    assert stored.original_name == "会场照片.png" and "会场" not in stored.file.name and stored.file.name.startswith("meetings/")
    download = client.get(reverse("meetings:file", args=[stored.pk]))
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    # another branch's secretary cannot fetch it
    assert login(world.erin).get(reverse("meetings:file", args=[stored.pk])).status_code == 404


def test_LIFE_015_form_errors_name_the_rule_and_save_nothing(world, login):
    """LIFE-015: an attendee outside the branch is refused on the form with the rule named."""
    client = login(world.charlie)
    response = client.post(reverse("meetings:create"), form_data(world, kinds=["group_meeting"]))
    assert "LIFE-015" in response.content.decode() and not Meeting.objects.exists()


def test_LIFE_015_secretary_submits_superior_returns_then_approves_from_the_pages(world, login):
    """LIFE-015: the online review round trip through the pages."""
    meeting = make_meeting(world.branch_a1_1, status=MeetingStatus.DRAFT)
    charlie, bob = login(world.charlie), None
    charlie.post(reverse("meetings:submit", args=[meeting.pk]))
    assert Meeting.objects.get(pk=meeting.pk).status == "submitted"
    from django.test import Client

    bob = Client()
    bob.force_login(world.bob)
    page = bob.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "线上审核" in page
    bob.post(reverse("meetings:return", args=[meeting.pk]), {"comment": "请补充出席情况"})
    assert Meeting.objects.get(pk=meeting.pk).status == "returned"
    charlie.post(reverse("meetings:submit", args=[meeting.pk]))
    bob.post(reverse("meetings:approve", args=[meeting.pk]), {"comment": ""})
    assert Meeting.objects.get(pk=meeting.pk).status == "approved"
    # the secretary cannot approve his own branch's record
    other = make_meeting(world.branch_a1_1, status=MeetingStatus.SUBMITTED)
    assert charlie.post(reverse("meetings:approve", args=[other.pk])).status_code == 403


def test_LIFE_001_compliance_sheet_page_and_excel_export(world, login):
    """LIFE-001..008: the street's sheet lists its branches and exports the same rows to Excel."""
    client = login(world.bob)
    response = client.get(reverse("meetings:compliance"), {"org": world.street_a.pk, "period": "year"})
    text = response.content.decode()
    assert world.branch_a1_1.name in text and world.branch_a1_2.name in text and world.branch_b1_1.name not in text
    export = client.get(reverse("meetings:compliance_export"), {"org": world.street_a.pk, "period": "year"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert sorted(names) == sorted([world.branch_a1_1.name, world.branch_a1_2.name])
    assert client.get(reverse("meetings:compliance_branch", args=[world.branch_a1_1.pk])).status_code == 200
    assert client.get(reverse("meetings:compliance_branch", args=[world.branch_b1_1.pk])).status_code == 404


def test_LIFE_001_a_branch_link_on_a_past_months_sheet_opens_that_month(world, login):
    """The sheet of an earlier month links each branch to its findings for that month, not the current one."""
    client = login(world.bob)
    sheet = client.get(reverse("meetings:compliance"), {"org": world.street_a.pk, "period": "month", "year": 2025, "number": 3})
    link = f"{reverse('meetings:compliance_branch', args=[world.branch_a1_1.pk])}?period=month&amp;year=2025&amp;number=3"
    assert link in sheet.content.decode()
    branch = client.get(link.replace("&amp;", "&")).content.decode()
    assert "2025年3月" in branch
    # a bare link (from a record's page) shows the current year
    assert (
        f"{timezone.localdate().year}年" in client.get(reverse("meetings:compliance_branch", args=[world.branch_a1_1.pk])).content.decode()
    )


def test_LIFE_004_district_admin_sets_the_lecture_frequency(world, login):
    """LIFE-004: only the district admin changes the 党课 frequency."""
    assert login(world.bob).get(reverse("meetings:settings")).status_code == 403
    response = login(world.alice).post(reverse("meetings:settings"), {"lecture_months": "1"})
    assert response.status_code == 302 and LifeSettings.objects.get().lecture_months == 1


def test_member_sees_upcoming_meetings_and_own_attendance_history(world, login):
    """The member view: my upcoming meetings and my attendance; no other member is ranked or listed."""
    past = make_meeting(world.branch_a1_1, topic="上月主题党日")
    Attendance.objects.create(meeting=past, member=world.dave_member, presence="present")
    soon = make_meeting(world.branch_a1_1, topic="下周党课", status="draft", day=timezone.localdate() + timedelta(days=7))
    client = login(world.dave)
    assert client.get(reverse("meetings:index")).status_code == 302
    text = client.get(reverse("meetings:my")).content.decode()
    assert soon.topic in text and "上月主题党日" in text and "出席" in text
    assert client.get(reverse("meetings:compliance")).status_code == 403


def test_index_lists_records_in_scope_only(world, login):
    make_meeting(world.branch_a1_1, topic="甲侧记录")
    make_meeting(world.branch_b1_1, topic="乙侧记录")
    text = login(world.bob).get(reverse("meetings:index")).content.decode()
    assert "甲侧记录" in text and "乙侧记录" not in text


@pytest.mark.parametrize("rows", [1, 50])
def test_index_and_compliance_pages_run_a_constant_number_of_queries(world, login, django_assert_max_num_queries, rows):
    """STYLE §6: the list and the sheet cost the same number of queries for 1 and 50 rows."""
    from dangjian.organisations.choices import OrgKind
    from dangjian.organisations.tests.factories import make_org

    for n in range(rows):
        make_meeting(world.branch_a1_1, topic=f"记录{n}")
        if n < 10:
            make_org(world.community_a1, f"支部{rows}-{n}", OrgKind.BRANCH)
    client = login(world.bob)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("meetings:index")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("meetings:compliance"), {"period": "year"}).status_code == 200
