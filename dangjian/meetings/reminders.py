"""重点工作提醒单 (LIFE-017): on the 1st of each month every branch secretary gets the month's due and
overdue items (inbox + SMS/WeChat per preferences) with a link to the printable A4 PDF.

The daily job runs every morning and acts only on the first day of a month; each branch's notice
carries the dedup key ``life-017:<branch>:<yyyy-mm>``, so a rerun or a catch-up sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import reverse
from reportlab.pdfgen.canvas import Canvas

from dangjian.core.pdf import chinese_font, render
from dangjian.notifications.choices import MessageKind
from dangjian.notifications.services import notify
from dangjian.organisations.models import Organisation

from . import rules
from .choices import MeetingKind
from .compliance import Period, compute_sheet, index_date, month_index
from .notices import secretary_recipients
from .services import lecture_months


@dataclass
class Item:
    rule_id: str
    kind_label: str
    text: str
    deadline: date | None = None


@dataclass
class ReminderSheet:
    branch_id: int
    branch_name: str
    month: date  # first day of the month
    due: list[Item]
    overdue: list[Item]

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def summary(self) -> str:
        return rules.LIFE_017.format(month=self.month_label, due=len(self.due), overdue=len(self.overdue))


def sheets_for(root: Organisation, month: date) -> list[ReminderSheet]:
    """The reminder sheet of every branch under ``root`` for the month starting ``month`` (as of its 1st)."""
    months = lecture_months()
    current = compute_sheet(root, Period("year", month.year), today=month, lecture_months=months)
    earlier = compute_sheet(root, Period("year", month.year - 1), today=month, lecture_months=months) if month.month == 1 else None
    previous = {row.id: row for row in earlier.rows} if earlier else {}
    this_month = month_index(month)
    result = []
    for row in current.rows:
        due: list[Item] = []
        overdue: list[Item] = []
        for source in (previous.get(row.id), row):
            if source is None:
                continue
            for cell in source.cells:
                label = MeetingKind(cell.kind).label
                for block in cell.blocks:
                    if block.status == "overdue":
                        overdue.append(Item(cell.rule.id, label, block.message))
                    elif block.status == "due" and source is row:
                        deadline = _block_end(cell.kind, block.label, this_month, months)
                        due.append(Item(cell.rule.id, label, block.message, deadline))
        result.append(ReminderSheet(row.id, row.name, month, due, overdue))
    return result


def _block_end(kind: str, label: str, this_month: int, lecture: int) -> date:
    months = lecture if kind == MeetingKind.PARTY_LECTURE else rules.FREQUENCY_MONTHS[kind]
    year, month0 = divmod(this_month, 12)
    first = year * 12 + (month0 // months) * months
    return index_date(first + months - 1, end=True)


def sheet_for_branch(branch: Organisation, month: date) -> ReminderSheet:
    return next(s for s in sheets_for(branch, month) if s.branch_id == branch.pk)


def draw_sheet(sheet: ReminderSheet, *, parent_name: str = "") -> bytes:
    """The A4 reminder sheet: what is due this month and what is overdue, each with its rule ID."""

    def draw(canvas: Canvas) -> None:
        font = chinese_font()
        width, height = canvas._pagesize
        y = height - 60

        def line(text: str, size: int = 11, indent: int = 50, gap: int = 18) -> None:
            nonlocal y
            if y < 70:
                canvas.showPage()
                y = height - 60
            canvas.setFont(font, size)
            canvas.drawString(indent, y, text)
            y -= gap

        canvas.setFont(font, 18)
        canvas.drawCentredString(width / 2, y, "重点工作提醒单")
        y -= 30
        line(f"党支部：{sheet.branch_name}", 12)
        if parent_name:
            line(f"上级党组织：{parent_name}", 12)
        line(f"月份：{sheet.month_label}", 12)
        y -= 6
        line(f"一、本月应完成（{len(sheet.due)}项）", 13, gap=22)
        for n, item in enumerate(sheet.due, 1):
            deadline = f"，{item.deadline:%m月%d日}前" if item.deadline else ""
            for part in _wrap(f"{n}. 【{item.kind_label}】{item.text}{deadline}", 40):
                line(part, 10.5, indent=64)
        if not sheet.due:
            line("无", 10.5, indent=64)
        y -= 6
        line(f"二、逾期未完成（{len(sheet.overdue)}项）", 13, gap=22)
        for n, item in enumerate(sheet.overdue, 1):
            for part in _wrap(f"{n}. 【{item.kind_label}】{item.text}", 40):
                line(part, 10.5, indent=64)
        if not sheet.overdue:
            line("无", 10.5, indent=64)
        y -= 20
        line("说明：不作硬性要求的党员（年老、体弱、患病）和流动党员不计入应到人数（LIFE-010、LIFE-011）。", 9)
        line("本提醒单由党建服务平台根据已提交的组织生活记录自动生成。", 9)

    return render(draw, title=f"{sheet.branch_name}{sheet.month_label}重点工作提醒单")


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def send_monthly_reminders(*, day: date) -> dict[str, Any]:
    """Daily job: on the 1st of a month, notify every branch secretary of the month's reminder sheet."""
    if day.day != 1:
        return {"day": day.isoformat(), "skipped": "not the first day of a month"}
    sent = branches = 0
    for root in Organisation.objects.filter(depth=1):
        for sheet in sheets_for(root, day):
            recipients = secretary_recipients(sheet.branch_id, on=day)
            if not recipients:
                continue
            branches += 1
            link = reverse("meetings:reminder_pdf", kwargs={"org_id": sheet.branch_id}) + f"?month={day:%Y-%m}"
            messages = notify(
                recipients=recipients,
                kind=MessageKind.TASK_REMINDER,
                context={
                    "task": f"{sheet.month_label}重点工作提醒单：本月应完成{len(sheet.due)}项，逾期未完成{len(sheet.overdue)}项",
                    "deadline": f"{index_date(month_index(day), end=True):%m月%d日}",
                    "org": sheet.branch_name,
                },
                dedup_key=f"life-017:{sheet.branch_id}:{day:%Y-%m}",
                link=link,
            )
            sent += len(messages)
    return {"day": day.isoformat(), "branches": branches, "messages": sent}
