"""The 中国共产党党员组织关系介绍信 as an A4 PDF (XFER-007): stub (存根), letter and receipt (回执)
on one page, one number on all three; validity in 大写 numerals; the ID number on the letter only.
The arrival receipt (回执 for a paper letter received) uses the same receipt layout."""

from __future__ import annotations

import re
from datetime import date

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from dangjian.core.dates import age_on
from dangjian.core.pdf import PAGE, chinese_font, render

from .models import Arrival, Transfer, TransferLetter
from .workflow import nearest_committee

DIGITS = "零壹贰叁肆伍陆柒捌玖"
WIDTH, HEIGHT = PAGE
MARGIN = 56.0


def upper_numeral(n: int) -> str:
    """A count in 大写 numerals as written on letters: 30 → 叁拾, 15 → 壹拾伍, 105 → 壹佰零伍."""
    if not 0 < n < 1000:
        raise ValueError("validity must be 1..999 days")
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    out = ""
    if hundreds:
        out += DIGITS[hundreds] + "佰"
    if tens:
        out += DIGITS[tens] + "拾"
    elif hundreds and ones:
        out += "零"
    if ones:
        out += DIGITS[ones]
    return out


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


_TOKEN = re.compile(r"[0-9A-Za-z\-]+|.", re.S)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break Chinese text at any character, but never inside a number (ID number, letter number)."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token == "\n":
            lines.append(line)
            line = ""
            continue
        if line and stringWidth(line + token, font, size) > width:
            lines.append(line)
            line = token
        else:
            line += token
    if line:
        lines.append(line)
    return lines


def _paragraph(c: Canvas, text: str, y: float, *, size: float = 12, indent: bool = True, leading: float = 1.75) -> float:
    font = chinese_font()
    c.setFont(font, size)
    body = ("　　" if indent else "") + text
    for line in _wrap(body, font, size, WIDTH - 2 * MARGIN):
        c.drawString(MARGIN, y, line)
        y -= size * leading
    return y


def _title(c: Canvas, text: str, y: float, number: str, *, size: float = 16) -> float:
    font = chinese_font()
    c.setFont(font, size)
    c.drawCentredString(WIDTH / 2, y, text)
    c.setFont(font, 11)
    c.drawRightString(WIDTH - MARGIN, y - 20, f"第 {number} 号")
    return y - 42


def _signature(c: Canvas, org_name: str, on: date | None, y: float, *, seal: str = "（盖章）") -> float:
    font = chinese_font()
    c.setFont(font, 12)
    c.drawRightString(WIDTH - MARGIN, y, f"{org_name}{seal}")
    c.drawRightString(WIDTH - MARGIN, y - 20, cn_date(on) if on else "　　年　　月　　日")
    return y - 40


def _cut(c: Canvas, y: float, label: str) -> None:
    c.saveState()
    c.setDash(4, 3)
    c.setLineWidth(0.6)
    c.line(MARGIN - 20, y, WIDTH - MARGIN + 20, y)
    c.setFont(chinese_font(), 9)
    c.drawCentredString(WIDTH / 2, y + 4, label)
    c.restoreState()


def letter_facts(transfer: Transfer, letter: TransferLetter) -> dict[str, str]:
    member = transfer.member
    status = "预备" if transfer.is_probationary else "正式"
    return {
        "number": letter.number,
        "name": member.name,
        "gender": member.get_gender_display(),
        "age": str(age_on(member.birth_date, letter.issued_on)),
        "ethnicity": member.ethnicity,
        "status": status,
        "id_number": member.id_number,
        "from": transfer.from_org.name,
        "to": transfer.external_org_name or transfer.destination_name,
        "issuer": transfer.approver_org.name,
        "dues": f"{transfer.dues_paid_up_to.year}年{transfer.dues_paid_up_to.month}月",
        "validity": upper_numeral(letter.valid_days),
        "issued": cn_date(letter.issued_on),
    }


def render_letter(transfer: Transfer, letter: TransferLetter) -> bytes:
    facts = letter_facts(transfer, letter)
    probation = ""
    if transfer.is_probationary and transfer.probation_start and transfer.probation_end:
        probation = f"预备期自{cn_date(transfer.probation_start)}至{cn_date(transfer.probation_end)}。"
        if transfer.probation_note:
            probation += transfer.probation_note + "。"
    person = f"{facts['name']}同志（{facts['gender']}，{facts['age']}岁，{facts['ethnicity']}）"

    def draw(c: Canvas) -> None:
        # 存根 (stub): kept by the issuing committee; the receipt is pasted to it when it comes back
        y = _title(c, "中国共产党党员组织关系介绍信（存根）", HEIGHT - 60, facts["number"])
        y = _paragraph(
            c,
            f"{person}系中共{facts['status']}党员，组织关系由{facts['from']}转到{facts['to']}。"
            f"{probation}党费已交到{facts['dues']}。有效期{facts['validity']}天。",
            y,
        )
        y = _signature(c, facts["issuer"], letter.issued_on, y - 4, seal="")
        seam = y - 6
        _cut(c, seam, "（骑缝处加盖公章）")
        # the letter itself: the only part that carries the ID number
        y = _title(c, "中国共产党党员组织关系介绍信", seam - 34, facts["number"], size=18)
        c.setFont(chinese_font(), 12)
        c.drawString(MARGIN, y, f"{facts['to']}：")
        y -= 24
        y = _paragraph(
            c,
            f"兹介绍{person}，系中共{facts['status']}党员，公民身份号码{facts['id_number']}，由{facts['from']}前往你处，"
            f"请转接组织关系。{probation}该同志党费已交到{facts['dues']}。",
            y,
        )
        y = _paragraph(c, f"（有效期{facts['validity']}天）", y, indent=False)
        y = _signature(c, facts["issuer"], letter.issued_on, y - 4)
        receipt_top = y - 8
        _cut(c, receipt_top, "（回执：接收党组织填写后寄回开具介绍信的党组织）")
        # 回执 (receipt)
        y = _title(c, "中国共产党党员组织关系介绍信回执", receipt_top - 34, facts["number"])
        c.setFont(chinese_font(), 12)
        c.drawString(MARGIN, y, f"{facts['issuer']}：")
        y -= 24
        y = _paragraph(c, f"{facts['name']}同志的党员组织关系已转达我处，特此回执。", y)
        _signature(c, "接收党组织", None, y - 4)
        c.setFont(chinese_font(), 8)
        c.drawString(MARGIN, 28, f"开具日期{facts['issued']}　第{letter.print_count or 1}次打印　党建服务平台")

    return render(draw, title=f"组织关系介绍信 {letter.number}")


def render_arrival_receipt(arrival: Arrival) -> bytes:
    """回执 for a member who arrived with a paper letter: sent back to the issuing organisation."""

    def draw(c: Canvas) -> None:
        y = _title(c, "中国共产党党员组织关系介绍信回执", HEIGHT - 80, arrival.letter_number)
        c.setFont(chinese_font(), 12)
        c.drawString(MARGIN, y, f"{arrival.from_org_name}：")
        y -= 24
        y = _paragraph(c, f"{arrival.member.name}同志的党员组织关系已于{cn_date(arrival.arrived_on)}转达我处，特此回执。", y)
        # XFER-009: the receipt goes back from the basic committee above the receiving branch
        committee = nearest_committee(arrival.organisation, authority=False)
        c.drawString(MARGIN, y - 4, f"接收党支部：{arrival.organisation.name}")
        _signature(c, committee.name, arrival.arrived_on, y - 36)

    return render(draw, title=f"组织关系介绍信回执 {arrival.letter_number}")
