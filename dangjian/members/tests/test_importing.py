"""Roster import: messy real-world files, every defect reported, all-or-nothing, re-import, timing."""

from __future__ import annotations

import itertools
import time
from datetime import date, datetime
from typing import Any

import pytest
from django.db import connection
from openpyxl.utils.datetime import to_excel

from dangjian.accounts.scopes import build_scope
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.core import crypto
from dangjian.core.idnumber import make_id_number
from dangjian.core.masking import mask_id_number
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope
from dangjian.members import importing
from dangjian.members.importing import import_roster
from dangjian.members.models import Member, MemberEvent
from dangjian.members.selectors import member_by_id_number
from dangjian.members.tests.rosters import csv_bytes, xlsx

TODAY = date(2026, 11, 28)
_seq = itertools.count(101)


def pid(born: date, *, male: bool = True, region: str = "110101") -> str:
    """A valid 公民身份号码 that no factory member holds (another region)."""
    n = next(_seq) * 2 + (1 if male else 0)
    return make_id_number(region, born, n % 1000)


def run(world: Any, data: bytes, *, user: str = "bob", org: Any = None, filename: str = "名册.xlsx", dry_run: bool = False):
    actor = world.persona(user)
    return import_roster(
        actor=actor,
        scope=build_scope(actor),
        org=org or world.community_a1,
        data=data,
        filename=filename,
        dry_run=dry_run,
        today=TODAY,
    )


# ------------------------------------------------------------------------------------------ messy


WANG = pid(date(1985, 3, 9))
LI = pid(date(1960, 5, 20), male=False)
ZHANG = pid(date(1990, 1, 15))
ZHAO = pid(date(1995, 8, 8), male=False)
LIU = pid(date(1978, 12, 1))

MESSY_HEADER = [
    "序　号",
    "姓 名",
    "身份证号码",
    "性别",
    "民族",
    "出生年月",
    "人员类别",
    "学历",
    "入党时间",
    "转正日期",
    "所在支部",
    "人员状态",
    "手机号码",
    "工作单位及职务",
    "现住址",
    "是否流动党员",
    "流动去向",
    "政治面貌",
    "备注",
]


def messy_rows() -> list[list[Any] | None]:
    return [
        [1, "王建国", "'" + WANG, "男", "汉", 1985.03, "在职", "本科", datetime(2010, 7, 1), "2011.07.01", "甲一社区第一网格党支部",
         "正式党员", 13912340001, "区教育局 科员", "北京市东城区和平里街道甲一社区3号楼2单元101", "否", None, "中共党员", None],
        [2, " 李秀英", LI, "女", "回族", None, "离退休", "大专", "2001-7-1", "2002/7/1", "第二网格党支部",
         "正式", "139 1234 0002", "退休", "北京市东城区和平里街道甲一社区5号楼", "", None, "中共党员", "老党员"],
        None,
        [3, "张\u3000伟", f" {ZHANG} ", "男", "汉族", "1990-01-15", "专业技术人员", "硕士", "2015年7月1日", "20160701",
         "甲一社区第一网格党支部\u3000", "正式党员", None, "某某科技有限公司/工程师", None, "是", "广东省深圳市", None, None],
        [4, "赵敏", ZHAO, None, "汉族", None, "学生", "中专", int(to_excel(datetime(2026, 3, 1))), None, "甲一社区第二网格党支部",
         "预备", "13912340004", None, "北京市东城区和平里街道甲一社区7号楼", "√", "天津市", None, None],
        [5, "刘洋", LIU, "男", "汉", "1978.12.01", "工人", "大学本科", "2003.7.1", "2004.7.1", "甲一社区第一网格党支部",
         "正式党员", "13912340005", "区环卫所　司机", "北京市东城区和平里街道甲一社区9号楼", "否", None, None, None],
        [6],  # a pre-numbered empty line
        None,
    ]  # fmt: skip


def messy_xlsx() -> bytes:
    return xlsx(
        MESSY_HEADER,
        messy_rows(),
        titles=["甲一社区党委党员花名册", "填报单位：甲一社区党委（盖章）　　　填报日期：2026年11月"],
        footer=[["合计：5人"], ["填表人：王芳", None, "审核人：李娜"]],
    )


def test_a_messy_roster_imports_exactly_the_right_members(world):
    # given a roster with title rows, shuffled variant columns, full-width spaces, blank rows and a 合计 footer
    data = messy_xlsx()
    before = Member.objects.count()
    # when a street admin imports it into the community
    report = run(world, data)
    # then the five people are registered, and nothing else
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert Member.objects.count() == before + 5
    wang = member_by_id_number(WANG)
    assert (wang.name, wang.gender, wang.ethnicity, wang.birth_date) == ("王建国", "male", "汉族", date(1985, 3, 9))
    assert (wang.category, wang.education, wang.join_date, wang.full_date) == ("employee", "bachelor", date(2010, 7, 1), date(2011, 7, 1))
    assert (wang.organisation, wang.status, wang.phone) == (world.branch_a1_1, "full", "13912340001")
    assert (wang.employer, wang.post, wang.is_flowing) == ("区教育局", "科员", False)
    assert wang.address == "北京市东城区和平里街道甲一社区3号楼2单元101"
    li = member_by_id_number(LI)
    assert (li.name, li.gender, li.ethnicity, li.birth_date, li.category) == ("李秀英", "female", "回族", date(1960, 5, 20), "retired")
    assert (li.education, li.join_date, li.full_date, li.organisation) == (
        "junior_college",
        date(2001, 7, 1),
        date(2002, 7, 1),
        world.branch_a1_2,
    )
    assert (li.phone, li.employer, li.post, li.note) == ("13912340002", "退休", "", "老党员")
    zhang = member_by_id_number(ZHANG)
    assert (zhang.name, zhang.education, zhang.join_date, zhang.full_date) == ("张伟", "postgraduate", date(2015, 7, 1), date(2016, 7, 1))
    assert (zhang.is_flowing, zhang.whereabouts, zhang.employer, zhang.post) == (True, "广东省深圳市", "某某科技有限公司", "工程师")
    assert (zhang.phone, zhang.address) == ("", "")
    zhao = member_by_id_number(ZHAO)
    assert (zhao.gender, zhao.status, zhao.join_date, zhao.full_date, zhao.education) == (
        "female",
        "probationary",
        date(2026, 3, 1),
        None,
        "secondary_vocational",
    )
    assert (zhao.is_flowing, zhao.whereabouts, zhao.category) == (True, "天津市", "student")
    liu = member_by_id_number(LIU)
    assert (liu.join_date, liu.full_date, liu.birth_date, liu.post, liu.category) == (
        date(2003, 7, 1),
        date(2004, 7, 1),
        date(1978, 12, 1),
        "司机",
        "worker",
    )


def test_the_messy_roster_notes_the_ignored_column_and_the_skipped_footer(world):
    report = run(world, messy_xlsx(), dry_run=True)
    assert any("政治面貌" in note for note in report.notes)
    assert any("合计" in note for note in report.notes)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8"])
def test_a_csv_roster_in_gbk_or_utf8_imports_into_the_branch_itself(world, encoding):
    # given a CSV as Chinese Excel saves it, without a 所在党支部 column
    one, two = pid(date(1970, 2, 3)), pid(date(1988, 11, 30), male=False)
    header = [
        "序号",
        "姓名",
        "公民身份号码",
        "性别",
        "入党日期",
        "转正日期",
        "党员类别",
        "联系电话",
        "家庭住址",
        "工作单位",
        "职务",
        "学历",
        "民族",
    ]
    rows = [
        ["1", "欧阳春", one, "男", "1995.07.01", "1996.07.01", "正式", "010-64001234", "北京市东城区和平里街道甲一社区1号", "区医院", "医生", "大学本科", "满族"],
        None,
        ["2", "马丽娜", two, "女", "2012年6月30日", "2013年7月1日", "正式党员", "13800001111", "", "", "", "大专", "回"],
        ["合计", "2人"],
    ]  # fmt: skip
    data = csv_bytes(header, rows, encoding=encoding, titles=["第一网格党支部党员名册"])
    # when the branch secretary imports it into their branch
    report = run(world, data, user="charlie", org=world.branch_a1_1, filename="名册.csv")
    # then both land in the branch with the values of the file
    assert report.errors == []
    assert report.created == 2
    ouyang, ma = member_by_id_number(one), member_by_id_number(two)
    assert (ouyang.name, ouyang.organisation, ouyang.ethnicity, ouyang.phone) == ("欧阳春", world.branch_a1_1, "满族", "01064001234")
    assert (ouyang.employer, ouyang.post, ouyang.join_date) == ("区医院", "医生", date(1995, 7, 1))
    assert (ma.name, ma.ethnicity, ma.education, ma.join_date, ma.full_date) == (
        "马丽娜",
        "回族",
        "junior_college",
        date(2012, 6, 30),
        date(2013, 7, 1),
    )


# ------------------------------------------------------------------------------------------ defects

DEFECT_HEADER = [
    "序号",
    "姓名",
    "性别",
    "公民身份号码",
    "出生日期",
    "入党日期",
    "转正日期",
    "所在党支部",
    "党员状态",
    "联系电话",
    "学历",
    "是否流动党员",
    "流动去向",
]
A11 = "甲一社区第一网格党支部"


def good(name: str, **changes: Any) -> list[Any]:
    """A valid row for the defect roster, with one field changed."""
    born = changes.pop("born", date(1980, 6, 15))
    male = changes.pop("male", True)
    values = {
        "序号": 0,
        "姓名": name,
        "性别": "男" if male else "女",
        "公民身份号码": changes.pop("id", None) or pid(born, male=male),
        "出生日期": born,
        "入党日期": date(2005, 7, 1),
        "转正日期": date(2006, 7, 1),
        "所在党支部": A11,
        "党员状态": "正式党员",
        "联系电话": "13912345678",
        "学历": "大学本科",
        "是否流动党员": "否",
        "流动去向": "",
    }
    values.update(changes)
    return [values[h] for h in DEFECT_HEADER]


def as_registered(member: Member) -> dict[str, Any]:
    """The defect roster's cells for a member exactly as the registry holds them (only the branch differs)."""
    return {
        "id": member.id_number,
        "born": member.birth_date,
        "male": member.gender == "male",
        "入党日期": member.join_date,
        "转正日期": member.full_date,
    }


def test_a_roster_with_one_defect_of_each_kind_imports_nothing_and_reports_every_defect(world):
    # given one row per kind of defect (title in row 1, header in row 2, data from row 3)
    twin = pid(date(1980, 6, 15))
    valid = pid(date(1985, 3, 9))
    wrong_checksum = valid[:17] + ("1" if valid[17] != "1" else "2")
    outsider = world.b1_1_members[0]
    neighbour = world.a1_2_members[0]
    rows = [
        good("校验错", id=wrong_checksum, born=date(1985, 3, 9)),  # 3
        good("生日错", born=date(1980, 6, 15), 出生日期=date(1980, 6, 16)),  # 4
        good("性别错", male=True, 性别="女"),  # 5
        good("重复甲", id=twin),  # 6
        good("重复乙", id=twin),  # 7
        good(outsider.name, **as_registered(outsider)),  # 8
        good(neighbour.name, **as_registered(neighbour)),  # 9
        good("无支部", 所在党支部="第九网格党支部"),  # 10
        good("支部含糊", 所在党支部="网格党支部"),  # 11
        good("社区党委", 所在党支部="甲一社区党委"),  # 12
        good("将来日", 入党日期=date(2027, 1, 1), 转正日期=None, 党员状态="预备党员"),  # 13
        good("无此日", 入党日期="2001.02.30"),  # 14
        good("未满十八", born=date(1990, 1, 1), 入党日期=date(2007, 7, 1), 转正日期=date(2008, 7, 1)),  # 15
        good("转正太早", 转正日期=date(2006, 1, 1)),  # 16
        good("电话错", 联系电话="12345"),  # 17
        good("状态错", 党员状态="积极分子"),  # 18
        good("数字号", id=1.10105198503091e17),  # 19
        good("只年月", 入党日期="2001.7", 转正日期=None, 党员状态="正式党员"),  # 20
        good("流动无去向", 是否流动党员="是"),  # 21
        good("学历错", 学历="家里蹲"),  # 22
        good("脱敏无主", id="110101********1234"),  # 23
        good("", 性别="男"),  # 24
        good("预备有转正", 党员状态="预备党员"),  # 25
    ]
    data = xlsx(DEFECT_HEADER, rows, titles=["党员花名册"])
    before = (Member.objects.count(), MemberEvent.objects.count(), AuditEvent.objects.count())
    # when it is imported
    report = run(world, data)
    # then nothing is written
    assert (Member.objects.count(), MemberEvent.objects.count(), AuditEvent.objects.count()) == before
    assert (report.created, report.updated, report.preview) == (0, 0, [])
    # and every defect is reported at its row and column, with its reason
    expected = [
        (3, "公民身份号码", "校验位不正确"),
        (4, "出生日期", "PII-006"),
        (5, "性别", "第17位"),
        (6, "公民身份号码", "与第 7 行"),
        (7, "公民身份号码", "与第 6 行"),
        (8, "公民身份号码", "已在其他党组织登记"),
        (9, "公民身份号码", "甲一社区第二网格党支部"),
        (10, "所在党支部", "找不到"),
        (11, "所在党支部", "无法确定"),
        (12, "所在党支部", "ORG-017"),
        (13, "入党日期", "DEV-027"),
        (14, "入党日期", "不是有效日期"),
        (15, "入党日期", "DEV-001"),
        (16, "转正日期", "DEV-021"),
        (17, "联系电话", "不是有效的手机号"),
        (18, "党员状态", "“积极分子”无法识别"),
        (19, "公民身份号码", "被Excel存成了数字"),
        (20, "入党日期", "只有年月"),
        (21, "流动去向", "须填写流动去向"),
        (22, "学历", "“家里蹲”无法识别"),
        (23, "公民身份号码", "脱敏号码"),
        (24, "姓名", "姓名不能为空"),
        (25, "转正日期", "预备党员不应填写转正日期"),
    ]
    got = [(p.row, p.column, p.message) for p in report.errors]
    for row, column, fragment in expected:
        assert any(r == row and c == column and fragment in m for r, c, m in got), (row, column, fragment, got)
    assert sorted({r for r, _c, _m in got}) == list(range(3, 26))
    assert len(got) == len(expected)
    # an ID outside the importer's subtree does not reveal where it is registered
    outside = next(m for r, _c, m in got if r == 8)
    assert "乙一" not in outside and outsider.name not in outside
    assert "组织关系转接" in next(m for r, _c, m in got if r == 9)
    # and the masked form of an ID is the only form that appears in messages
    assert all(outsider.id_number not in m and twin not in m for _r, _c, m in got)


def test_missing_required_columns_are_reported_on_the_header_row(world):
    data = xlsx(["序号", "姓名", "性别", "联系电话"], [[1, "张三", "男", "13912345678"]], titles=["名册", ""])
    report = run(world, data, org=world.branch_a1_1)
    assert {(p.row, p.column) for p in report.errors} == {(3, "公民身份号码"), (3, "入党日期"), (3, "党员状态")}
    assert all("缺少必需的" in p.message for p in report.errors)


def test_without_a_branch_column_a_committee_cannot_hold_the_members(world):
    header = ["姓名", "公民身份号码", "入党日期", "党员状态"]
    report = run(world, xlsx(header, [["张三", pid(date(1980, 1, 1)), "2005-07-01", "预备党员"]]))
    assert [(p.row, p.column) for p in report.errors] == [(1, "所在党支部")]
    assert "社区党委" in report.errors[0].message


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (b"%PDF-1.4 something", "名册.pdf", "只支持.xlsx或.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "名册.xls", "旧版.xls"),
        (b"not a zip at all", "名册.xlsx", "不是有效的.xlsx"),
        (b"", "名册.csv", "空的"),
        ("甲,乙\n张三,男\n".encode(), "名册.csv", "没有找到党员名册的表头行"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(world, data, filename, fragment):
    report = run(world, data, filename=filename)
    assert len(report.errors) == 1 and report.errors[0].row == 0
    assert fragment in report.errors[0].message


def test_files_above_the_size_or_row_limits_are_refused(world, settings):
    header = ["姓名", "公民身份号码", "入党日期", "党员状态", "所在党支部"]
    rows = [[f"党员{i}", pid(date(1980, 1, 1)), "2005-07-01", "预备党员", A11] for i in range(12)]
    settings.IMPORT_MAX_ROWS = 10
    report = run(world, xlsx(header, rows))
    assert "超过单次导入上限10行" in report.errors[0].message
    settings.IMPORT_MAX_ROWS = 1000
    settings.IMPORT_MAX_BYTES = 1024
    report = run(world, xlsx(header, rows))
    assert "超过单次导入上限1 KB" in report.errors[0].message


def test_an_importer_outside_the_organisation_is_refused(world):
    with pytest.raises(RuleViolation):
        run(world, messy_xlsx(), user="erin", org=world.branch_a1_1)


# ------------------------------------------------------------------------------------------ writing


def test_a_dry_run_previews_and_writes_nothing(world):
    before = (Member.objects.count(), AuditEvent.objects.count())
    report = run(world, messy_xlsx(), dry_run=True)
    assert report.created == 5 and report.dry_run
    assert (Member.objects.count(), AuditEvent.objects.count()) == before
    assert [(row, action) for row, action, _s in report.preview] == [(4, "新增"), (5, "新增"), (7, "新增"), (8, "新增"), (9, "新增")]
    assert mask_id_number(WANG) in report.preview[0][2]
    assert all(WANG not in summary for _r, _a, summary in report.preview)


def test_an_import_writes_a_history_row_per_member_and_one_audit_event(world):
    report = run(world, messy_xlsx(), filename="甲一名册.xlsx")
    assert report.created == 5
    wang = member_by_id_number(WANG)
    event = MemberEvent.objects.get(member=wang)
    assert (event.action, event.actor, event.after["id_number"]) == (AuditAction.CREATE, world.bob, mask_id_number(WANG))
    audits = AuditEvent.objects.filter(action=AuditAction.IMPORT)
    assert audits.count() == 1
    audit = audits.get()
    assert (audit.actor, audit.org_path, audit.detail["created"], audit.detail["filename"]) == (
        world.bob,
        world.community_a1.path,
        5,
        "甲一名册.xlsx",
    )


def test_reimporting_the_same_file_creates_no_duplicates(world):
    data = messy_xlsx()
    run(world, data)
    count = Member.objects.count()
    # when the same file comes again
    report = run(world, data)
    # then every row is recognised as unchanged
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert Member.objects.count() == count
    assert {action for _r, action, _s in report.preview} == {"无变化"}


def test_reimporting_a_corrected_file_updates_only_the_changed_rows(world):
    run(world, messy_xlsx())
    rows = messy_rows()
    rows[0][MESSY_HEADER.index("手机号码")] = "13700009999"
    rows[1][MESSY_HEADER.index("备注")] = "老党员，党龄25年"
    report = run(world, xlsx(MESSY_HEADER, rows, titles=["名册"]))
    assert (report.created, report.updated, report.unchanged) == (0, 2, 3)
    wang = member_by_id_number(WANG)
    assert wang.phone == "13700009999"
    assert member_by_id_number(LI).note == "老党员，党龄25年"
    change = MemberEvent.objects.filter(member=wang, action=AuditAction.UPDATE).get()
    assert change.before == {"phone": "139****0001"} and change.after == {"phone": "137****9999"}
    assert ("更新" in [a for _r, a, _s in report.preview]) and any("联系电话" in s for _r, _a, s in report.preview)


def test_an_existing_member_is_updated_in_place_not_duplicated(world):
    # given a member already registered in A1-1
    member = world.a1_1_members[0]
    header = ["姓名", "公民身份号码", "入党日期", "转正日期", "党员状态", "联系电话"]
    row = [member.name, member.id_number, member.join_date, member.full_date, "正式党员", "13600001234"]
    # when the branch imports a roster carrying them with a new phone
    report = run(world, xlsx(header, [row]), user="charlie", org=world.branch_a1_1)
    # then the record is updated, not copied, and columns missing from the file keep their values
    assert (report.created, report.updated) == (0, 1)
    member.refresh_from_db()
    assert member.phone == "13600001234"
    assert member.address.startswith("北京市东城区和平里街道")


@pytest.mark.django_db(transaction=True)
def test_an_injected_failure_at_row_n_during_the_write_leaves_the_database_unchanged(world, monkeypatch):
    # given a valid roster that updates two existing members and registers six new ones
    existing = world.a1_1_members[:2]
    header = ["姓名", "公民身份号码", "入党日期", "转正日期", "党员状态", "联系电话", "所在党支部"]
    rows = [[m.name, m.id_number, m.join_date, m.full_date, "正式党员", f"1370000000{i}", A11] for i, m in enumerate(existing)]
    rows += [[f"新党员{i}", pid(date(1980, 1, 1 + i)), "2005-07-01", "2006-07-01", "正式", f"1380000000{i}", A11] for i in range(6)]
    data = xlsx(header, rows)
    assert run(world, data, dry_run=True).errors == []
    snapshot = (Member.objects.count(), MemberEvent.objects.count(), AuditEvent.objects.count())
    phones = {m.pk: m.phone for m in existing}
    # and the database failing while writing the fifth new member (row 2 + 2 + 5 = 9), after two batches went in
    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    real_encrypt = crypto.encrypt

    def failing_encrypt(plaintext: str, *, context: str) -> str:
        if plaintext == "13800000004":
            raise RuntimeError("disk I/O error")
        return real_encrypt(plaintext, context=context)

    monkeypatch.setattr(crypto, "encrypt", failing_encrypt)
    # when it is imported
    with pytest.raises(RuntimeError):
        run(world, data)
    # then nothing of it stays: no new members, no changed phones, no history, no audit
    monkeypatch.setattr(crypto, "encrypt", real_encrypt)
    assert (Member.objects.count(), MemberEvent.objects.count(), AuditEvent.objects.count()) == snapshot
    assert not Member.objects.filter(name__startswith="新党员").exists()
    for member in existing:
        member.refresh_from_db()
        assert member.phone == phones[member.pk]


def test_a_masked_id_matches_the_member_by_name_and_visible_digits(world):
    member = world.a1_1_members[1]
    header = ["姓名", "公民身份号码", "入党日期", "转正日期", "党员状态", "联系电话", "家庭住址"]
    row = [member.name, mask_id_number(member.id_number), member.join_date, member.full_date, "正式党员", "139****0000", "北京市****"]
    report = run(world, xlsx(header, [row]), user="charlie", org=world.branch_a1_1)
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_a_masked_phone_for_a_new_member_is_refused(world):
    header = ["姓名", "公民身份号码", "入党日期", "党员状态", "联系电话"]
    report = run(world, xlsx(header, [["新人", pid(date(1990, 1, 1)), "2015-07-01", "预备党员", "139****0000"]]), org=world.branch_a1_1)
    assert [(p.row, p.column) for p in report.errors] == [(2, "联系电话")]
    assert "脱敏" in report.errors[0].message


def test_a_birth_year_month_that_agrees_with_the_id_is_accepted_and_one_that_does_not_is_refused(world):
    born = date(1982, 10, 5)
    good_id, bad_id = pid(born), pid(born)
    header = ["姓名", "公民身份号码", "出生年月", "入党日期", "党员状态"]
    rows = [["甲", good_id, 1982.1, "2005-07-01", "预备党员"], ["乙", bad_id, "1982.09", "2005-07-01", "预备党员"]]
    report = run(world, xlsx(header, rows), org=world.branch_a1_1)
    assert [(p.row, p.column) for p in report.errors] == [(3, "出生年月")]
    assert "不一致" in report.errors[0].message


def test_a_member_registered_in_another_branch_of_the_subtree_is_not_moved(world):
    member = world.a1_2_members[0]
    header = ["姓名", "公民身份号码", "入党日期", "转正日期", "党员状态", "所在党支部"]
    row = [member.name, member.id_number, member.join_date, member.full_date, "正式党员", A11]
    report = run(world, xlsx(header, [row]))
    assert report.errors[0].column == "公民身份号码"
    assert "组织关系转接" in report.errors[0].message
    member.refresh_from_db()
    assert member.organisation == world.branch_a1_2


@pytest.mark.slow
def test_importing_a_1500_row_roster_takes_seconds_not_minutes(world, capsys):
    header = [
        "序号",
        "姓名",
        "性别",
        "公民身份号码",
        "出生日期",
        "学历",
        "入党日期",
        "转正日期",
        "所在党支部",
        "党员状态",
        "联系电话",
        "家庭住址",
    ]
    branches = ["甲一社区第一网格党支部", "甲一社区第二网格党支部"]
    rows = []
    for i in range(1500):
        born = date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
        male = i % 2 == 0
        rows.append(
            [i + 1, f"党员{i:04d}", "男" if male else "女", make_id_number("110102", born, (2 * i + (1 if male else 0)) % 1000),
             born, "大学本科", date(born.year + 25, 7, 1), date(born.year + 26, 7, 1), branches[i % 2], "正式党员",
             f"139{i:08d}", f"北京市东城区和平里街道甲一社区{i}号楼"]
        )  # fmt: skip
    data = xlsx(header, rows, titles=["党员花名册"])
    started = time.perf_counter()
    report = run(world, data)
    elapsed = time.perf_counter() - started
    assert report.errors == [], report.errors[:3]
    assert report.created == 1500
    with capsys.disabled():
        print(f"\n1,500-row roster through import_roster ({connection.vendor}): {elapsed:.2f} s")
    assert elapsed < 60


def test_the_cli_scope_is_a_system_operator(world):
    # the commands act as Scope(user_id=None, is_superuser=True) with no actor: audit shows 系统
    report = import_roster(
        actor=None,
        scope=Scope(user_id=None, is_superuser=True),
        org=world.community_a1,
        data=messy_xlsx(),
        filename="x.xlsx",
        dry_run=False,
        today=TODAY,
    )
    assert report.created == 5
    assert AuditEvent.objects.get(action=AuditAction.IMPORT).actor_name == "系统"
