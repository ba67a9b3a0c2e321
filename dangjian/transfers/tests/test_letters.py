"""The introduction letter PDF (XFER-007): fields by text extraction, embedded Chinese font, A4,
one number on stub, letter and receipt, ID number only on the letter, prints counted."""

from __future__ import annotations

import io
import time
from datetime import date

import pytest
from pypdf import PdfReader

from dangjian.core.rules import RuleViolation
from dangjian.members.models import Member
from dangjian.transfers import services
from dangjian.transfers.choices import Action, TransferState
from dangjian.transfers.letters import render_letter, upper_numeral
from dangjian.transfers.models import LetterPrint

from .helpers import authority_on_street_a, place, scope_of

ISSUE_DAY = date(2026, 11, 20)


@pytest.fixture
def issued(world):
    authority_on_street_a(world)
    transfer = place(world, TransferState.COMMITTEE_APPROVED, internal=False)
    return services.act(
        actor=world.bob,
        scope=scope_of(world.bob),
        transfer_id=transfer.pk,
        action=Action.ISSUE_LETTER,
        values={"valid_days": 30},
        today=ISSUE_DAY,
    )


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


def test_XFER_007_upper_numerals():
    """XFER-007: validity written in 大写 numerals."""
    assert [upper_numeral(n) for n in (30, 90, 15, 7, 105, 110)] == ["叁拾", "玖拾", "壹拾伍", "柒", "壹佰零伍", "壹佰壹拾"]


def test_XFER_007_letter_fields_font_and_page(world, issued):
    """XFER-007: the PDF names everything the letter must carry, one number thrice, the ID once."""
    letter = issued.letters.get()
    member = Member.objects.get(pk=world.dave_member.pk)
    started = time.perf_counter()
    pdf = render_letter(issued, letter)
    elapsed_ms = (time.perf_counter() - started) * 1000
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert b"/FontFile2" in pdf  # the TrueType glyphs are embedded (no system font needed)
    text = _text(pdf)
    for part in ("存根", "中国共产党党员组织关系介绍信", "回执"):
        assert part in text
    assert text.count(letter.number) == 3
    assert text.count(member.id_number) == 1  # on the letter only
    for field in (
        member.name,
        member.get_gender_display(),
        "正式党员",
        "甲一社区第一网格党支部",
        "某省某市某区某街道某社区党委",
        "甲街道党工委",
        "2026年10月",
        "叁拾",
        "2026年11月20日",
        member.ethnicity,
    ):
        assert field in text, field
    print(f"letter render {elapsed_ms:.0f} ms, {len(pdf)} bytes")


def test_XFER_007_prints_are_logged_and_counted(world, issued):
    """XFER-007: every print adds one to the count and one log row; only the approving committee prints."""
    for copy in (1, 2):
        pdf, letter = services.print_letter(actor=world.bob, scope=scope_of(world.bob), transfer=issued)
        assert letter.print_count == copy
        assert f"第{copy}次打印" in _text(pdf)
    assert LetterPrint.objects.filter(letter=letter).count() == 2
    with pytest.raises(RuleViolation):
        services.print_letter(actor=world.charlie, scope=scope_of(world.charlie), transfer=issued)


def test_XFER_012_probationary_letter_names_the_probation_dates(world):
    """XFER-012: a probationary member's letter says 预备 and carries the probation period."""
    authority_on_street_a(world)
    Member.objects.filter(pk=world.dave_member.pk).update(status="probationary")
    transfer = place(world, TransferState.COMMITTEE_APPROVED, internal=False)
    transfer.is_probationary = True
    transfer.probation_start, transfer.probation_end = date(2026, 3, 1), date(2027, 3, 1)
    transfer.save()
    done = services.act(
        actor=world.bob, scope=scope_of(world.bob), transfer_id=transfer.pk, action=Action.ISSUE_LETTER, values={}, today=ISSUE_DAY
    )
    text = _text(render_letter(done, done.letters.get()))
    assert "预备党员" in text and "2026年3月1日至2027年3月1日" in text


def test_arrival_receipt_pdf(world):
    from dangjian.transfers.letters import render_arrival_receipt
    from dangjian.transfers.models import Arrival

    arrival = Arrival.objects.create(
        member=world.dave_member,
        organisation=world.branch_a1_1,
        letter_number="2026-0099",
        from_org_name="外省某市某区某社区党委",
        scope="other_province",
        change_type_code="141",
        arrived_on=date(2026, 11, 2),
    )
    text = _text(render_arrival_receipt(arrival))
    assert "回执" in text and "2026-0099" in text and "外省某市某区某社区党委" in text and "甲一社区党委" in text
