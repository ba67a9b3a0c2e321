"""The benchmark command runs end to end at a tiny size (benchmarks are not tests: no time is asserted)."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from dangjian.demo import bench
from dangjian.demo.city import counts_match
from dangjian.members.models import Member
from dangjian.notifications.models import Message
from dangjian.organisations.models import Organisation


@pytest.mark.django_db
def test_benchmark_small_prints_one_line_per_path_and_writes_the_same_as_json(tmp_path, monkeypatch):
    # given every app's paths but venues' V1, which serves bookings from a separate gunicorn process that
    # cannot see this test's transaction (like P7 under --skip-api; venues tests its measure() itself)
    apps = [m for m in bench.app_bench_modules() if m.__name__ != "dangjian.venues.bench"]
    monkeypatch.setattr(bench, "app_bench_modules", lambda: apps)
    out, err = io.StringIO(), io.StringIO()
    report_file = tmp_path / "bench.json"
    # when
    call_command(
        "benchmark",
        scale="small",
        members=2000,
        orgs=100,
        repeat=2,
        import_rows=40,
        skip_api=True,
        json=report_file,
        stdout=out,
        stderr=err,
    )
    # then
    lines = out.getvalue().splitlines()
    assert re.match(r"^PB1 political_birthdays_today: [\d.]+ ms \(ratio [\d.]+ vs sql [\d.]+ ms\)", lines[0])
    assert re.match(r"^PB2 political_birthday_daily_job: [\d.]+ s \[day \d{4}-\d\d-\d\d, members \d+, messages [1-9]", lines[1])
    # the registry's paths first, then each workflow app's own (meetings, venues, transfers, recruitment)
    ids = [line.split()[0] for line in lines]
    assert ids[:6] == ["PB1", "PB2", "P1", "P2", "P3", "P8"]
    assert {f"dangjian.{app}.bench" for app in ("meetings", "transfers", "recruitment")} <= {m.__name__ for m in apps}
    assert {"M1", "X1", "R1"} <= set(ids[6:]), ids
    assert "queries 1, queries_for_10_rows 1" in lines[2]
    assert re.match(
        r"^P3 roster_import: [\d.]+ ms \(ratio [\d.]+ vs (copy|executemany) [\d.]+ ms\) \[rows 40, import_rows_per_s \d+", lines[4]
    )
    assert "P7 api_list_throughput: skipped (--skip-api)" in err.getvalue()
    # the district administrator's tree page: its rows matched the SQL baseline's, and its size is reported
    assert re.match(r"^P8 org_tree_district: [\d.]+ ms \(ratio [\d.]+ vs sql [\d.]+ ms\) \[kb [\d.]+, queries \d+, shown \d+", lines[5])
    assert "members 2000, flagged_below_root " in lines[5]
    assert not bench.RoleGrant.objects.filter(user__username=bench.TREE_USERNAME).exists()
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert [p["line"] for p in report["paths"]] == lines
    assert report["members"] == 2000 and report["city"] == "built"
    # P3 removed what it wrote: the city is reusable, and its audit row is the only trace
    assert Member.objects.count() == 2000
    assert not Organisation.objects.filter(code=bench.IMPORT_CODE).exists()
    assert counts_match(2000, 100)
    # the job's messages were cleaned up, so a rerun measures the same
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_benchmark_fails_when_a_selector_and_its_baseline_disagree(monkeypatch):
    # given a political-birthday baseline that finds one member more than the selector
    call_command("make_city", members=300, orgs=20, stdout=io.StringIO())
    real_sql = bench.sql
    monkeypatch.setattr(bench, "sql", lambda query, params: real_sql(query, params) + ([(0,)] if "join_month_day" in query else []))
    # when / then
    with pytest.raises(CommandError, match="基准结果无效：PB1"):
        call_command("benchmark", scale="small", members=300, orgs=20, repeat=1, skip_api=True, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_roster_import_path_refuses_figures_when_the_blind_index_misses_an_imported_id(monkeypatch):
    # given a city and a blind-index lookup that finds nothing
    call_command("make_city", members=300, orgs=20, stdout=io.StringIO())
    monkeypatch.setattr(bench, "member_by_id_number", lambda id_number: None)
    # when / then
    with pytest.raises(bench.BenchmarkInvariantBroken, match="P3: the blind index"):
        bench.p3_roster_import(20, seed=1, today=date(2026, 6, 1))
    # and nothing it wrote is left behind
    assert Member.objects.count() == 300
    assert not Organisation.objects.filter(code=bench.IMPORT_CODE).exists()
