"""P7's baseline view answers the same page as the API, so the benchmark compares like with like."""

import json

import pytest

from dangjian.accounts.services import issue_api_token
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


def _get(client, path, key):
    response = client.get(path, headers={"Authorization": f"Bearer {key}"})
    return response.status_code, json.loads(response.content)


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "dangjian.demo.bench_urls"


@pytest.mark.parametrize("limit", [3, 50])
def test_the_bare_view_gives_the_apis_page_for_a_street_admin(world, client, bench_urls, limit):
    # given street A's administrator with a token, a member flagged and one who left
    flagged = make_member(world.branch_a1_2, "郑流动", is_flowing=True, phone="13912345678", address="北京市东城区和平社区5号楼")
    flagged.save()
    gone = make_member(world.branch_a1_1, "王离开")
    gone.left_on = gone.join_date
    gone.save()
    _token, key = issue_api_token(user=world.bob, name="t")
    # when both are asked for the same page
    api_status, api = _get(client, f"/api/v1/members?limit={limit}", key)
    bare_status, bare = _get(client, f"/api/bench-bare/members?limit={limit}", key)
    # then they answer the same rows, masks, labels, flags and total — street A only, without the one who left
    assert api_status == bare_status == 200
    assert bare == api
    assert api["count"] == len(world.a1_1_members) + len(world.a1_2_members) + 1
    street_a = {m.pk for m in world.a1_1_members + world.a1_2_members} | {flagged.pk}
    assert {row["id"] for row in api["items"]} <= street_a and gone.pk not in {row["id"] for row in api["items"]}
    if limit == 50:
        row = next(r for r in bare["items"] if r["id"] == flagged.pk)
        assert row["phone"] == "139****5678" and row["flags"] == ["flowing"] and "5号楼" not in row["address"]


def test_the_bare_view_refuses_an_unknown_token(world, client, bench_urls):
    status, body = _get(client, "/api/bench-bare/members?limit=5", "dj_not-a-token")
    assert status == 401 and "items" not in body
