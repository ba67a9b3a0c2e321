"""调阅 (LIFE-016) and its count (STAT-008): a superior's read logs exactly one entry; own reads don't."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from dangjian.meetings.models import SuperiorRead

from .factories import make_meeting

pytestmark = pytest.mark.django_db


def test_LIFE_016_a_superiors_read_logs_exactly_one_entry(world, login):
    """LIFE-016: bob (street A) opens a record of branch A1-1: one SuperiorRead and one audit event."""
    meeting = make_meeting(world.branch_a1_1)
    response = login(world.bob).get(reverse("meetings:detail", args=[meeting.pk]))
    assert response.status_code == 200
    read = SuperiorRead.objects.get()
    assert (read.user, read.meeting, read.org_path, read.reader_path) == (world.bob, meeting, world.branch_a1_1.path, world.street_a.path)
    assert AuditEvent.objects.filter(action="superior_read", object_id=str(meeting.pk)).count() == 1


def test_LIFE_016_the_branchs_own_reads_do_not_count(world, login):
    """LIFE-016: the branch's secretary and its members reading their own record log nothing."""
    meeting = make_meeting(world.branch_a1_1)
    for persona in ("charlie", "dave"):
        assert login(world.persona(persona)).get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200
    assert not SuperiorRead.objects.exists()
    assert not AuditEvent.objects.filter(action="superior_read").exists()


def test_LIFE_016_api_reads_are_logged_too(world, login):
    """LIFE-016: reading through the API is a 调阅 like a page read."""
    meeting = make_meeting(world.branch_a1_1)
    assert login(world.alice).get(f"/api/v1/meetings/{meeting.pk}").status_code == 200
    assert SuperiorRead.objects.get().reader_path == world.district.path


def test_STAT_008_count_of_reads_for_a_subtree_and_period_with_distinct_records_beside(world, login):
    """STAT-008: 调阅三会一课记录X条 counts events; distinct records beside; other subtrees excluded."""
    first, second = make_meeting(world.branch_a1_1), make_meeting(world.branch_a1_2)
    other = make_meeting(world.branch_b1_1)
    client = login(world.alice)
    for meeting in (first, first, second, other):
        client.get(reverse("meetings:detail", args=[meeting.pk]))
    response = client.get(reverse("meetings:reads"), {"org": world.street_a.pk})
    text = response.content.decode()
    assert "调阅“三会一课”记录<strong>3</strong>条" in text and "涉及记录 2 条" in text
    api = client.get(f"/api/v1/meetings/orgs/{world.street_a.pk}/reads").json()
    assert (api["events"], api["records"]) == (3, 2)


def test_STAT_008_the_read_log_is_for_admins_of_superior_organisations(world, login):
    """STAT-008: a branch secretary has no 调阅 log page."""
    assert login(world.charlie).get(reverse("meetings:reads")).status_code == 403
    assert login(world.bob).get(reverse("meetings:reads")).status_code == 200
