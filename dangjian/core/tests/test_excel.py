"""The Excel kit: dates and cells as offices write them, header search, encodings, limits, writing."""

from __future__ import annotations

import codecs
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904, to_excel

from dangjian.core.excel import (
    CellError,
    ColumnSpec,
    TableError,
    YearMonth,
    clean_text,
    decode_csv,
    header_key,
    parse_date,
    parse_yes_no,
    read_table,
    write_xlsx,
)

ALIASES = {"姓名": "name", "公民身份号码": "id", "身份证号": "id", "入党日期": "joined", "序号": "seq"}


def workbook_bytes(rows, *, merge_first=False) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if merge_first:
        ws.merge_cells("A1:D1")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    "value",
    [
        "2001.07.01",
        "2001.7.1",
        "2001-7-1",
        "2001-07-01",
        "2001/7/1",
        "2001年7月1日",
        "2001年07月01日",
        "2001 年 7 月 1 日",
        "20010701",
        "２００１．０７．０１",
        "2001-07-01 00:00:00",
        " 2001.07.01\u3000",
        datetime(2001, 7, 1, 0, 0),
        date(2001, 7, 1),
        20010701,
        int(to_excel(datetime(2001, 7, 1))),
        float(to_excel(datetime(2001, 7, 1))),
        str(int(to_excel(datetime(2001, 7, 1)))),
    ],
)
def test_every_common_way_of_writing_a_date_reads_as_that_date(value):
    assert parse_date(value) == date(2001, 7, 1)


def test_a_serial_number_follows_the_workbooks_1904_calendar():
    assert parse_date(to_excel(datetime(2001, 7, 1), epoch=CALENDAR_MAC_1904), epoch=CALENDAR_MAC_1904) == date(2001, 7, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2001.7", YearMonth(2001, (7,), "2001.7")),
        ("2001年07月", YearMonth(2001, (7,), "2001年07月")),
        (1985.03, YearMonth(1985, (3,), "1985.03")),
    ],
)
def test_a_date_without_its_day_is_a_year_and_month(value, expected):
    assert parse_date(value) == expected


def test_a_number_like_2001_1_may_mean_january_or_october():
    # Excel drops the trailing zero of 2001.10 typed into a General cell
    assert parse_date(2001.1).months == (1, 10)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2001.02.30", "2月没有30日"),
        ("2001.13.01", "月份13不存在"),
        ("2001", "只有年份"),
        (2001, "只有年份"),
        ("1850.01.01", "年份1850不合理"),
        ("去年七月", "不是可识别的日期"),
        (True, "不是日期"),
    ],
)
def test_unreadable_dates_say_what_is_wrong(value, fragment):
    with pytest.raises(CellError) as exc:
        parse_date(value)
    assert fragment in exc.value.message


@pytest.mark.parametrize("value", [None, "", "  ", "\u3000"])
def test_a_blank_date_cell_is_none(value):
    assert parse_date(value) is None


# ------------------------------------------------------------------------------------------ cells


def test_clean_text_trims_full_width_and_no_break_spaces_and_keeps_whole_numbers_whole():
    assert clean_text("\u3000张\u00a0 伟 ") == "张 伟"
    assert clean_text(13912345678.0) == "13912345678"
    assert clean_text(None) == ""


def test_header_key_ignores_spaces_notes_and_required_stars():
    assert header_key("姓　名") == "姓名"
    assert header_key("*公民身份号码（18位）") == "公民身份号码"
    assert header_key("入党日期(yyyy-mm-dd)：") == "入党日期"


@pytest.mark.parametrize(
    ("value", "expected"), [("是", True), ("√", True), ("Y", True), ("1", True), ("否", False), ("", False), (None, False), ("×", False)]
)
def test_yes_no_cells(value, expected):
    assert parse_yes_no(value) is expected


def test_an_unknown_yes_no_value_is_refused():
    with pytest.raises(CellError):
        parse_yes_no("也许")


# ------------------------------------------------------------------------------------------ reading


def test_the_header_is_found_below_a_merged_title_and_the_footer_and_blank_rows_are_dropped():
    data = workbook_bytes(
        [
            ["某社区党员花名册"],
            ["填报单位：某社区"],
            ["序号", "姓 名", "身份证号", "入党日期", "籍贯"],
            [1, "张三", "110101198001010011", "2001.07.01", "山东"],
            [],
            [2],
            [2, "李四", "110101198001010029", "2002.07.01", None],
            ["姓名", "身份证号", "入党日期"],
            ["合计：2人"],
            ["填表人：王五"],
        ],
        merge_first=True,
    )
    table = read_table(data, "名册.xlsx", aliases=ALIASES, blank_ignores=("seq",))
    assert table.header_row == 3
    assert [number for number, _values in table.rows] == [4, 7]
    assert table.unknown == ["籍贯"]
    assert table.label("id") == "身份证号"
    assert [number for number, _message in table.skipped] == [8, 9, 10]


def test_the_active_sheet_is_read_first_and_other_sheets_are_searched():
    wb = Workbook()
    wb.active.append(["说明"])
    data_sheet = wb.create_sheet("名单")
    data_sheet.append(["姓名", "身份证号"])
    data_sheet.append(["张三", "110101198001010011"])
    out = io.BytesIO()
    wb.save(out)
    table = read_table(out.getvalue(), "a.xlsx", aliases=ALIASES)
    assert table.sheet_title == "名单" and len(table.rows) == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_files_are_decoded_whatever_excel_saved_them_as(encoding):
    text = "姓名,身份证号\r\n欧阳春,110101198001010011\r\n"
    if encoding == "utf-16":
        text = text.replace(",", "\t")
    data = text.encode(encoding)
    table = read_table(data, "名册.csv", aliases=ALIASES)
    assert table.rows[0][1] == ("欧阳春", "110101198001010011")


def test_an_undecodable_csv_is_refused():
    with pytest.raises(TableError):
        decode_csv(codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone surrogate


@pytest.mark.parametrize(
    ("data", "name", "fragment"),
    [
        (b"PK\x03\x04rest", "a.csv", "内容是Excel工作簿"),
        (b"PK\x03\x04broken", "a.xlsx", "无法打开该Excel文件"),
        (b"\xd0\xcf\x11\xe0rest", "a.xls", "旧版.xls"),
        (b"hello", "a.docx", "只支持.xlsx或.csv"),
    ],
)
def test_files_of_other_types_are_refused(data, name, fragment):
    with pytest.raises(TableError) as exc:
        read_table(data, name, aliases=ALIASES)
    assert fragment in exc.value.message


def test_a_file_above_the_row_limit_is_refused_while_reading():
    rows = [["姓名", "身份证号"]] + [[f"人{i}", str(i)] for i in range(200)]
    with pytest.raises(TableError) as exc:
        read_table(workbook_bytes(rows), "a.xlsx", aliases=ALIASES, max_rows=100)
    assert "100行" in exc.value.message


def test_a_sheet_without_known_columns_has_no_header():
    with pytest.raises(TableError) as exc:
        read_table(workbook_bytes([["甲", "乙"], [1, 2]]), "a.xlsx", aliases=ALIASES)
    assert "表头行" in exc.value.message


# ------------------------------------------------------------------------------------------ writing


def test_written_workbooks_keep_ids_as_text_and_dates_as_dates():
    columns = [ColumnSpec("身份证号", "text", 20), ColumnSpec("入党日期", "date", 12), ColumnSpec("备注")]
    data = write_xlsx(title="名册", columns=columns, rows=[["110101198001010011", date(2001, 7, 1), "=1+1"]])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b and ws.column_dimensions["A"].width == 20
    assert (ws["A2"].value, ws["A2"].data_type, ws["A2"].number_format) == ("110101198001010011", "s", "@")
    assert ws["B2"].value == datetime(2001, 7, 1) and ws["B2"].number_format == "yyyy-mm-dd"
    assert (ws["C2"].value, ws["C2"].data_type) == ("=1+1", "s")
