"""The transfer benchmark paths run on a tiny world (benchmarks are not tests: no time is asserted)."""

from __future__ import annotations

from datetime import date

from dangjian.core.benchkit import PathResult
from dangjian.members.models import Member
from dangjian.transfers import bench
from dangjian.transfers.models import Transfer


def test_measure_runs_every_path_and_leaves_members_where_they_were(world):
    before = dict(Member.objects.values_list("pk", "organisation_id"))
    lines: list[str] = []
    results = bench.measure(repeat=2, today=date(2026, 11, 20), log=lines.append)
    ids = [r.id if isinstance(r, PathResult) else r.split()[0] for r in results]
    assert ids == ["X1", "X2", "X3", "X4"]
    assert all(isinstance(r, PathResult) for r in results), results
    assert Transfer.objects.filter(reason=bench.MARKER).exists()
    assert dict(Member.objects.values_list("pk", "organisation_id")) == before
    # a rerun reuses the synthetic activity
    again = bench.measure(repeat=1, today=date(2026, 11, 20), log=lines.append)
    assert "reused" in again[1].line()
    print("\n".join(r.line() for r in results if isinstance(r, PathResult)))
