"""The daily deadline job: the branch and its superior are told once per person, step and day."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.notifications.models import Message
from dangjian.recruitment import jobs
from dangjian.recruitment.tests.factories import register

pytestmark = pytest.mark.django_db


def test_DEV_003_talk_due_warns_the_secretary_and_the_admins_above(world):
    """DEV-003: the talk is due one month after the application; 7 days before, the branch and its superiors hear of it."""
    candidate = register(world, applied=date(2026, 1, 31))
    assert candidate.next_due == date(2026, 2, 28)
    # when the job runs 8 days before: nothing yet
    assert jobs.warn_deadlines(day=date(2026, 2, 20))["people"] == 0
    # when it runs 7 days before
    summary = jobs.warn_deadlines(day=date(2026, 2, 21))
    # then charlie (secretary) and bob (street admin above) get an inbox reminder; erin and frank do not
    recipients = set(Message.objects.values_list("recipient_user__username", flat=True))
    assert recipients == {"charlie", "bob"}
    assert summary["due_soon"] == 1
    message = Message.objects.get(recipient_user=world.charlie)
    assert "派人谈话" in message.body and "2月28日" in message.body
    # a rerun the same day sends nothing twice
    jobs.warn_deadlines(day=date(2026, 2, 21))
    assert Message.objects.count() == 2


def test_overdue_steps_are_flagged_every_day_until_done(world):
    register(world, applied=date(2026, 1, 5))
    summary = jobs.warn_deadlines(day=date(2026, 3, 1))
    assert summary["overdue"] == 1
    assert "已逾期" in Message.objects.filter(recipient_user=world.charlie).first().body
    jobs.warn_deadlines(day=date(2026, 3, 2))
    assert Message.objects.filter(recipient_user=world.charlie).count() == 2
