"""Excel kit: read tables the way real rosters are written, write plain styled workbooks.

Reading copes with what offices actually keep: a merged title row (or several) above the header,
Chinese column names in any order and with notes such as “（必填）”, stray and full-width spaces,
blank rows, 合计/制表人 footers, dates as real dates, serial numbers or typed text, and CSV files
in UTF-8 (with or without BOM) or GB18030/GBK as Chinese Excel saves them. Every problem is a
``TableError`` (whole file) or ``CellError`` (one cell) carrying a specific Chinese message.

Writing (``write_xlsx``) streams with openpyxl's write-only mode: bold frozen header, set column
widths, ID numbers and phones as text cells, dates as real dates shown yyyy-mm-dd.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel
from openpyxl.utils.exceptions import InvalidFileException

DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
HEADER_SCAN_ROWS = 30
# Rows below the data that offices add: totals and signatures; never member rows.
_FOOTER = re.compile(r"^(合计|总计|小计|共计|累计|填表人|制表人|审核人|填报人|负责人|填表日期|制表日期|填报日期|填报单位|制表单位)")
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\u200c\u200d\ufeff]+")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\ufeff")
_BRACKETED = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．／－：", "0123456789./-:")
_DATE_FULL = re.compile(r"^(\d{4})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})\s*[日号]?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[./\-年]\s*(\d{1,2})\s*月?$")
_YEAR_ONLY = re.compile(r"^(\d{4})\s*年?$")
_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.0+)?$")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
YES_WORDS = frozenset({"是", "√", "✓", "✔", "☑", "y", "yes", "true", "1", "有"})
NO_WORDS = frozenset({"否", "×", "✗", "x", "n", "no", "false", "0", "无", "不是", ""})


class TableError(ValueError):
    """The whole file cannot be read: wrong type, too big, no header, unreadable encoding."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CellError(ValueError):
    """One cell's value cannot be understood; ``message`` reads after the column name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class YearMonth:
    """A date written without its day (2001.07). ``months`` holds every reading: a number cell
    2001.1 may have been typed as 2001.1 (January) or 2001.10 (October, the 0 dropped by Excel)."""

    year: int
    months: tuple[int, ...]
    text: str


# ---------------------------------------------------------------------------------------- text


def clean_text(value: Any) -> str:
    """A cell as trimmed text: full-width/no-break spaces and line breaks become one space."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if _ZERO_WIDTH.isdisjoint(text):  # the common case: str.split knows every Unicode space (U+3000, U+00A0)
        return " ".join(text.split())
    return _SPACES.sub(" ", text).strip()


def compact(value: Any) -> str:
    """Text with every kind of space removed (names of people and organisations, codes)."""
    return "".join(clean_text(value).split())


def header_key(value: Any) -> str:
    """A column name as compared: no spaces, no notes in brackets, no required-field stars."""
    text = _BRACKETED.sub("", compact(value))
    return text.strip("*＊※:：")


def is_blank(value: Any) -> bool:
    if type(value) is str and value and value[0].isalnum():  # most cells: text starting with a letter, digit or 汉字
        return False
    return clean_text(value) == ""


# ---------------------------------------------------------------------------------------- dates


def parse_date(value: Any, *, epoch: datetime = CALENDAR_WINDOWS_1900) -> date | YearMonth | None:
    """A date cell as a date; ``YearMonth`` when only year and month are written; None when blank.

    Accepts real Excel dates, Excel serial numbers, 20010701 and text such as 2001.07.01,
    2001-7-1, 2001/7/1, 2001年7月1日 (full-width digits too). Raises ``CellError`` otherwise.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError(f"“{clean_text(value)}”不是日期")
    if isinstance(value, int | float):
        return _date_from_number(value, epoch=epoch)
    text = compact(value).translate(_FULLWIDTH)
    if not text:
        return None
    spaced = clean_text(value).translate(_FULLWIDTH)
    match = _DATE_FULL.match(spaced) or _DATE_FULL.match(text) or _DATE_COMPACT.match(text)
    if match:
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), text)
    match = _YEAR_MONTH.match(text)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        _check_year(year, text)
        if not 1 <= month <= 12:
            raise CellError(f"“{text}”中的月份{month}不存在")
        return YearMonth(year, (month,), text)
    if _YEAR_ONLY.match(text):
        raise CellError(f"“{text}”只有年份，请写成完整的年月日，如{text[:4]}.07.01")
    if _SERIAL_TEXT.match(text):
        return _date_from_number(float(text), epoch=epoch)
    raise CellError(f"“{clean_text(value)}”不是可识别的日期，请写成2001-07-01、2001.07.01或2001年7月1日")


def _date_from_number(value: float, *, epoch: datetime) -> date | YearMonth:
    shown = clean_text(value)
    if float(value).is_integer() and 19000101 <= value <= 21001231:
        text = str(int(value))
        return _make_date(int(text[:4]), int(text[4:6]), int(text[6:]), text)
    if 1900 <= value < 2101 and not float(value).is_integer():
        # 1985.03 typed into a General cell becomes the number 1985.03 (year.month)
        year = int(value)
        fraction = f"{value:.2f}".split(".")[1]
        months = sorted({int(fraction), int(fraction.rstrip("0") or "0")} - {0})
        months = [m for m in months if 1 <= m <= 12]
        if not months:
            raise CellError(f"“{shown}”不是可识别的日期")
        return YearMonth(year, tuple(months), shown)
    if 1900 <= value <= 2100:
        raise CellError(f"“{shown}”只有年份，请写成完整的年月日，如{shown}.07.01")
    if 0 < value < 2958466:
        try:
            moment = from_excel(value, epoch=epoch)
        except (ValueError, OverflowError):
            moment = None
        if isinstance(moment, datetime):
            return moment.date()
        if isinstance(moment, date):
            return moment
    raise CellError(f"“{shown}”不是可识别的日期，请写成2001-07-01、2001.07.01或2001年7月1日")


def _check_year(year: int, text: str) -> None:
    if not 1900 <= year <= 2100:
        raise CellError(f"“{text}”的年份{year}不合理")


def _make_date(year: int, month: int, day: int, text: str) -> date:
    _check_year(year, text)
    if not 1 <= month <= 12:
        raise CellError(f"“{text}”不是有效日期（月份{month}不存在）")
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(f"“{text}”不是有效日期（{year}年{month}月没有{day}日）") from None


def parse_yes_no(value: Any) -> bool:
    """是/否 cells: 是, √, Y, 1 … true; 否, ×, N, 0 or blank false."""
    text = compact(value).lower()
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise CellError(f"“{clean_text(value)}”无法识别，请填写“是”或“否”（或√，空白表示否）")


# ---------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Column:
    """One recognised column: its 0-based position, its header as written, the field it feeds."""

    index: int
    label: str
    field: str


@dataclass
class Table:
    """The data part of a sheet, below its header row, with the columns matched to fields."""

    header_row: int
    columns: dict[str, list[Column]]
    unknown: list[str]
    rows: list[tuple[int, tuple[Any, ...]]]
    epoch: datetime = CALENDAR_WINDOWS_1900
    sheet_title: str = ""
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.columns

    def column_order(self) -> dict[str, int]:
        """Column header -> its position in the sheet, for listing problems as the user reads them."""
        return {c.label: c.index for cols in self.columns.values() for c in cols}

    def label(self, name: str) -> str:
        cols = self.columns.get(name)
        return cols[0].label if cols else ""

    def cell(self, values: tuple[Any, ...], name: str) -> tuple[Column | None, Any]:
        """The first non-blank cell among the columns feeding ``name`` (e.g. 手机 then 联系电话)."""
        cols = self.columns.get(name, [])
        for col in cols:
            value = values[col.index] if col.index < len(values) else None
            if not is_blank(value):
                return col, value
        return (cols[0] if cols else None), None


def read_table(
    data: bytes,
    filename: str,
    *,
    aliases: Mapping[str, str],
    blank_ignores: Iterable[str] = (),
    max_bytes: int | None = None,
    max_rows: int | None = None,
    min_matches: int = 2,
    what: str = "表格",
) -> Table:
    """Find the header row among the first rows by the known column names and return the data.

    ``aliases`` maps column names (any spelling, compared through ``header_key``) to field names.
    A row counts as blank when every recognised column other than ``blank_ignores`` (a pre-filled
    序号) is empty. Raises ``TableError`` with a Chinese message for unusable files.
    """
    keys = {header_key(alias): name for alias, name in aliases.items()}
    ignores = set(blank_ignores)
    if not data:
        raise TableError("上传的文件是空的，请重新选择文件")
    if max_bytes and len(data) > max_bytes:
        raise TableError(f"文件大小为{_size(len(data))}，超过单次导入上限{_size(max_bytes)}，请拆分后分批导入")
    best: Table | None = None
    for title, epoch, rows in _sheets(data, filename, max_rows=max_rows):
        # the first sheet (the active one first) that has a header row is the table
        best = _locate_header(rows, keys, min_matches=min_matches, title=title, epoch=epoch)
        if best is not None:
            break
    if best is None:
        raise TableError(
            f"没有找到{what}的表头行：前{HEADER_SCAN_ROWS}行中没有一行包含足够的已知列名（{_expected_names(aliases)}），请检查是否选错了文件或工作表"
        )
    _keep_data_rows(best, ignores=ignores, keys=keys)
    if max_rows and len(best.rows) > max_rows:
        raise TableError(f"文件有{len(best.rows)}行数据，超过单次导入上限{max_rows}行，请拆分后分批导入")
    return best


def _size(count: int) -> str:
    return f"{count / 1048576:.1f} MB" if count >= 1048576 else f"{max(count // 1024, 1)} KB"


def _expected_names(aliases: Mapping[str, str]) -> str:
    first_by_field: dict[str, str] = {}
    for alias, name in aliases.items():
        first_by_field.setdefault(name, alias)
    return "、".join(list(first_by_field.values())[:8]) + "等"


def _locate_header(
    rows: list[tuple[int, tuple[Any, ...]]], keys: Mapping[str, str], *, min_matches: int, title: str, epoch: datetime
) -> Table | None:
    best_at, best_score = -1, 0
    for position, (_row_number, values) in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = len({keys[k] for k in (header_key(v) for v in values) if k in keys})
        if score > best_score:
            best_at, best_score = position, score
    if best_score < min_matches:
        return None
    header_number, header_values = rows[best_at]
    columns: dict[str, list[Column]] = {}
    unknown: list[str] = []
    for index, value in enumerate(header_values):
        key = header_key(value)
        if not key:
            continue
        if key in keys:
            columns.setdefault(keys[key], []).append(Column(index, clean_text(value), keys[key]))
        else:
            unknown.append(clean_text(value))
    return Table(header_row=header_number, columns=columns, unknown=unknown, rows=rows[best_at + 1 :], epoch=epoch, sheet_title=title)


def _keep_data_rows(table: Table, *, ignores: set[str], keys: Mapping[str, str]) -> None:
    watched = [c.index for name, cols in table.columns.items() if name not in ignores for c in cols]
    # a header repeated further down (a printed roster's page breaks) names the known columns again; a
    # cell can only be one of those names if it is short text (a name costs a regex, so cheap cells first)
    longest = max((len(k) for k in keys), default=0) + 8
    kept: list[tuple[int, tuple[Any, ...]]] = []
    for number, values in table.rows:
        filled = [v for v in values if not is_blank(v)]
        if not filled:
            continue
        first = compact(filled[0])
        if _FOOTER.match(first):
            table.skipped.append((number, f"第 {number} 行为“{clean_text(filled[0])[:20]}”行，已跳过"))
            continue
        if not any(i < len(values) and not is_blank(values[i]) for i in watched):
            continue  # only a pre-filled 序号, or notes outside the known columns
        if sum(1 for v in filled if type(v) is str and len(v) <= longest and not v[0].isdigit() and header_key(v) in keys) >= 3:
            table.skipped.append((number, f"第 {number} 行重复了表头，已跳过"))
            continue
        kept.append((number, values))
    table.rows = kept


def _sheets(data: bytes, filename: str, *, max_rows: int | None) -> Iterator[tuple[str, datetime, list[tuple[int, tuple[Any, ...]]]]]:
    kind = _kind_of(data, filename)
    if kind == "csv":
        yield "", CALENDAR_WINDOWS_1900, _csv_rows(data, max_rows=max_rows)
        return
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise TableError("无法打开该Excel文件，文件可能已损坏；请用Excel打开后“另存为”.xlsx再导入") from exc
    try:
        sheets = list(workbook.worksheets)
        active = workbook.active
        if active in sheets:
            sheets.remove(active)
            sheets.insert(0, active)
        for sheet in sheets:
            if getattr(sheet, "sheet_state", "visible") != "visible" and sheet is not active:
                continue
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # trust the cells, not the file's (often wrong) dimension
            yield sheet.title, workbook.epoch, _xlsx_rows(sheet, max_rows=max_rows)
    finally:
        workbook.close()


def _kind_of(data: bytes, filename: str) -> str:
    name = (filename or "").lower().strip()
    if data.startswith(_XLSX_MAGIC):
        if name.endswith((".csv", ".txt")):
            raise TableError(f"文件“{filename}”的扩展名是CSV，但内容是Excel工作簿，请改为.xlsx后再导入")
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        raise TableError("这是旧版.xls文件或设置了打开密码的Excel文件，请在Excel中取消密码并“另存为”.xlsx格式后再导入")
    if name.endswith((".csv", ".txt")):
        return "csv"
    if name.endswith((".xlsx", ".xlsm")):
        raise TableError(f"文件“{filename}”不是有效的.xlsx文件（可能已损坏，或只是改了扩展名），请用Excel打开后“另存为”.xlsx再导入")
    raise TableError(f"只支持.xlsx或.csv文件，“{filename}”不是这两种格式")


def _too_many(max_rows: int | None, count: int) -> bool:
    # a little room above the limit for title, header and footer rows
    return bool(max_rows) and count > (max_rows or 0) + HEADER_SCAN_ROWS + 10


def _xlsx_rows(sheet: Any, *, max_rows: int | None) -> list[tuple[int, tuple[Any, ...]]]:
    rows: list[tuple[int, tuple[Any, ...]]] = []
    filled = 0
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        if not values or all(v is None for v in values):
            continue
        rows.append((number, tuple(values)))
        filled += 1
        if _too_many(max_rows, filled):
            raise TableError(f"文件的数据超过单次导入上限{max_rows}行，请拆分后分批导入")
    return rows


def decode_csv(data: bytes) -> str:
    """CSV text: UTF-8 with or without BOM, UTF-16 (Excel “Unicode 文本”), else GB18030 (GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TableError("CSV文件的编码无法识别，请在Excel中“另存为”“CSV UTF-8（逗号分隔）”后再导入") from exc
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("CSV文件的编码无法识别，请在Excel中“另存为”“CSV UTF-8（逗号分隔）”后再导入")


def _csv_rows(data: bytes, *, max_rows: int | None) -> list[tuple[int, tuple[Any, ...]]]:
    text = decode_csv(data)
    sample = [line for line in text.splitlines()[:10] if line.strip()]
    delimiter = "\t" if sum(line.count("\t") for line in sample) > sum(line.count(",") for line in sample) else ","
    rows: list[tuple[int, tuple[Any, ...]]] = []
    try:
        # Excel shows one record per row, even when a quoted cell holds a line break
        for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if not any(v.strip() for v in values):
                continue
            rows.append((number, tuple(values)))
            if _too_many(max_rows, len(rows)):
                raise TableError(f"文件的数据超过单次导入上限{max_rows}行，请拆分后分批导入")
    except csv.Error as exc:
        raise TableError(f"CSV文件格式有误（{exc}），请用Excel打开后重新保存") from exc
    return rows


# ---------------------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class ColumnSpec:
    """An output column: ``kind`` "text" (forced text cell), "date" (yyyy-mm-dd) or "general"."""

    label: str
    kind: str = "general"
    width: float = 12


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


def write_xlsx(
    *,
    title: str,
    columns: Sequence[ColumnSpec],
    rows: Iterable[Sequence[Any]],
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
) -> bytes:
    """A workbook streamed in write-only mode: bold frozen header, widths, text and date cells."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        header.append(cell)
    sheet.append(header)
    kinds = [c.kind for c in columns]
    for values in rows:
        sheet.append([_out_cell(sheet, value, kind) for value, kind in zip(values, kinds, strict=False)])
    for name, extra_rows in extra_sheets:
        extra = workbook.create_sheet(name[:31])
        extra.column_dimensions["A"].width = 18
        extra.column_dimensions["B"].width = 80
        for extra_values in extra_rows:
            extra.append([_out_cell(extra, v, "general") for v in extra_values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _out_cell(sheet: Any, value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "date" and isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if kind == "text" or isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"  # never a formula, even when the text starts with "="
        if kind == "text":
            cell.number_format = TEXT_FORMAT
        return cell
    return value


def text_cell(sheet: Any, value: str) -> Any:
    """A forced-text cell for a normal (not write-only) worksheet's ``append``."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.number_format = TEXT_FORMAT
    return cell


def style_header(sheet: Any, columns: Sequence[ColumnSpec]) -> None:
    """Bold header, fill, widths and frozen first row for a normal worksheet already holding row 1."""
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def choice_lookup(choices: Any, extra: dict[str, str], *, accept_values: bool = False) -> dict[str, str]:
    """Map what rosters write (the Chinese label, common variants, optionally the code) to a choice value."""
    mapping = {compact(c.label): c.value for c in choices}
    if accept_values:
        mapping.update({c.value: c.value for c in choices})
    mapping.update({compact(k): v for k, v in extra.items()})
    return mapping
