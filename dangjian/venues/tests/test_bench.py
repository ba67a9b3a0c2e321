"""V1 booking_contention runs end to end on a tiny world (benchmarks assert invariants, never times)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from dangjian.accounts.services import issue_api_token
from dangjian.core.benchkit import BenchmarkInvariantBroken, ServerDidNotStart
from dangjian.venues import bench
from dangjian.venues.models import Booking

pytestmark = pytest.mark.django_db


def _poster(key: str):
    client = Client()

    def post(path, body):
        return client.post(path, json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {key}"}).status_code

    return post


def test_v1_books_exactly_the_capacity_and_reports_both_throughputs(world):
    # given the benchmark scene under street A and a token; the test client stands in for gunicorn
    scene = bench._scene()
    _token, key = issue_api_token(user=scene["user"], name="t")
    # when 60 requests compete for one slot of 50 places, one client at a time (in-memory SQLite)
    result = bench.booking_contention(_poster(key), scene, today=date.today(), clients=1, requests=60)
    # then 50 booked, 10 refused, nothing left behind
    assert result.extra["booked"] == 50 and result.extra["overbookings"] == 0 and result.extra["refused_slot_full"] == 10
    assert result.line().startswith("V1 booking_contention: ") and "vs distinct slots" in result.line()
    assert not Booking.objects.exists()


def test_v1_refuses_figures_when_the_api_overbooks(world, monkeypatch):
    scene = bench._scene()
    _token, key = issue_api_token(user=scene["user"], name="t")
    poster = _poster(key)
    monkeypatch.setattr(bench, "CAPACITY", 40)  # the check expects 40 while the base holds 50
    with pytest.raises(BenchmarkInvariantBroken, match="V1"):
        bench.booking_contention(poster, scene, today=date.today(), clients=1, requests=60)


def test_measure_reports_a_note_when_gunicorn_cannot_start(world, monkeypatch):
    def broken(workers=2):
        raise ServerDidNotStart("no gunicorn here")

    monkeypatch.setattr(bench, "gunicorn", broken)
    assert bench.measure(repeat=1, today=date.today(), log=lambda line: None) == ["V1 booking_contention: skipped — no gunicorn here"]
