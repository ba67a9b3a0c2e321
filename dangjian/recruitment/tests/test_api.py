"""The JSON API: the same rules and scope as the pages."""

from __future__ import annotations

import json
from datetime import date

import pytest

from dangjian.recruitment import demo
from dangjian.recruitment.tests.factories import new_id, register

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_api_registers_lists_and_shows_a_person_with_masked_id(world, login):
    client = login(world.charlie)
    number = new_id()
    response = _post(
        client,
        f"/api/v1/development/orgs/{world.branch_a1_1.pk}/candidates",
        {"name": "接口甲", "id_number": number, "applied_on": "2026-01-05", "application_on_paper": True},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_number"] != number and "*" in body["id_number"]
    assert body["next_step"] == 2 and body["windows"][0]["rule_id"] == "DEV-003"
    listed = login(world.bob).get(f"/api/v1/development/orgs/{world.community_a1.pk}/candidates").json()
    assert [row["name"] for row in listed["items"]] == ["接口甲"]


def test_api_refuses_a_step_with_the_rule_and_its_article(world, login):
    """DEV-009: 422 names the rule, the numbers and the article."""
    candidate = demo.walk(register(world, applied=date(2024, 1, 8)), until=5, today=date(2025, 1, 1))
    response = _post(login(world.charlie), f"/api/v1/development/candidates/{candidate.pk}/steps", {"number": 7, "on": "2024-12-31"})
    assert response.status_code == 422
    body = response.json()
    assert body["rule"] == "DEV-009" and "仅8个月" in body["message"] and "第十三条" in body["message"]


def test_api_review_is_for_the_superior(world, login):
    material = register(world).materials.get()
    assert _post(login(world.charlie), f"/api/v1/development/materials/{material.pk}/review", {"approve": True}).status_code == 403
    response = _post(login(world.bob), f"/api/v1/development/materials/{material.pk}/review", {"approve": True})
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_api_outside_the_subtree_is_404(world, login):
    outside = register(world, org=world.branch_b1_1)
    client = login(world.charlie)
    assert client.get(f"/api/v1/development/candidates/{outside.pk}").status_code == 404
    assert client.get(f"/api/v1/development/orgs/{world.branch_b1_1.pk}/candidates").status_code == 404
