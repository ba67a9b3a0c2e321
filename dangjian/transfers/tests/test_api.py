"""The JSON API: apply, read, act (with rule IDs on refusal), org lists and counts, scoped."""

from __future__ import annotations

from dangjian.transfers.choices import TransferState

from .helpers import authority_on_street_a, place


def test_api_apply_act_and_read(world, login):
    client = login(world.dave)
    response = client.post(
        f"/api/v1/transfers/members/{world.dave_member.pk}",
        {"destination_org_id": world.branch_a1_2.pk, "reason": "搬家", "dues_paid_up_to": "2026-10"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "applied" and body["next_org"] == "甲一社区第一网格党支部" and body["scope"] == "same_committee"
    assert body["available_actions"] == ["withdraw"]
    tid = body["id"]
    # charlie confirms; a second confirm is refused (state already moved)
    charlie = login(world.charlie)
    ok = charlie.post(f"/api/v1/transfers/{tid}/actions", {"action": "confirm"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["state"] == "branch_confirmed"
    again = charlie.post(f"/api/v1/transfers/{tid}/actions", {"action": "confirm"}, content_type="application/json")
    assert again.status_code == 422
    steps = charlie.get(f"/api/v1/transfers/{tid}/steps").json()
    assert [s["to_state"] for s in steps] == ["applied", "branch_confirmed"]


def test_api_refusal_names_the_rule(world, login):
    """XFER-005 over the API: 422 with the rule id."""
    transfer = place(world, TransferState.APPLIED)
    response = login(world.charlie).post(f"/api/v1/transfers/{transfer.pk}/actions", {"action": "refuse"}, content_type="application/json")
    assert response.status_code == 422
    assert "XFER-005" in response.content.decode()


def test_api_second_open_transfer_is_422(world, login):
    """XFER-006 over the API."""
    place(world, TransferState.APPLIED)
    response = login(world.charlie).post(
        f"/api/v1/transfers/members/{world.dave_member.pk}",
        {"destination_org_id": world.branch_a1_2.pk, "reason": "搬家", "dues_paid_up_to": "2026-10"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "XFER-006" in response.content.decode()


def test_api_org_list_and_stats(world, login):
    authority_on_street_a(world)
    place(world, TransferState.APPLIED)
    client = login(world.bob)
    rows = client.get(f"/api/v1/transfers/orgs/{world.street_a.pk}").json()
    assert rows["count"] == 1 and rows["items"][0]["member_name"] == "戴维"
    stats = client.get(f"/api/v1/transfers/orgs/{world.street_a.pk}/stats").json()
    assert stats["out_by_scope"] == {"district": {"applied": 1}}
    assert client.get(f"/api/v1/transfers/orgs/{world.street_b.pk}").status_code == 404
