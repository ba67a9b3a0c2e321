"""The benchmark paths run on a tiny world (no time is asserted)."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.core.benchkit import PathResult
from dangjian.recruitment import bench
from dangjian.recruitment.models import Candidate

pytestmark = pytest.mark.django_db


def test_measure_generates_records_once_and_reports_two_paths(world):
    lines: list[str] = []
    results = bench.measure(repeat=2, today=date(2026, 6, 1), log=lines.append)
    assert [r.id for r in results if isinstance(r, PathResult)] == ["R1", "R2"]
    assert all(r.ms >= 0 and r.baseline_ms is not None for r in results if isinstance(r, PathResult))
    created = Candidate.objects.count()
    assert created == 3 * bench.PER_BRANCH  # three branches in the world
    bench.measure(repeat=1, today=date(2026, 6, 1), log=lines.append)
    assert Candidate.objects.count() == created
    assert "R1 development_pipeline_street" in results[0].line()
