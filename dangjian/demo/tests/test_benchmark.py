"""The benchmark command runs end to end at a tiny size (benchmarks are not tests: no time is asserted)."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from dangjian.demo import bench
from dangjian.notifications.models import Message


@pytest.mark.django_db
def test_benchmark_small_prints_one_line_per_path_and_writes_the_same_as_json(tmp_path):
    # given
    out, err = io.StringIO(), io.StringIO()
    report_file = tmp_path / "bench.json"
    # when
    call_command("benchmark", scale="small", members=2000, orgs=100, repeat=2, json=report_file, stdout=out, stderr=err)
    # then
    lines = out.getvalue().splitlines()
    assert re.match(r"^PB1 political_birthdays_today: [\d.]+ ms \(ratio [\d.]+ vs sql [\d.]+ ms\)", lines[0])
    assert re.match(r"^PB2 political_birthday_daily_job: [\d.]+ s \[day \d{4}-\d\d-\d\d, members \d+, messages [1-9]", lines[1])
    assert [line.split()[0] for line in lines] == ["PB1", "PB2", "P1", "P2"]
    assert "queries 1, queries_for_10_rows 1" in lines[2]
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert [p["line"] for p in report["paths"]] == lines
    assert report["members"] == 2000 and report["city"] == "built"
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
        call_command("benchmark", scale="small", members=300, orgs=20, repeat=1, stdout=io.StringIO(), stderr=io.StringIO())
