"""Organisation import: parents after children, every defect reported, all-or-nothing, re-import."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope
from dangjian.organisations import importing
from dangjian.organisations.choices import OrgKind, Sector
from dangjian.organisations.importing import import_organisations
from dangjian.organisations.models import Organisation, OrganisationEvent
from dangjian.organisations.tests.factories import make_org

TODAY = date(2026, 11, 28)
HEADER = ["序号", "组织名称", "组织代码", "上级组织代码", "组织类别", "成立日期", "领域"]


def xlsx(header: Sequence[Any], rows: Sequence[Sequence[Any]], *, titles: Sequence[str] = ()) -> bytes:
    """An organisation sheet as an office keeps it (title rows above the header)."""
    workbook = Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(header: Sequence[Any], rows: Sequence[Sequence[Any]], *, encoding: str) -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\r\n".join(lines).encode(encoding)


# the personas' grants, as accounts.scopes.build_scope gives them (accounts sits above this app)
GRANTS = {"alice": ("district_admin", "district"), "bob": ("org_admin", "street_a"), "charlie": ("branch_secretary", "branch_a1_1")}


def scope_of(world: Any, user: str) -> Scope:
    role, where = GRANTS[user]
    org = getattr(world, where)
    return Scope(user_id=world.persona(user).pk, roles={role: (org.path,)}, role_org_ids={role: (org.pk,)})


def run(world: Any, data: bytes, *, user: str = "alice", dry_run: bool = False, filename: str = "组织.xlsx"):
    return import_organisations(
        actor=world.persona(user), scope=scope_of(world, user), data=data, filename=filename, dry_run=dry_run, today=TODAY
    )


def happy_rows() -> list[list[Any]]:
    return [
        [1, "丙一社区第一网格党支部", "SC1G1", "SC1", "网格支部", "2016.05.04", None],
        [2, "丙街道党工委", "SC", "D0", "党工委", "2010-01-01", "城市社区"],
        [3, "丙一社区党委", "SC1", "SC", "社区党委", "2012年3月1日", "社区"],
        [4, "丙一社区第一网格一号楼党小组", "SC1G1P1", "SC1G1", "楼院小组", None, None],
        [5, "某科技公司党支部", "SAT1", "SA", "党支部", "2020/6/30", "非公企业"],
        [6, "甲一社区志愿服务功能型党支部", "CA1F", "CA1", "功能型党支部", "2021-07-01", None],
    ]


def parent_code(org: Organisation) -> str:
    return Organisation.objects.get(path=org.path[: -Organisation.steplen]).code


def test_an_organisation_file_with_children_before_parents_builds_the_tree(world):
    # given a file that lists a branch before its community and street, under the district
    data = xlsx(HEADER, happy_rows(), titles=["组织体系导入表"])
    # when the district admin imports it
    report = run(world, data)
    # then the six organisations hang where the parent codes say, with their kinds, dates and fields
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (6, 0, 0)
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=["SC", "SC1", "SC1G1", "SC1G1P1", "SAT1", "CA1F"])}
    assert {code: parent_code(o) for code, o in orgs.items()} == {
        "SC": "D0",
        "SC1": "SC",
        "SC1G1": "SC1",
        "SC1G1P1": "SC1G1",
        "SAT1": "SA",
        "CA1F": "CA1",
    }
    assert orgs["SC"].kind == OrgKind.STREET_WORKING_COMMITTEE and orgs["SC1G1P1"].kind == OrgKind.BUILDING_GROUP
    assert (orgs["SC1G1"].kind, orgs["SC1G1"].founded_on) == (OrgKind.GRID_BRANCH, date(2016, 5, 4))
    assert (orgs["SC1"].founded_on, orgs["SAT1"].sector, orgs["SC1G1"].sector) == (
        date(2012, 3, 1),
        Sector.NON_PUBLIC_ENTERPRISE,
        Sector.COMMUNITY,
    )
    assert orgs["SC1G1P1"].founded_on is None
    # and each has its history entry, plus one audit event for the file
    assert OrganisationEvent.objects.filter(organisation__in=orgs.values(), action=AuditAction.CREATE).count() == 6
    audit = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert (audit.actor, audit.detail["created"], audit.org_path) == (world.alice, 6, world.district.path)


def test_a_gbk_csv_organisation_file_imports(world):
    data = csv_bytes(
        ["组织名称", "组织代码", "上级代码", "类别"], [["甲一社区第三网格党支部", "BA13", "CA1", "网格党支部"]], encoding="gbk"
    )
    report = run(world, data, filename="组织.csv")
    assert report.errors == []
    assert parent_code(Organisation.objects.get(code="BA13")) == "CA1"


def test_reimporting_the_same_organisation_file_changes_nothing(world):
    data = xlsx(HEADER, happy_rows())
    run(world, data)
    count = Organisation.objects.count()
    report = run(world, data)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 6)
    assert Organisation.objects.count() == count


def test_reimporting_updates_names_and_dates_in_place(world):
    run(world, xlsx(HEADER, happy_rows()))
    rows = happy_rows()
    rows[1][1], rows[1][5] = "丙街道党工委（更名）", "2010-02-02"
    rows.append([7, "甲一社区党委", "CA1", "SA", "社区党委", "2015-07-01", "城市社区"])
    report = run(world, xlsx(HEADER, rows))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 6)
    street = Organisation.objects.get(code="SC")
    assert (street.name, street.founded_on) == ("丙街道党工委（更名）", date(2010, 2, 2))
    event = OrganisationEvent.objects.filter(organisation=street, action=AuditAction.UPDATE).get()
    assert event.before["name"] == "丙街道党工委" and event.after["name"] == "丙街道党工委（更名）"
    assert any("修改组织名称" in s for _r, a, s in report.preview if a == "更新")


def test_an_organisation_file_with_one_defect_of_each_kind_imports_nothing_and_reports_every_defect(world):
    # given a dissolved branch, and one row per defect (header in row 1, data from row 2)
    make_org(world.community_a1, "已撤销支部", OrgKind.BRANCH, code="GONE", dissolved_on=date(2024, 1, 1))
    rows = [
        [1, "居委会", "K1", "CA1", "居委会", None, None],  # 2
        [2, "越级党小组", "K2", "D0", "党小组", None, None],  # 3
        [3, "重码一", "DUP", "CA1", "党支部", None, None],  # 4
        [4, "重码二", "DUP", "CA1", "党支部", None, None],  # 5
        [5, "甲一社区第一网格党支部", "BA11", "SB", "网格党支部", None, None],  # 6
        [6, "无上级", "K6", "NOPE", "党支部", None, None],  # 7
        [7, "循环甲", "LOOPA", "LOOPB", "党总支", None, None],  # 8
        [8, "循环乙", "LOOPB", "LOOPA", "党总支", None, None],  # 9
        [9, None, "K9", "CA1", "党支部", None, None],  # 10
        [10, "无代码", None, "CA1", "党支部", None, None],  # 11
        [11, "将来成立", "K11", "CA1", "党支部", date(2027, 1, 1), None],  # 12
        [12, "日期错", "K12", "CA1", "党支部", "2020.13.01", None],  # 13
        [13, "第二个区委", "K13", None, "区委", None, None],  # 14
        [14, "领域错", "K14", "CA1", "党支部", None, "外星"],  # 15
        [15, "撤销下级", "K15", "GONE", "党小组", None, None],  # 16
        [16, "只年月", "K16", "CA1", "党支部", "2015.7", None],  # 17
        [17, "自己上级", "K17", "K17", "党支部", None, None],  # 18
    ]
    data = xlsx(HEADER, rows)
    before = (Organisation.objects.count(), OrganisationEvent.objects.count(), AuditEvent.objects.count())
    # when it is imported
    report = run(world, data)
    # then nothing is written and each defect is reported at its row and column
    assert (Organisation.objects.count(), OrganisationEvent.objects.count(), AuditEvent.objects.count()) == before
    assert (report.created, report.preview) == (0, [])
    expected = [
        (2, "组织类别", "“居委会”无法识别"),
        (3, "组织类别", "ORG-019"),
        (4, "组织代码", "与第 5 行重复"),
        (5, "组织代码", "与第 4 行重复"),
        (6, "上级组织代码", "不能移动组织"),
        (7, "上级组织代码", "“NOPE”在文件和您管理的组织中都找不到"),
        (8, "上级组织代码", "循环"),
        (9, "上级组织代码", "循环"),
        (10, "组织名称", "组织名称不能为空"),
        (11, "组织代码", "组织代码不能为空"),
        (12, "成立日期", "晚于今天"),
        (13, "成立日期", "不是有效日期"),
        (14, "上级组织代码", "只能有一个顶层组织"),
        (15, "领域", "“外星”无法识别"),
        (16, "上级组织代码", "已撤销"),
        (17, "成立日期", "只有年月"),
        (18, "上级组织代码", "不能是本组织自己的代码"),
    ]
    got = [(p.row, p.column, p.message) for p in report.errors]
    for row, column, fragment in expected:
        assert any(r == row and c == column and fragment in m for r, c, m in got), (row, column, fragment, got)
    assert len(got) == len(expected), got


def test_codes_and_parents_outside_the_importers_subtree_are_not_revealed(world):
    # given street A's admin naming a code and a parent that live in street B
    rows = [[1, "冒用代码", "BB11", "SA", "党支部", None, None], [2, "越界", "K2", "SB", "社区党委", None, None]]
    report = run(world, xlsx(HEADER, rows), user="bob")
    got = {(p.row, p.column): p.message for p in report.errors}
    assert "已被其他组织使用" in got[(2, "组织代码")]
    assert "找不到" in got[(3, "上级组织代码")]
    assert all("乙" not in message for message in got.values())


def test_a_kind_change_that_would_leave_members_in_a_committee_is_refused(world):
    rows = [[1, "甲一社区第一网格党支部", "BA11", "CA1", "党总支", None, None]]
    report = run(world, xlsx(HEADER, rows))
    assert [(p.row, p.column) for p in report.errors] == [(2, "组织类别")]
    assert "ORG-017" in report.errors[0].message


def test_missing_required_organisation_columns_are_reported(world):
    report = run(world, xlsx(["组织名称", "组织代码", "成立日期"], [["某支部", "X1", "2020-01-01"]]))
    assert {(p.row, p.column) for p in report.errors} == {(1, "上级组织代码"), (1, "组织类别")}


def test_a_branch_secretary_may_not_import_organisations(world):
    with pytest.raises(RuleViolation):
        run(world, xlsx(HEADER, happy_rows()), user="charlie")


def test_a_dry_run_previews_the_organisations_and_writes_nothing(world):
    count = Organisation.objects.count()
    report = run(world, xlsx(HEADER, happy_rows()), dry_run=True)
    assert report.created == 6 and Organisation.objects.count() == count
    assert report.preview[0] == (2, "新增", "丙一社区第一网格党支部（SC1G1，网格党支部，上级SC1）")


@pytest.mark.django_db(transaction=True)
def test_an_injected_failure_while_writing_organisations_leaves_the_database_unchanged(world, monkeypatch):
    # given a valid file that renames an existing community and creates six organisations
    rows = [*happy_rows(), [7, "甲一社区党委（新名）", "CA1", "SA", "社区党委", "2015-07-01", None]]
    data = xlsx(HEADER, rows)
    assert run(world, data, dry_run=True).errors == []
    before = (Organisation.objects.count(), OrganisationEvent.objects.count(), AuditEvent.objects.count())
    real_create = importing.create_organisation
    calls = []

    def failing_create(**kwargs: Any) -> Organisation:
        calls.append(kwargs["values"]["code"])
        if len(calls) == 4:
            raise RuntimeError("disk I/O error")
        return real_create(**kwargs)

    monkeypatch.setattr(importing, "create_organisation", failing_create)
    # when the fourth creation fails
    with pytest.raises(RuntimeError):
        run(world, data)
    # then neither the rename nor the first three organisations remain
    assert (Organisation.objects.count(), OrganisationEvent.objects.count(), AuditEvent.objects.count()) == before
    assert Organisation.objects.get(code="CA1").name == "甲一社区党委"
    assert not Organisation.objects.filter(code__in=calls).exists()


@pytest.mark.django_db
def test_a_system_operator_sets_up_an_empty_platform_from_a_file():
    rows = [[1, "某某街道党工委", "S1", "Q", "街道党工委", None, None], [2, "中共某某区委", "Q", None, "区委", "1950-01-01", None]]
    report = import_organisations(
        actor=None, scope=Scope(user_id=None, is_superuser=True), data=xlsx(HEADER, rows), filename="t.xlsx", dry_run=False, today=TODAY
    )
    assert report.errors == []
    root = Organisation.objects.get(depth=1)
    assert (root.code, root.kind) == ("Q", OrgKind.DISTRICT_COMMITTEE)
    assert parent_code(Organisation.objects.get(code="S1")) == "Q"


def test_the_organisation_template_imports_once_filled_in(world):
    # given the template with one real row typed under its example row
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(importing.organisations_template_xlsx()))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == ["序号", "组织名称", "组织代码", "上级组织代码", "组织类别", "成立日期", "领域"]
    assert "填写说明" in workbook.sheetnames
    sheet.append([1, "甲一社区第三网格党支部", "BA13", "CA1", "网格党支部", "2020-05-01", None])
    out = io.BytesIO()
    workbook.save(out)
    # when it is imported
    report = run(world, out.getvalue())
    # then only the typed row is created and the example is skipped
    assert report.errors == [] and report.created == 1
    assert any("示例" in note for note in report.notes)
    assert not Organisation.objects.filter(code="D01-S01-C01").exists()
