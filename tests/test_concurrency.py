"""Races on PostgreSQL: one person = one record, sibling paths under a parent lock, moves vs inserts.

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian pytest tests/test_concurrency.py
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection

from dangjian.core.idnumber import make_id_number
from dangjian.core.rules import RuleViolation
from dangjian.members.models import Member
from dangjian.members.services import create_member
from dangjian.organisations.choices import OrgKind
from dangjian.organisations.models import Organisation
from dangjian.organisations.services import create_organisation, move_organisation
from dangjian.organisations.tests.factories import make_org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12
TODAY = date(2026, 11, 28)


def _race(jobs: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run the jobs in threads released together by a barrier; each outcome is ("ok", result),
    ("rule", RuleViolation) or ("crash", traceback)."""
    gate = threading.Barrier(len(jobs))
    outcomes: list[tuple[str, Any]] = [("missing", None)] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            gate.wait(timeout=30)
            outcomes[i] = ("ok", job())
        except RuleViolation as exc:
            outcomes[i] = ("rule", exc)
        except Exception:
            outcomes[i] = ("crash", traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return outcomes


def _crashes(outcomes):
    return [detail for kind, detail in outcomes if kind in {"crash", "missing"}]


@pytest.fixture
def tree():
    district = make_org(None, "区委", OrgKind.DISTRICT_COMMITTEE, code="D")
    street_a = make_org(district, "甲街道党工委", OrgKind.STREET_WORKING_COMMITTEE, code="SA")
    street_b = make_org(district, "乙街道党工委", OrgKind.STREET_WORKING_COMMITTEE, code="SB")
    community = make_org(street_a, "甲一社区党委", OrgKind.COMMUNITY_COMMITTEE, code="CA1")
    branch = make_org(community, "第一网格党支部", OrgKind.GRID_BRANCH, code="BA11")
    return {"district": district, "street_a": street_a, "street_b": street_b, "community": community, "branch": branch}


def _assert_tree_sound():
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    for org in Organisation.objects.all():
        assert org.depth == len(org.path) // Organisation.steplen


def test_PII_006_concurrent_registrations_of_one_id_number_leave_one_record(tree):
    # given one person's details, submitted by 12 clerks at the same instant
    id_number = make_id_number("110105", date(1985, 3, 9), 11)
    values = {
        "name": "张伟",
        "id_number": id_number,
        "join_date": date(2010, 7, 1),
        "full_date": date(2011, 7, 1),
        "status": "full",
        "organisation": tree["branch"],
        "phone": "13912345678",
    }
    # when they all call create_member together
    outcomes = _race([lambda: create_member(actor=None, values=dict(values), today=TODAY) for _ in range(THREADS)])
    # then exactly one record exists; every other attempt got PII-006, none crashed
    assert _crashes(outcomes) == []
    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"ok": 1, "rule": THREADS - 1}
    assert {exc.rule_id for kind, exc in outcomes if kind == "rule"} == {"PII-006"}
    assert Member.objects.count() == 1
    winner = next(result for kind, result in outcomes if kind == "ok")
    for kind, exc in outcomes:
        if kind == "rule":
            assert f"党员{winner.name}名下" in exc.message and id_number not in exc.message


def test_concurrent_creates_under_one_parent_all_get_distinct_valid_paths(tree):
    # given a community and 12 new grid branches with distinct codes
    community = tree["community"]

    def job(i: int) -> Callable[[], Organisation]:
        values = {"name": f"第{i + 2}网格党支部", "code": f"BA1{i + 2:02d}", "kind": OrgKind.GRID_BRANCH}
        return lambda: create_organisation(actor=None, parent_id=community.pk, values=values, today=TODAY)

    # when all are created at once
    outcomes = _race([job(i) for i in range(THREADS)])
    # then all succeed, each with its own path under the community, and the tree is sound
    assert _crashes(outcomes) == []
    assert Counter(kind for kind, _ in outcomes) == {"ok": THREADS}
    paths = [org.path for _, org in outcomes]
    assert len(set(paths)) == THREADS
    assert all(p.startswith(community.path) and len(p) == len(community.path) + Organisation.steplen for p in paths)
    assert Organisation.objects.get(pk=community.pk).numchild == THREADS + 1
    _assert_tree_sound()


def test_concurrent_creates_with_one_code_leave_one_organisation(tree):
    # given 12 clerks creating a branch with the same code under two different parents
    parents = [tree["community"], tree["street_b"]]

    def job(i: int) -> Callable[[], Organisation]:
        values = {"name": f"重复代码支部{i}", "code": "DUP", "kind": OrgKind.GRID_BRANCH if i % 2 == 0 else OrgKind.BRANCH}
        return lambda: create_organisation(actor=None, parent_id=parents[i % 2].pk, values=values, today=TODAY)

    outcomes = _race([job(i) for i in range(THREADS)])
    # then one succeeds, the rest are told the code is taken
    assert _crashes(outcomes) == []
    assert Counter(kind for kind, _ in outcomes) == {"ok": 1, "rule": THREADS - 1}
    assert all("组织代码“DUP”已被其他组织使用" in exc.message for kind, exc in outcomes if kind == "rule")
    assert Organisation.objects.filter(code="DUP").count() == 1
    _assert_tree_sound()


def test_concurrent_moves_do_not_corrupt_paths(tree):
    # given six communities with two branches each under street A
    street_a, street_b = tree["street_a"], tree["street_b"]
    communities = []
    for i in range(6):
        community = make_org(street_a, f"社区{i}", OrgKind.COMMUNITY_COMMITTEE, code=f"C{i}")
        for j in range(2):
            make_org(community, f"社区{i}支部{j}", OrgKind.GRID_BRANCH, code=f"C{i}B{j}")
        communities.append(community)

    # when 12 moves run at once: each community to street B, and some back and forth again
    def job(i: int) -> Callable[[], Organisation]:
        community = communities[i % 6]
        target = street_b if i < 6 else street_a
        return lambda: move_organisation(actor=None, organisation_id=community.pk, new_parent_id=target.pk)

    outcomes = _race([job(i) for i in range(THREADS)])
    # then no move crashed (a move to where it already is is refused politely)
    assert _crashes(outcomes) == []
    assert all("已在" in exc.message for kind, exc in outcomes if kind == "rule")
    # and every branch still sits under its own community, with a sound tree
    for i, community in enumerate(communities):
        community = Organisation.objects.get(pk=community.pk)
        children = Organisation.objects.filter(code__in=[f"C{i}B0", f"C{i}B1"])
        assert all(c.path[: -Organisation.steplen] == community.path for c in children)
    _assert_tree_sound()


def test_inserts_below_a_moving_subtree_land_under_the_new_paths(tree):
    # given a community whose branch gets new groups while the community moves between streets
    community, branch = tree["community"], tree["branch"]
    street_a, street_b = tree["street_a"], tree["street_b"]

    def move(target: Organisation) -> Callable[[], Organisation]:
        return lambda: move_organisation(actor=None, organisation_id=community.pk, new_parent_id=target.pk)

    def add_group(i: int) -> Callable[[], Organisation]:
        values = {"name": f"{i}号楼党小组", "code": f"G{i:02d}", "kind": OrgKind.BUILDING_GROUP}
        return lambda: create_organisation(actor=None, parent_id=branch.pk, values=values, today=TODAY)

    jobs: list[Callable[[], Any]] = []
    for i in range(THREADS):
        jobs.append(add_group(i) if i % 3 else move(street_b if i % 2 == 0 else street_a))
    # when they all run at once
    outcomes = _race(jobs)
    # then nothing crashed, every group was created, and each sits under the branch's current path
    assert _crashes(outcomes) == []
    branch = Organisation.objects.get(pk=branch.pk)
    groups = Organisation.objects.filter(code__startswith="G")
    assert groups.count() == sum(1 for i in range(THREADS) if i % 3)
    assert all(g.path[: -Organisation.steplen] == branch.path for g in groups)
    assert branch.numchild == groups.count()
    _assert_tree_sound()
