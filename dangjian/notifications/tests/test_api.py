"""The inbox API: own messages only, paginated; mark read; unread count; 404 for another user's message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dangjian.notifications.choices import MessageKind, MessageStatus
from dangjian.notifications.models import Message

from .message_rows import make_message

pytestmark = pytest.mark.django_db


def _api_client(user) -> Client:
    """A logged-in API client (tokens are accounts' business, tested there; the scope is the same)."""
    client = Client()
    client.force_login(user)
    return client


def test_the_inbox_lists_only_own_messages_newest_first_with_labels(world):
    # given two messages for dave and one for erin
    now = timezone.now()
    old = make_message(user=world.dave, title="旧", created_at=now - timedelta(days=1))
    new = make_message(user=world.dave, title="新", kind=MessageKind.MEETING_REMINDER, created_at=now)
    make_message(user=world.erin, title="艾琳的")
    # when dave lists his inbox
    body = _api_client(world.dave).get("/api/v1/inbox").json()
    # then his two, newest first, with the kind's Chinese label
    assert body["count"] == 2
    assert [m["id"] for m in body["items"]] == [new.pk, old.pk]
    assert body["items"][0]["kind_label"] == "组织生活提醒"
    assert body["items"][0]["read_at"] is None


def test_the_inbox_is_paginated(world):
    for _ in range(5):
        make_message(user=world.dave)
    body = _api_client(world.dave).get("/api/v1/inbox", {"limit": 2, "offset": 4}).json()
    assert body["count"] == 5 and len(body["items"]) == 1


def test_the_unread_count_counts_own_unread_messages(world):
    # given two unread and one read for dave, one unread for erin
    make_message(user=world.dave)
    make_message(user=world.dave)
    make_message(user=world.dave, read_at=timezone.now())
    make_message(user=world.erin)
    # then dave's count is 2
    assert _api_client(world.dave).get("/api/v1/inbox/unread-count").json() == {"unread": 2}


def test_marking_read_sets_the_time_and_lowers_the_count(world):
    # given an unread message
    message = make_message(user=world.dave)
    client = _api_client(world.dave)
    # when dave marks it read
    response = client.post(f"/api/v1/inbox/{message.pk}/read")
    # then it is read and the count is 0
    assert response.status_code == 200 and response.json()["read_at"]
    assert Message.objects.get(pk=message.pk).read_at is not None
    assert client.get("/api/v1/inbox/unread-count").json() == {"unread": 0}


def test_marking_another_users_message_read_answers_404(world):
    # given erin's message
    message = make_message(user=world.erin)
    # when dave tries to mark it read
    response = _api_client(world.dave).post(f"/api/v1/inbox/{message.pk}/read")
    # then 404 with the usual Chinese detail, and erin's message is unchanged
    assert response.status_code == 404
    assert response.json()["detail"] == "未找到，或不在您的组织范围内。"
    assert Message.objects.get(pk=message.pk).read_at is None


def test_a_skipped_or_not_yet_due_message_is_not_in_the_api_either(world):
    make_message(user=world.dave, status=MessageStatus.SKIPPED)
    later = make_message(user=world.dave, status=MessageStatus.PENDING, send_after=timezone.now() + timedelta(hours=3))
    client = _api_client(world.dave)
    assert client.get("/api/v1/inbox").json()["count"] == 0
    assert client.post(f"/api/v1/inbox/{later.pk}/read").status_code == 404


def test_read_all_marks_own_messages_only(world):
    make_message(user=world.dave)
    make_message(user=world.dave)
    theirs = make_message(user=world.erin)
    assert _api_client(world.dave).post("/api/v1/inbox/read-all").json() == {"marked": 2}
    assert Message.objects.get(pk=theirs.pk).read_at is None


def test_the_session_needs_the_csrf_token_to_mark_read(world):
    # given dave logged in by session, with CSRF checks on
    message = make_message(user=world.dave)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dave)
    # when he posts without the header, then 403 and nothing changes
    assert client.post(f"/api/v1/inbox/{message.pk}/read").status_code == 403
    assert Message.objects.get(pk=message.pk).read_at is None


def test_an_anonymous_call_answers_401(client):
    assert client.get("/api/v1/inbox").status_code == 401
    assert client.get("/api/v1/inbox/unread-count").status_code == 401
