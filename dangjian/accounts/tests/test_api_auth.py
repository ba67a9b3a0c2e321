"""API authentication (session + CSRF, bearer and X-API-Key tokens), token management, OpenAPI docs."""

import json
import re
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from dangjian.accounts.choices import TREE_ROLES
from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import issue_api_token
from dangjian.audit.models import AuditEvent
from dangjian.organisations import permissions as org_permissions

ORGS = "/api/v1/organisations"
TOKENS = "/api/v1/accounts/tokens"


def _bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _codes(response):
    return [row["code"] for row in response.json()["items"]]


# --- anonymous ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/organisations/{org}"), ("post", "/organisations"), ("patch", "/organisations/{org}"), ("delete", "/accounts/tokens/1")],
)
def test_anonymous_calls_get_401_json_not_a_login_redirect(world, client, method, path):
    # when an anonymous client calls an API endpoint
    url = "/api/v1" + path.format(org=world.branch_a1_1.pk)
    response = client.generic(method.upper(), url, "{}", content_type="application/json")
    # then it is 401 with a Chinese reason (never a 302 to the login page, never a CSRF 403)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "API 令牌" in response.json()["detail"]


def test_anonymous_post_is_401_even_without_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(ORGS, "{}", content_type="application/json")
    assert response.status_code == 401


# --- tokens ---------------------------------------------------------------------------------


def test_a_bearer_token_authenticates_with_the_owners_scope(world, client):
    # given a token for charlie
    _, key = issue_api_token(user=world.charlie, name="测试")
    # when it is used without any session
    response = client.get(ORGS, **_bearer(key))
    # then the call acts as charlie, limited to his branch
    assert response.status_code == 200
    assert _codes(response) == ["BA11"]


def test_the_x_api_key_header_authenticates_too(world, client):
    _, key = issue_api_token(user=world.bob, name="测试")
    response = client.get(ORGS, HTTP_X_API_KEY=key)
    assert response.status_code == 200
    assert _codes(response) == ["SA", "CA1", "BA11", "BA12"]


def test_a_token_scope_answers_404_outside_the_subtree(world, client):
    _, key = issue_api_token(user=world.charlie, name="测试")
    assert client.get(f"{ORGS}/{world.branch_b1_1.pk}", **_bearer(key)).status_code == 404


def test_a_token_writes_without_csrf(world):
    # given bob's token and a client that enforces CSRF
    _, key = issue_api_token(user=world.bob, name="测试")
    client = Client(enforce_csrf_checks=True)
    # when he patches an organisation with the token only
    response = client.patch(
        f"{ORGS}/{world.branch_a1_2.pk}", json.dumps({"address": "一号楼"}), content_type="application/json", **_bearer(key)
    )
    # then it works, recorded against bob
    assert response.status_code == 200, response.content
    assert AuditEvent.objects.filter(object_id=str(world.branch_a1_2.pk)).latest("pk").actor == world.bob


def test_a_revoked_token_fails(world, client):
    # given a token that has been revoked
    token, key = issue_api_token(user=world.charlie, name="测试")
    token.revoked_at = timezone.now()
    token.save()
    # when used, then 401
    response = client.get(ORGS, **_bearer(key))
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer dj_not-a-real-token", "Bearer ", "Basic Y2hhcmxpZTpwYXNz"])
def test_an_unknown_or_malformed_token_fails(world, client, header):
    assert client.get(ORGS, HTTP_AUTHORIZATION=header).status_code == 401


def test_the_token_of_a_deactivated_user_fails(world, client):
    _, key = issue_api_token(user=world.charlie, name="测试")
    world.charlie.is_active = False
    world.charlie.save()
    assert client.get(ORGS, **_bearer(key)).status_code == 401


def test_only_the_hash_of_a_token_is_stored(world):
    token, key = issue_api_token(user=world.charlie, name="测试")
    stored = ApiToken.objects.filter(pk=token.pk).values_list("key_hash", "prefix", "name").get()
    assert key not in " ".join(stored)
    assert stored[0] == ApiToken.hash_key(key)


def test_a_user_creates_lists_and_revokes_their_own_tokens(world, login):
    client = login(world.charlie)
    # when charlie creates a token
    created = client.post(TOKENS, json.dumps({"name": "党费系统对接"}), content_type="application/json")
    # then the full token is shown once and works
    assert created.status_code == 201
    key = created.json()["token"]
    assert key.startswith(created.json()["prefix"])
    assert Client().get(ORGS, **_bearer(key)).status_code == 200
    # and the list shows it without the key
    listed = client.get(TOKENS)
    assert [t["name"] for t in listed.json()] == ["党费系统对接"]
    assert key not in listed.content.decode()
    # when he revokes it, then it no longer authenticates
    revoked = client.delete(f"{TOKENS}/{created.json()['id']}")
    assert revoked.status_code == 204
    assert Client().get(ORGS, **_bearer(key)).status_code == 401
    assert client.get(TOKENS).json()[0]["revoked_at"] is not None


def test_revoking_someone_elses_token_is_404(world, login):
    token, key = issue_api_token(user=world.frank, name="弗兰克的令牌")
    response = login(world.charlie).delete(f"{TOKENS}/{token.pk}")
    assert response.status_code == 404
    assert Client().get(ORGS, **_bearer(key)).status_code == 200


def test_a_token_needs_a_name(world, login):
    response = login(world.charlie).post(TOKENS, json.dumps({"name": "  "}), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "name"


def test_create_api_token_command_prints_a_working_token_once(world, client):
    # when an administrator runs the command
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "bob", "--name", "数据对接", stdout=out, stderr=err)
    key = out.getvalue().strip()
    # then the printed token works and only its hash is stored
    assert client.get(ORGS, **_bearer(key)).status_code == 200
    token = ApiToken.objects.get(user=world.bob)
    assert token.name == "数据对接"
    assert token.key_hash == ApiToken.hash_key(key)
    assert "令牌只显示这一次" in err.getvalue()


def test_create_api_token_command_refuses_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不存在"):
        call_command("create_api_token", "nobody", stdout=StringIO(), stderr=StringIO())


# --- session + CSRF -------------------------------------------------------------------------


def test_a_session_post_without_the_csrf_token_is_403_in_chinese(world):
    # given bob logged in through a browser session that enforces CSRF
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.bob)
    # when he patches without X-CSRFToken
    response = client.patch(f"{ORGS}/{world.branch_a1_2.pk}", json.dumps({"address": "一号楼"}), content_type="application/json")
    # then 403 explaining the CSRF header, and nothing changed
    assert response.status_code == 403
    assert "X-CSRFToken" in response.json()["detail"]
    world.branch_a1_2.refresh_from_db()
    assert world.branch_a1_2.address == ""


def test_a_session_post_with_the_csrf_token_succeeds(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.bob)
    # the docs page sets the csrftoken cookie (as any page does)
    client.get("/api/v1/docs")
    csrf = client.cookies["csrftoken"].value
    response = client.patch(
        f"{ORGS}/{world.branch_a1_2.pk}", json.dumps({"address": "一号楼"}), content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200, response.content


def test_a_session_get_needs_no_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.charlie)
    assert client.get(ORGS).status_code == 200


def test_me_names_the_caller_and_their_roles(world, login):
    data = login(world.charlie).get("/api/v1/accounts/me").json()
    assert data["username"] == "charlie"
    assert data["roles"] == {"branch_secretary": [world.branch_a1_1.pk]}


# --- OpenAPI and docs -----------------------------------------------------------------------


def test_openapi_is_version_3_1_and_lists_the_endpoints(db, client):
    response = client.get("/api/v1/openapi.json")
    schema = response.json()
    assert response.status_code == 200
    assert re.fullmatch(r"3\.1\.\d+", schema["openapi"])
    paths = schema["paths"]
    expected = {
        "/api/v1/organisations": {"get", "post"},
        "/api/v1/organisations/{org_id}": {"get", "patch"},
        "/api/v1/organisations/{org_id}/move": {"post"},
        "/api/v1/organisations/{org_id}/dissolve": {"post"},
        "/api/v1/organisations/{org_id}/history": {"get"},
        "/api/v1/members": {"get", "post"},
        "/api/v1/members/{member_id}": {"get", "patch"},
        "/api/v1/members/{member_id}/unmask": {"post"},
        "/api/v1/members/{member_id}/history": {"get"},
        "/api/v1/accounts/tokens": {"get", "post"},
        "/api/v1/accounts/tokens/{token_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    assert {"TokenAuth", "TokenHeaderAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])


def test_every_operation_has_a_chinese_summary(db, client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert re.search(r"[\u4e00-\u9fff]", operation.get("summary", "")), f"{method.upper()} {path}"


def test_the_docs_page_is_served_offline(db, client):
    # when the docs page is opened
    response = client.get("/api/v1/docs")
    html = response.content.decode()
    # then it references no external URL, only local static files that exist
    assert response.status_code == 200
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), "docs page loads something from another host"
    assets = re.findall(r"(?:src|href)=[\"']/static/([^\"']+)[\"']", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert finders.find(asset), asset
    # and the Swagger validator badge (which calls validator.swagger.io) is off
    assert '"validatorUrl": null' in html


def test_tree_roles_mirrored_in_organisations_match_accounts(db):
    assert set(org_permissions.TREE_ROLES) == {str(r) for r in TREE_ROLES}


def test_a_token_brings_its_users_member_record_without_another_query(world, client):
    # given dave, an ordinary member, with a token
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _token, key = issue_api_token(user=world.dave, name="手机")
    # when he reads his own record with it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/members/{world.dave_member.pk}", **_bearer(key))
    # then the scope knows his record (he may read it) and no query looked it up by user on its own
    assert response.status_code == 200 and response.json()["name"] == world.dave_member.name
    by_user = [q["sql"] for q in queries.captured_queries if 'FROM "members_member" WHERE "members_member"."user_id"' in q["sql"]]
    assert by_user == []
