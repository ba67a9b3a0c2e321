"""import_orgs, import_members, export_members: same services, one JSON object, exit status 1 on rejection."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core.idnumber import make_id_number
from dangjian.core.masking import mask_id_number
from dangjian.members.exporting import EXPORT_COLUMNS
from dangjian.members.models import Member
from dangjian.members.selectors import member_by_id_number
from dangjian.members.tests.rosters import read_sheet, xlsx
from dangjian.organisations.models import Organisation

ROSTER_HEADER = ["姓名", "公民身份号码", "入党日期", "转正日期", "党员状态", "所在党支部"]
ORG_HEADER = ["组织名称", "组织代码", "上级组织代码", "组织类别", "成立日期"]
NEW_ID = make_id_number("110106", date(1979, 5, 6), 35)


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def roster(*, broken: bool = False) -> bytes:
    rows = [["命令行", NEW_ID, "2004-07-01", "2005-07-01", "正式党员", "甲一社区第一网格党支部"]]
    if broken:
        rows.append(["坏行", NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1"), "2004-07-01", "", "预备党员", "甲一社区第一网格党支部"])
    return xlsx(ROSTER_HEADER, rows)


def call(*args: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_import_members_json_prints_one_object_and_succeeds(world, tmp_path):
    out, error = call("import_members", write(tmp_path, "r.xlsx", roster()), "--org", "CA1", "--json")
    assert error is None
    assert json.loads(out) == {"created": 1, "updated": 0, "errors": []}
    assert member_by_id_number(NEW_ID).organisation == world.branch_a1_1
    # the command acts as the system: the audit shows 系统
    assert AuditEvent.objects.get(action=AuditAction.IMPORT).actor_name == "系统"


def test_import_members_json_lists_every_error_and_exits_with_status_1(world, tmp_path):
    before = Member.objects.count()
    out, error = call("import_members", write(tmp_path, "r.xlsx", roster(broken=True)), "--org", "CA1", "--json")
    assert error is not None and error.returncode == 1
    payload = json.loads(out)
    assert (payload["created"], payload["updated"]) == (0, 0)
    assert [(e["row"], e["column"]) for e in payload["errors"]] == [(3, "公民身份号码")]
    assert "校验位不正确" in payload["errors"][0]["message"]
    assert Member.objects.count() == before


def test_import_members_without_json_prints_a_readable_chinese_summary(world, tmp_path):
    out, error = call("import_members", write(tmp_path, "r.xlsx", roster(broken=True)), "--org", "CA1")
    assert error is not None and error.returncode == 1
    assert "导入未完成：发现 1 处问题" in out
    assert "第 3 行“公民身份号码”列：" in out
    out, error = call("import_members", write(tmp_path, "ok.xlsx", roster()), "--org", "CA1")
    assert error is None and "导入完成：新增 1 条" in out


def test_import_members_dry_run_writes_nothing(world, tmp_path):
    before = Member.objects.count()
    out, error = call("import_members", write(tmp_path, "r.xlsx", roster()), "--org", "CA1", "--dry-run", "--json")
    assert error is None and json.loads(out)["created"] == 1
    assert Member.objects.count() == before


def test_import_members_reports_an_unknown_organisation_code_and_a_missing_file(world, tmp_path):
    out, error = call("import_members", write(tmp_path, "r.xlsx", roster()), "--org", "NOPE", "--json")
    assert error is not None and error.returncode == 1
    assert "NOPE" in json.loads(out)["errors"][0]["message"]
    out, error = call("import_members", str(tmp_path / "missing.xlsx"), "--org", "CA1", "--json")
    assert error is not None and "找不到文件" in json.loads(out)["errors"][0]["message"]


def test_import_orgs_json_creates_then_finds_nothing_to_change(world, tmp_path):
    path = write(tmp_path, "o.xlsx", xlsx(ORG_HEADER, [["甲一社区第三网格党支部", "BA13", "CA1", "网格党支部", "2020-01-01"]]))
    out, error = call("import_orgs", path, "--json")
    assert error is None and json.loads(out) == {"created": 1, "updated": 0, "errors": []}
    out, error = call("import_orgs", path, "--json")
    assert error is None and json.loads(out) == {"created": 0, "updated": 0, "errors": []}
    assert Organisation.objects.filter(code="BA13").count() == 1


def test_import_orgs_with_a_defect_exits_with_status_1(world, tmp_path):
    path = write(tmp_path, "o.xlsx", xlsx(ORG_HEADER, [["某支部", "X1", "NOPE", "党支部", None]]))
    out, error = call("import_orgs", path, "--json")
    assert error is not None and error.returncode == 1
    assert json.loads(out)["errors"][0]["column"] == "上级组织代码"
    assert not Organisation.objects.filter(code="X1").exists()


def test_export_members_writes_a_masked_roster_and_audits_it(world, tmp_path):
    target = tmp_path / "out.xlsx"
    out, error = call("export_members", "--org", "CA1", "-o", str(target))
    assert error is None and "7 名党员" in out
    rows = read_sheet(target.read_bytes())
    id_column = EXPORT_COLUMNS.index("公民身份号码")
    assert {r[id_column] for r in rows[1:]} == {mask_id_number(m.id_number) for m in world.a1_1_members + world.a1_2_members}
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor_name, event.detail["count"]) == ("系统", 7)


def test_export_members_unmasked_needs_a_reason(world, tmp_path):
    target = tmp_path / "out.xlsx"
    _out, error = call("export_members", "--org", "BA11", "-o", str(target), "--unmasked")
    assert error is not None and error.returncode == 1 and "事由" in str(error)
    assert not target.exists()
    _out, error = call("export_members", "--org", "BA11", "-o", str(target), "--unmasked", "--reason", "年度核对")
    assert error is None
    id_column = EXPORT_COLUMNS.index("公民身份号码")
    assert {r[id_column] for r in read_sheet(target.read_bytes())[1:]} == {m.id_number for m in world.a1_1_members}


def test_an_exported_roster_reimports_through_the_command_unchanged(world, tmp_path):
    target = tmp_path / "out.xlsx"
    call("export_members", "--org", "SA", "-o", str(target))
    out, error = call("import_members", str(target), "--org", "SA", "--json")
    assert error is None and json.loads(out) == {"created": 0, "updated": 0, "errors": []}


@pytest.mark.slow
def test_the_commands_exit_status_from_a_real_shell(tmp_path):
    # given a fresh SQLite database migrated by manage.py itself
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("REDIS_URL", None)
    root = Path(settings.BASE_DIR)

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)

    assert manage("migrate", "-v", "0").returncode == 0
    orgs = write(
        tmp_path,
        "orgs.xlsx",
        xlsx(
            ORG_HEADER,
            [
                ["甲一社区第一网格党支部", "G1", "C1", "网格党支部", None],
                ["甲一社区党委", "C1", "D", "社区党委", None],
                ["某区委", "D", None, "区委", None],
            ],
        ),
    )
    done = manage("import_orgs", orgs, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"created": 3, "updated": 0, "errors": []}
    # when a roster with a bad row is imported
    bad = manage("import_members", write(tmp_path, "bad.xlsx", roster(broken=True)), "--org", "C1", "--json")
    # then the exit status is 1 and stdout is exactly one JSON object naming the row
    assert bad.returncode == 1
    payload = json.loads(bad.stdout)
    assert payload["created"] == 0 and payload["errors"][0]["row"] == 3
    good = manage("import_members", write(tmp_path, "good.xlsx", roster()), "--org", "C1", "--json")
    assert good.returncode == 0 and json.loads(good.stdout)["created"] == 1
