"""Subtree isolation across every page and API route (ISSUE 3 point 4, STYLE.md §6 "Scope").

The routes are found by walking the URL resolver, so a new page or API operation is covered the
moment it is wired. A route whose id kwarg is not in ``KWARG_KINDS`` fails the test: add it there
(and the object kind to ``_objects``) when you add a route.
"""

from __future__ import annotations

import importlib
import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.utils import timezone

from dangjian.accounts.services import issue_api_token
from dangjian.members.models import Member
from dangjian.notifications.choices import Channel, MessageStatus
from dangjian.notifications.models import Message, StudyTopic, StudyTopicDelivery
from dangjian.organisations.models import CommitteeSeat

# (URL namespace, kwarg) -> kind of object the id names. Every int kwarg of every route must be here.
KWARG_KINDS: dict[tuple[str, str], str] = {
    ("organisations", "pk"): "org",
    ("organisations", "seat_pk"): "seat",
    ("members", "pk"): "member",
    ("api", "org_id"): "org",
    ("api", "member_id"): "member",
    ("api", "token_id"): "token",
    ("messages", "pk"): "message",
    ("notifications", "pk"): "inbox_message",
    ("study", "pk"): "topic",
    ("api", "message_id"): "inbox_message",
    ("notifications", "token"): "callback_token",  # vendor delivery reports (notifications/callbacks.py)
}
# Workflow apps register their own kwargs and objects in ``dangjian/<app>/tests/scope_objects.py``:
#   KWARG_KINDS = {("meetings", "pk"): "meeting", ...}
#   def build(world) -> dict[kind, (ids outside charlie's and bob's subtrees, one id inside branch A1-1)]
# so that a new module is walked here without editing this file.
SCOPE_PLUGINS = []
for _app in ("meetings", "transfers", "venues", "recruitment"):
    try:
        _plugin = importlib.import_module(f"dangjian.{_app}.tests.scope_objects")
    except ModuleNotFoundError as exc:
        if exc.name != f"dangjian.{_app}.tests.scope_objects":
            raise
        continue
    SCOPE_PLUGINS.append(_plugin)
    KWARG_KINDS.update(_plugin.KWARG_KINDS)
# Namespaces whose routes are not reachable by organisation roles at all, and what they answer instead.
EXEMPT_NAMESPACES: dict[str, str] = {
    "admin": "Django admin: staff only; organisation roles are sent to the admin login",
}
# Namespaces whose pages need a role our personas lack; an object-independent 403 is then correct.
ROLE_GATED_NAMESPACES: set[str] = {"audit"}

PERSONAS = ("charlie", "bob")
METHODS = ("GET", "POST", "PATCH", "DELETE")
_KWARG = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    namespace: str
    route: str  # Django route string from the root, e.g. "members/<int:pk>/edit/"
    int_kwargs: tuple[str, ...]
    other_kwargs: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.namespace == "api"

    def url(self, values: dict[str, Any]) -> str:
        return "/" + _KWARG.sub(lambda m: str(values[m.group("name")]), self.route)


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[Route]:
    routes: list[Route] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes.extend(_walk(pattern.url_patterns, route, pattern.namespace or namespace))
            continue
        assert isinstance(pattern, URLPattern)
        converters = getattr(pattern.pattern, "converters", {}) or {}
        names = [m.group("name") for m in _KWARG.finditer(route)] or list(pattern.pattern.regex.groupindex)
        int_kwargs = tuple(n for n in names if isinstance(converters.get(n), IntConverter))
        routes.append(Route(namespace, route, int_kwargs, tuple(n for n in names if n not in int_kwargs)))
    # ninja registers one Django path per operation; the same route string is one route
    return list({r.route: r for r in routes}.values())


ALL_ROUTES = _walk(get_resolver().url_patterns)
ID_ROUTES = [r for r in ALL_ROUTES if r.int_kwargs or (r.other_kwargs and r.namespace not in EXEMPT_NAMESPACES)]
PLAIN_GET_ROUTES = [r for r in ALL_ROUTES if not r.int_kwargs and not r.other_kwargs and r.namespace not in EXEMPT_NAMESPACES]


@pytest.fixture
def scene(world: Any) -> dict[str, Any]:
    """Objects outside (B side) and inside (A1-1) charlie's and bob's subtrees, with unique names."""
    for n, member in enumerate(world.b1_1_members, 1):
        Member.objects.filter(pk=member.pk).update(name=f"乙侧党员{n}")
    for n, member in enumerate(world.a1_1_members, 1):
        Member.objects.filter(pk=member.pk).update(name=f"甲侧党员{n}")
    seats = {
        side: CommitteeSeat.objects.create(organisation=org, post="committee_member", person_name=f"{side}侧委员")
        for side, org in (("乙", world.branch_b1_1), ("甲", world.branch_a1_1))
    }
    frank_token, _ = issue_api_token(user=world.frank, name="街道B对接")
    own_tokens = {p: issue_api_token(user=world.persona(p), name="自己的令牌")[0] for p in PERSONAS}
    # the message log (by recipient organisation), the inbox (by account) and study topics (by subtree)
    logged = {
        side: _message(f"log-{side}", name=member.name, org_path=member.organisation.path, recipient_member=member, channel=Channel.SMS)
        for side, member in (
            ("乙", Member.objects.get(pk=world.b1_1_members[0].pk)),
            ("甲", Member.objects.get(pk=world.a1_1_members[0].pk)),
        )
    }
    frank_inbox = _message("inbox-frank", name="弗兰克", recipient_user=world.frank)
    own_inbox = {p: _message(f"inbox-{p}", name=p, recipient_user=world.persona(p)) for p in PERSONAS}
    topics = {}
    for side, branch, member in (("乙", world.branch_b1_1, world.b1_1_members[0]), ("甲", world.branch_a1_1, world.a1_1_members[0])):
        topics[side] = StudyTopic.objects.create(title=f"{branch.name}学习专题", body="正文", organisation=branch)
        StudyTopicDelivery.objects.create(topic=topics[side], member=member, branch=branch)
    plugin_objects: dict[str, tuple[list[int], int]] = {}
    for plugin in SCOPE_PLUGINS:
        plugin_objects.update(plugin.build(world))
    return {
        "plugin_objects": plugin_objects,
        "world": world,
        "seats": seats,
        "frank_token": frank_token,
        "own_tokens": own_tokens,
        "logged": logged,
        "frank_inbox": frank_inbox,
        "own_inbox": own_inbox,
        "topics": topics,
    }


def _message(key: str, *, name: str, channel: str = Channel.INBOX, **fields: Any) -> Message:
    return Message.objects.create(
        kind="general",
        channel=channel,
        status=MessageStatus.FAILED,
        dedup_key=f"isolation:{key}",
        recipient_name=name,
        body="测试",
        send_after=timezone.now(),
        **fields,
    )


def _objects(scene: dict[str, Any], kind: str, persona: str) -> tuple[list[int], int]:
    """(ids outside the persona's subtree, one id inside it) for an object kind."""
    world = scene["world"]
    if kind == "org":
        return [world.branch_b1_1.pk, world.community_b1.pk], world.branch_a1_1.pk
    if kind == "member":
        return [world.b1_1_members[0].pk], world.a1_1_members[0].pk
    if kind == "seat":
        return [scene["seats"]["乙"].pk], scene["seats"]["甲"].pk
    if kind == "token":
        return [scene["frank_token"].pk], scene["own_tokens"][persona].pk
    if kind == "message":
        return [scene["logged"]["乙"].pk], scene["logged"]["甲"].pk
    if kind == "inbox_message":
        return [scene["frank_inbox"].pk], scene["own_inbox"][persona].pk
    if kind == "topic":
        return [scene["topics"]["乙"].pk], scene["topics"]["甲"].pk
    if kind == "callback_token":  # not an object: a secret that is not SMS_CALLBACK_TOKEN answers 404 to anyone
        return ["not-the-callback-secret"], "another-wrong-secret"  # type: ignore[list-item,return-value]
    if kind in scene["plugin_objects"]:
        return scene["plugin_objects"][kind]
    raise AssertionError(f"no objects for kind {kind!r}: add them to _objects() or the app's tests/scope_objects.py build()")


def _request(client: Client, method: str, route: Route, url: str) -> Any:
    if route.is_api:  # an empty JSON object: every API body has defaults, so scope is checked first
        return client.generic(method, url, "{}", content_type="application/json")
    if method == "POST":
        return client.post(url, {})
    return client.generic(method, url)


def test_the_walker_sees_the_api_and_the_pages():
    routes = {r.route for r in ALL_ROUTES}
    assert "api/v1/members/<int:member_id>/unmask" in routes
    assert "api/v1/organisations/<int:org_id>" in routes
    assert len(ID_ROUTES) >= 8


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: r.route)
def test_an_id_from_outside_the_subtree_answers_404(scene, route, persona):
    # given the kind of object each id kwarg of this route names (unknown kwargs fail here)
    unknown = [k for k in route.int_kwargs + route.other_kwargs if (route.namespace, k) not in KWARG_KINDS]
    assert not unknown, f"{route.route}: add ({route.namespace!r}, kwarg) for {unknown} to KWARG_KINDS in tests/test_scope_isolation.py"
    client = Client()
    client.force_login(scene["world"].persona(persona))
    kinds = {k: KWARG_KINDS[(route.namespace, k)] for k in route.int_kwargs + route.other_kwargs}
    inside = {k: _objects(scene, kind, persona)[1] for k, kind in kinds.items()}
    answered_404 = False
    for kwarg, kind in kinds.items():
        for outside_id in _objects(scene, kind, persona)[0]:
            url = route.url({**inside, kwarg: outside_id})
            for method in METHODS:
                # when the persona asks for the outsider's object
                response = _request(client, method, route, url)
                status = response.status_code
                # then it is 404 — or a refusal that does not depend on the object at all
                if status == 404:
                    answered_404 = True
                    continue
                assert status in {403, 405}, f"{persona} {method} {url} answered {status}, expected 404"
                if status == 403:
                    assert route.namespace in ROLE_GATED_NAMESPACES, f"{persona} {method} {url} answered 403: outsiders must get 404"
                same_for_inside = _request(client, method, route, route.url(inside)).status_code
                assert same_for_inside == status, f"{persona} {method} {url}: {status} for outside but {same_for_inside} inside"
    assert answered_404 or route.namespace in ROLE_GATED_NAMESPACES, f"{route.route}: no method answered 404"


@pytest.mark.parametrize("route", [r for r in ALL_ROUTES if r.namespace in EXEMPT_NAMESPACES and (r.int_kwargs or r.other_kwargs)][:3])
def test_exempt_routes_are_out_of_reach_of_organisation_roles(scene, route):
    client = Client()
    client.force_login(scene["world"].charlie)
    values = dict.fromkeys(route.int_kwargs + route.other_kwargs, scene["world"].branch_b1_1.pk)
    response = client.get(route.url(values))
    assert response.status_code in {302, 404}
    if response.status_code == 302:
        assert "login" in response["Location"]


# --- lists, searches, exports ---------------------------------------------------------------

OUTSIDE_MARKERS = ("乙侧党员", "乙一社区第一网格党支部", "乙一社区党委", "乙街道党工委", "乙侧委员")
INSIDE_MARKERS = {"member": "甲侧党员1", "org": "甲一社区第一网格党支部"}

# every list/search/export: (URL, query, what must be listed). Queries match both sides on purpose.
LISTS: list[tuple[str, dict[str, str], str]] = [
    ("/members/", {}, "member"),
    ("/members/", {"q": "党员"}, "member"),
    ("/members/export/", {}, "member"),
    ("/members/export/", {"q": "党员"}, "member"),
    ("/orgs/", {}, "org"),
    ("/orgs/search/", {"q": "网格"}, "org"),
    ("/api/v1/members", {"limit": "200"}, "member"),
    ("/api/v1/members", {"q": "党员", "limit": "200"}, "member"),
    ("/api/v1/organisations", {"limit": "200"}, "org"),
    ("/api/v1/organisations", {"q": "网格", "limit": "200"}, "org"),
    ("/notifications/messages/", {}, "member"),
    ("/study/", {}, "org"),
    ("/development/", {}, "org"),
    ("/development/export/", {}, "org"),
]


def _text(response: Any) -> str:
    """The body as text; an .xlsx export is unzipped so its cells are searchable."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(BytesIO(body)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml"))
    return body.decode("utf-8", "replace")


def _mounted(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("path", "query", "kind"), LISTS, ids=[f"{p}?{'&'.join(f'{k}={v}' for k, v in q.items())}" for p, q, _ in LISTS])
def test_lists_searches_and_exports_hold_only_rows_of_the_subtree(scene, persona, path, query, kind):
    if not _mounted(path):
        pytest.skip(f"{path} is not wired yet")
    client = Client()
    client.force_login(scene["world"].persona(persona))
    # when the persona opens the list with a query matching both streets
    response = client.get(path, query)
    text = _text(response)
    # then rows of the own subtree are there and none from street B
    assert response.status_code == 200, f"{path}: {response.status_code}"
    assert INSIDE_MARKERS[kind] in text, f"{path} lists nothing of {persona}'s own subtree"
    leaked = [m for m in OUTSIDE_MARKERS if m in text]
    assert not leaked, f"{path} shows {leaked} to {persona}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", PLAIN_GET_ROUTES, ids=lambda r: r.route or "/")
def test_no_page_without_an_id_shows_anything_of_the_other_street(scene, persona, route):
    # given any page or API route without an id (new ones are picked up automatically)
    client = Client()
    client.force_login(scene["world"].persona(persona))
    # when opened, then nothing from street B appears in it
    response = client.get(route.url({}), follow=False)
    assert response.status_code < 500, f"{route.route}: {response.status_code}"
    text = _text(response)
    leaked = [m for m in OUTSIDE_MARKERS if m in text]
    assert not leaked, f"/{route.route} shows {leaked} to {persona}"


def test_every_api_list_endpoint_is_checked_above():
    # a new API list (GET without an id) must be added to LISTS, or named here as not a list
    not_lists = {"api/v1/", "api/v1/openapi.json", "api/v1/docs", "api/v1/accounts/me", "api/v1/accounts/tokens"}
    # the caller's own 站内信, not a subtree list (another user's message is 404: notifications/tests/test_api.py)
    not_lists |= {"api/v1/inbox", "api/v1/inbox/unread-count", "api/v1/inbox/read-all"}
    api_gets = {r.route for r in PLAIN_GET_ROUTES if r.is_api}
    listed = {p.lstrip("/") for p, _, _ in LISTS}
    assert api_gets - not_lists <= listed, f"add to LISTS: {sorted(api_gets - not_lists - listed)}"
