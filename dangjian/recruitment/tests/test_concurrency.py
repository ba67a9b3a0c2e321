"""Races provoked on purpose (PostgreSQL): a double submission records one step, a double review one review."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from dangjian.core.rules import RuleViolation
from dangjian.recruitment import demo, services
from dangjian.recruitment.choices import MaterialKind
from dangjian.recruitment.models import DevelopmentStep, Material
from dangjian.recruitment.tests.factories import register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(attempt, n: int = 8) -> list[str]:
    gate = threading.Barrier(n)
    outcomes: list[str] = []

    def run() -> None:
        gate.wait()
        try:
            attempt()
            outcomes.append("ok")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_eight_clicks_on_record_make_one_step(world):
    candidate = register(world)
    services.add_material(
        actor=None, scope=demo.SYSTEM, candidate_id=candidate.pk, step_number=2, kind=MaterialKind.TALK_RECORD, is_paper=True
    )
    outcomes = _race(
        lambda: services.record_step(
            actor=None, scope=demo.SYSTEM, candidate_id=candidate.pk, number=2, on=date(2020, 1, 10), values={}, today=date(2030, 1, 1)
        )
    )
    assert outcomes.count("ok") == 1
    assert DevelopmentStep.objects.filter(candidate=candidate, number=2).count() == 1


def test_two_reviewers_at_once_make_one_review(world):
    material = register(world).materials.get()
    outcomes = _race(lambda: services.review_material(actor=None, scope=demo.SYSTEM, material_id=material.pk, approve=True), n=6)
    assert outcomes.count("ok") == 1
    assert Material.objects.get(pk=material.pk).status == "approved"
