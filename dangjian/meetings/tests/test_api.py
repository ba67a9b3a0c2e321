"""The JSON API: create, read (调阅), submit, review, compliance; scope and rule errors as JSON."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from dangjian.meetings.models import Meeting, SuperiorRead

from .factories import make_meeting

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_LIFE_015_api_create_submit_return_and_approve(world, login):
    """LIFE-015: the same workflow as the pages, rules answered as 422 with the rule ID."""
    starts = (timezone.localtime() - timedelta(days=1)).replace(hour=14, minute=30, second=0, microsecond=0)
    body = {
        "kinds": ["themed_day"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "topic": "接口登记的主题党日",
        "place": "党群服务中心",
        "host": "查理",
        "recorder": "王芳",
        "attendance": [{"member_id": world.dave_member.pk, "presence": "present"}],
    }
    charlie = login(world.charlie)
    created = post(charlie, f"/api/v1/meetings/orgs/{world.branch_a1_1.pk}/records", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "draft" and data["present"] == 1
    # an attendee of another branch is refused with the rule
    bad = post(
        charlie,
        f"/api/v1/meetings/orgs/{world.branch_a1_1.pk}/records",
        {**body, "attendance": [{"member_id": world.b1_1_members[0].pk, "presence": "present"}]},
    )
    assert bad.status_code == 422 and bad.json()["rule"] == "LIFE-015"
    assert post(charlie, f"/api/v1/meetings/{data['id']}/submit", {}).json()["status"] == "submitted"
    from django.test import Client

    bob = Client()
    bob.force_login(world.bob)
    refused = post(bob, f"/api/v1/meetings/{data['id']}/return", {"comment": ""})
    assert refused.status_code == 422 and "审核意见" in refused.json()["message"]
    assert post(bob, f"/api/v1/meetings/{data['id']}/return", {"comment": "补充记录"}).json()["status"] == "returned"
    assert post(charlie, f"/api/v1/meetings/{data['id']}/submit", {}).json()["status"] == "submitted"
    assert post(charlie, f"/api/v1/meetings/{data['id']}/approve", {}).status_code == 403
    assert post(bob, f"/api/v1/meetings/{data['id']}/approve", {}).json()["status"] == "approved"
    assert Meeting.objects.get(pk=data["id"]).status == "approved"


def test_LIFE_016_api_list_and_detail_are_scoped(world, login):
    """LIFE-016: records outside the subtree answer 404; the superior's detail read is logged."""
    inside, outside = make_meeting(world.branch_a1_1), make_meeting(world.branch_b1_1)
    bob = login(world.bob)
    listed = bob.get(f"/api/v1/meetings/orgs/{world.street_a.pk}/records").json()
    assert [r["id"] for r in listed["items"]] == [inside.pk]
    assert bob.get(f"/api/v1/meetings/orgs/{world.street_b.pk}/records").status_code == 404
    assert bob.get(f"/api/v1/meetings/{outside.pk}").status_code == 404
    assert bob.get(f"/api/v1/meetings/{inside.pk}").status_code == 200
    assert SuperiorRead.objects.count() == 1


def test_LIFE_005_api_compliance_names_the_rule_of_each_cell(world, login):
    """LIFE-005: the compliance endpoint gives each branch's cells with rule IDs and findings."""
    data = login(world.bob).get(f"/api/v1/meetings/orgs/{world.street_a.pk}/compliance", {"period": "year", "year": 2025}).json()
    assert {r["branch"] for r in data["rows"]} == {world.branch_a1_1.name, world.branch_a1_2.name}
    cell = next(c for c in data["rows"][0]["cells"] if c["kind"] == "themed_day")
    assert cell["rule"] == "LIFE-005" and cell["status"] == "overdue" and cell["findings"]
