"""Roster files built in code, the way offices write them (no binary fixtures in the repository)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook


def xlsx(
    header: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    titles: Sequence[str] = (),
    merge_titles: bool = True,
    footer: Sequence[Sequence[Any]] = (),
    sheet_title: str = "花名册",
    text_columns: Sequence[int] = (),
) -> bytes:
    """A workbook: optional (merged) title rows, the header, the rows (None = blank row), a footer.

    ``text_columns`` (0-based) are written as text cells, as a careful secretary would for ID numbers.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    width = len(header)
    for title in titles:
        sheet.append([title])
        if merge_titles and title:
            sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width)
    sheet.append(list(header))
    for row in rows:
        if row is None:
            sheet.append([])
            continue
        sheet.append(list(row))
        for index in text_columns:
            cell = sheet.cell(row=sheet.max_row, column=index + 1)
            if cell.value is not None:
                cell.value, cell.data_type, cell.number_format = str(cell.value), "s", "@"
    for row in footer:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(
    header: Sequence[Any], rows: Sequence[Sequence[Any] | None], *, encoding: str = "utf-8-sig", titles: Sequence[str] = ()
) -> bytes:
    """A CSV as Excel saves it: ``encoding`` "gb18030" for 中文 Excel's default, "utf-8-sig" for “CSV UTF-8”."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for title in titles:
        writer.writerow([title])
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([] if row is None else ["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


def read_sheet(data: bytes, *, sheet: str | None = None) -> list[list[Any]]:
    """The cell values of a workbook's (first) sheet, row by row."""
    workbook = load_workbook(io.BytesIO(data))
    ws = workbook[sheet] if sheet else workbook.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def rewrite_cells(data: bytes, changes: dict[tuple[int, int], Any]) -> bytes:
    """A copy of a workbook with some cells of its first sheet changed: {(row, column 1-based): value}."""
    workbook = load_workbook(io.BytesIO(data))
    ws = workbook.worksheets[0]
    for (row, column), value in changes.items():
        ws.cell(row=row, column=column).value = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def append_rows(data: bytes, rows: Sequence[Sequence[Any]], *, text_columns: Sequence[int] = ()) -> bytes:
    """A copy of a workbook with rows appended to its first sheet (filling in a template)."""
    workbook = load_workbook(io.BytesIO(data))
    ws = workbook.worksheets[0]
    for row in rows:
        ws.append(list(row))
        for index in text_columns:
            cell = ws.cell(row=ws.max_row, column=index + 1)
            if cell.value is not None:
                cell.value, cell.data_type = str(cell.value), "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
