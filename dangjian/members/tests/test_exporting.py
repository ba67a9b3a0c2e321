"""Roster export and template: masked by default, audited (PII-007), and they re-import unchanged."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from dangjian.accounts.scopes import build_scope
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core.idnumber import make_id_number
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope
from dangjian.members.exporting import EXPORT_COLUMNS, export_members_xlsx, roster_template_xlsx
from dangjian.members.importing import COLUMNS, import_roster
from dangjian.members.models import Member
from dangjian.members.selectors import member_by_id_number
from dangjian.members.tests.factories import make_member
from dangjian.members.tests.rosters import append_rows, read_sheet, rewrite_cells

TODAY = date(2026, 11, 28)
ID_COLUMN = EXPORT_COLUMNS.index("公民身份号码")
PHONE_COLUMN = EXPORT_COLUMNS.index("联系电话")


def export(world, user="bob", members=None, **options):
    actor = world.persona(user)
    return export_members_xlsx(actor=actor, scope=build_scope(actor), members=members or Member.objects.all(), **options)


def reimport(world, data, *, user="bob", org=None):
    actor = world.persona(user)
    return import_roster(
        actor=actor, scope=build_scope(actor), org=org or world.street_a, data=data, filename="导出.xlsx", dry_run=False, today=TODAY
    )


def test_the_export_columns_are_the_columns_the_importer_reads():
    readable = {alias for spellings in COLUMNS.values() for alias in spellings}
    assert set(EXPORT_COLUMNS) <= readable
    for needed in (
        "序号",
        "姓名",
        "性别",
        "民族",
        "公民身份号码",
        "出生日期",
        "学历",
        "人员类别",
        "入党日期",
        "转正日期",
        "所在党支部",
        "党员状态",
    ):
        assert needed in EXPORT_COLUMNS
    for needed in ("联系电话", "工作单位", "职务", "家庭住址", "是否流动党员", "流动去向", "备注"):
        assert needed in EXPORT_COLUMNS


def test_PII_004_an_export_is_masked_by_default(world):
    # given a member with all three protected values
    member = world.a1_1_members[0]
    # when the street admin exports the list
    rows = read_sheet(export(world))
    # then the file holds only masked forms
    assert rows[0] == EXPORT_COLUMNS
    line = next(r for r in rows[1:] if r[EXPORT_COLUMNS.index("姓名")] == member.name and r[ID_COLUMN] == mask_id_number(member.id_number))
    assert line[PHONE_COLUMN] == mask_phone(member.phone)
    assert line[EXPORT_COLUMNS.index("家庭住址")] == mask_address(member.address)
    everything = repr(rows)
    assert member.id_number not in everything and member.phone not in everything


def test_an_export_contains_no_member_from_outside_the_subtree(world):
    # given charlie (A1-1 secretary) passing the whole registry to the export
    rows = read_sheet(export(world, user="charlie", members=Member.objects.all()))
    # then only A1-1 members are in the file
    ids = {r[ID_COLUMN] for r in rows[1:]}
    assert ids == {mask_id_number(m.id_number) for m in world.a1_1_members}


def test_PII_007_every_export_writes_one_audit_event(world):
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    export(world, user="charlie")
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    assert events.count() == before + 1
    event = events.first()
    assert (event.actor, event.detail["count"], event.detail["unmasked"]) == (world.charlie, len(world.a1_1_members), False)
    assert event.org_path == world.branch_a1_1.path


def test_id_numbers_and_phones_are_text_cells_and_dates_are_real_dates(world):
    workbook = load_workbook(io.BytesIO(export(world, user="charlie", unmasked=True, reason="核对党员信息")))
    sheet = workbook.active
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(row=1, column=1).font.b
    id_cell = sheet.cell(row=2, column=ID_COLUMN + 1)
    phone_cell = sheet.cell(row=2, column=PHONE_COLUMN + 1)
    assert (id_cell.data_type, id_cell.number_format) == ("s", "@")
    assert len(id_cell.value) == 18 and phone_cell.data_type == "s"
    join_cell = sheet.cell(row=2, column=EXPORT_COLUMNS.index("入党日期") + 1)
    assert isinstance(join_cell.value, datetime) and join_cell.number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["E"].width > 15


def test_text_that_looks_like_a_formula_is_exported_as_text(world):
    make_member(world.branch_a1_1, "公式", note='=HYPERLINK("http://example.com")')
    workbook = load_workbook(io.BytesIO(export(world, user="charlie")))
    notes = next(c for c in workbook.active.iter_rows(min_row=2) if c[1].value == "公式")
    cell = notes[EXPORT_COLUMNS.index("备注")]
    assert cell.data_type == "s"


def test_an_unmasked_export_needs_a_reason(world):
    with pytest.raises(RuleViolation) as exc:
        export(world, unmasked=True, reason=" ")
    assert "事由" in exc.value.message
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_unmasked_export_is_refused_when_one_row_may_not_be_unmasked(world):
    # given a scope that sees A1-2 (as a base keeper) but may unmask only in A1-1
    scope = Scope(
        user_id=world.charlie.pk,
        roles={"branch_secretary": (world.branch_a1_1.path,), "base_keeper": (world.community_a1.path,)},
        subtree_roles=("branch_secretary", "base_keeper"),
    )
    with pytest.raises(RuleViolation) as exc:
        export_members_xlsx(actor=world.charlie, scope=scope, members=Member.objects.all(), unmasked=True, reason="核对")
    assert "无权查看其中3名党员" in exc.value.message
    # and the masked export of the same rows is allowed
    assert export_members_xlsx(actor=world.charlie, scope=scope, members=Member.objects.all())


def test_an_unmasked_export_carries_plain_values_and_is_audited_with_its_reason(world):
    rows = read_sheet(export(world, user="charlie", unmasked=True, reason="报送组织部核对"))
    assert {r[ID_COLUMN] for r in rows[1:]} == {m.id_number for m in world.a1_1_members}
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.reason, event.detail["unmasked"]) == ("报送组织部核对", True)


@pytest.mark.parametrize("unmasked", [False, True])
def test_an_exported_list_reimports_unchanged(world, unmasked):
    # given members with flags, notes and a probationary member, exported by the street admin
    make_member(
        world.branch_a1_2,
        "流动者",
        is_flowing=True,
        whereabouts="上海市浦东新区",
        is_party_rep=True,
        party_rep_level="district",
        is_exempt=True,
        exemption_reason="age",
        note="常年在外",
        employer="某公司",
        post="经理",
    )
    make_member(world.branch_a1_1, "预备者", status="probationary", join_date=date(2026, 1, 5))
    count = Member.objects.count()
    data = export(world, unmasked=unmasked, reason="核对" if unmasked else "")
    # when the file is imported back into the street
    report = reimport(world, data)
    # then every row is recognised and nothing changes
    assert report.errors == []
    in_street = Member.objects.filter(organisation__path__startswith=world.street_a.path).count()
    assert (report.created, report.updated, report.unchanged) == (0, 0, in_street)
    assert Member.objects.count() == count


def test_an_edited_masked_export_updates_the_edited_cell_and_keeps_masked_values(world):
    # given a masked export in which the secretary corrects one 职务
    member = world.a1_1_members[0]
    data = export(world, user="charlie")
    rows = read_sheet(data)
    line = next(i for i, r in enumerate(rows) if r[ID_COLUMN] == mask_id_number(member.id_number)) + 1
    edited = rewrite_cells(data, {(line, EXPORT_COLUMNS.index("职务") + 1): "党小组长"})
    # when it is imported
    report = reimport(world, edited, user="charlie", org=world.branch_a1_1)
    # then that member's post changes while the masked phone and address keep their stored values
    assert (report.updated, report.unchanged) == (1, len(world.a1_1_members) - 1)
    phone, address = member.phone, member.address
    member.refresh_from_db()
    assert (member.post, member.phone, member.address) == ("党小组长", phone, address)


def test_the_template_has_an_example_row_and_instructions(world):
    workbook = load_workbook(io.BytesIO(roster_template_xlsx()))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == EXPORT_COLUMNS
    assert sheet.cell(row=2, column=1).value == "示例"
    assert sheet.cell(row=2, column=ID_COLUMN + 1).data_type == "s"
    assert "填写说明" in workbook.sheetnames
    text = " ".join(str(c.value) for row in workbook["填写说明"].iter_rows() for c in row)
    assert "2001.07.01" in text and "正式党员" in text and "大学本科" in text
    assert sheet.data_validations.dataValidation


def test_a_filled_in_template_imports(world):
    # given the template with two members typed under the example row
    born = date(1991, 4, 2)
    first = make_id_number("110108", born, 21)
    second = make_id_number("110108", date(1975, 9, 30), 44)
    layout = {name: i for i, name in enumerate(EXPORT_COLUMNS)}

    def line(**values):
        row = [None] * len(EXPORT_COLUMNS)
        for key, value in values.items():
            row[layout[key]] = value
        return row

    data = append_rows(
        roster_template_xlsx(),
        [
            line(序号=1, 姓名="填表人甲", 公民身份号码=first, 入党日期="2015.07.01", 转正日期="2016.07.01", 所在党支部="甲一社区第一网格党支部", 党员状态="正式党员", 联系电话="13911112222"),
            line(序号=2, 姓名="填表人乙", 公民身份号码=second, 性别="女", 民族="满族", 入党日期=date(2000, 7, 1), 转正日期=date(2001, 7, 1), 所在党支部="甲一社区第二网格党支部", 党员状态="正式", 是否流动党员="否"),
        ],
        text_columns=[ID_COLUMN],
    )  # fmt: skip
    # when it is imported into the community
    report = reimport(world, data, org=world.community_a1)
    # then the two are registered and the example row is skipped
    assert report.errors == []
    assert report.created == 2
    assert any("示例" in note for note in report.notes)
    assert member_by_id_number(first).organisation == world.branch_a1_1
    assert member_by_id_number(second).ethnicity == "满族"


def test_the_template_uploaded_unfilled_is_refused_with_a_reason(world):
    report = reimport(world, roster_template_xlsx(), org=world.branch_a1_1)
    assert [(p.row, p.column) for p in report.errors] == [(1, "")]
    assert "没有党员数据行" in report.errors[0].message
