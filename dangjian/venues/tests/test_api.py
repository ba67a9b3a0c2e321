"""The JSON API: booking with a token (retry-safe), slots, decisions, scope (404) and roles (403)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from dangjian.accounts.services import issue_api_token
from dangjian.venues.choices import BookingStatus
from dangjian.venues.models import Booking

from .factories import make_activity, make_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(world):
    base = make_base(world.community_a1, name="甲侧基地", capacity=10, keepers=(world.grace,))
    activity = make_activity(base, capacity=10)
    outside = make_base(world.community_b1, name="乙侧基地")
    _token, key = issue_api_token(user=world.charlie, name="测试")
    _token, keeper_key = issue_api_token(user=world.grace, name="测试")
    start = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=3), time(9)))
    return {"base": base, "activity": activity, "outside": outside, "key": key, "keeper_key": keeper_key, "start": start}


def _post(client, path, body, key):
    return client.post(path, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {key}"})


def _body(world, scene, **extra):
    return {
        "activity_id": scene["activity"].pk,
        "organisation_id": world.branch_a1_1.pk,
        "starts_at": scene["start"].isoformat(),
        "headcount": 4,
        "request_key": "api-1",
        **extra,
    }


def test_booking_by_token_is_retry_safe_and_shows_in_the_slots(client, world, scene):
    path = f"/api/v1/bases/{scene['base'].pk}/bookings"
    first = _post(client, path, _body(world, scene), scene["key"])
    again = _post(client, path, _body(world, scene), scene["key"])
    assert first.status_code == 201 and again.status_code == 200 and again.json()["replayed"]
    assert first.json()["id"] == again.json()["id"] and Booking.objects.count() == 1
    slots = client.get(
        f"/api/v1/bases/{scene['base'].pk}/slots",
        {"day": scene["start"].date().isoformat(), "activity_id": scene["activity"].pk},
        headers={"Authorization": f"Bearer {scene['key']}"},
    ).json()
    nine = next(s for s in slots if s["starts_at"].startswith(scene["start"].date().isoformat() + "T09:00"))
    assert nine["free"] == 6


def test_a_full_slot_answers_422_with_the_rule(client, world, scene):
    path = f"/api/v1/bases/{scene['base'].pk}/bookings"
    _post(client, path, _body(world, scene, headcount=10, request_key="a"), scene["key"])
    response = _post(client, path, _body(world, scene, headcount=1, request_key="b"), scene["key"])
    assert response.status_code == 422
    assert response.json()["rule"] == "BASE-002" and "时段已满" in response.json()["message"]


def test_outside_base_is_404_and_a_keeper_cannot_book(client, world, scene):
    response = _post(client, f"/api/v1/bases/{scene['outside'].pk}/bookings", _body(world, scene), scene["key"])
    assert response.status_code == 404
    response = _post(client, f"/api/v1/bases/{scene['base'].pk}/bookings", _body(world, scene), scene["keeper_key"])
    assert response.status_code == 403


def test_keeper_approves_by_api_and_the_branch_cannot(client, world, scene):
    created = _post(client, f"/api/v1/bases/{scene['base'].pk}/bookings", _body(world, scene), scene["key"]).json()
    assert _post(client, f"/api/v1/bases/bookings/{created['id']}/approve", {}, scene["key"]).status_code == 403
    approved = _post(client, f"/api/v1/bases/bookings/{created['id']}/approve", {}, scene["keeper_key"])
    assert approved.status_code == 200 and approved.json()["status"] == BookingStatus.APPROVED
    again = _post(client, f"/api/v1/bases/bookings/{created['id']}/approve", {}, scene["keeper_key"])
    assert again.status_code == 422 and "已被他人处理" in again.json()["message"]
