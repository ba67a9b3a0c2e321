"""Server-side masks (PII-004) and the log filter that masks what slips into a log."""

import logging

import pytest
from django.conf import settings

from dangjian.core.masking import MaskPiiLogFilter, is_masked, mask_address, mask_id_number, mask_phone, mask_text

ID = "11010519491231002X"
MOBILE = "13812341234"


def test_PII_004_id_number_shows_first_6_and_last_4_with_8_stars():
    # given the DOMAIN.md example number
    # when masked
    # then 110105********002X: the birth date (digits 7–14) is hidden
    assert mask_id_number(ID) == "110105********002X"
    assert "19491231" not in mask_id_number(ID)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("", ""),
        (None, ""),
        ("12345", "*****"),
        ("123456789", "*********"),  # fewer than 10: everything hidden
        ("1234567890", "1********0"),  # 10: still 8 hidden, never the old 6+0+4 (all shown)
        ("110105491231002", "1101********002"),  # legacy 15 digits: birth date YYMMDD hidden
        ("11010519491231002", "1101*********1002"),  # 17: one digit short
        ("11010519491231002XX", "11010**********02XX"),  # 19: one too many
    ],
)
def test_PII_004_id_numbers_of_odd_lengths_never_show_more_than_half(value, masked):
    # given a value that is not 18 characters long
    # when masked
    result = mask_id_number(value)
    # then the expected mask, same length, at least 8 (or all) characters hidden
    assert result == masked
    if value:
        assert len(result) == len(value)
        assert result.count("*") >= min(8, len(value))
        assert result.count("*") * 2 >= len(value)


def test_PII_004_mobile_shows_first_3_and_last_4():
    assert mask_phone(MOBILE) == "138****1234"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("", ""),
        (None, ""),
        ("01012345678", "010****5678"),  # 11 digits with area code: masked like a mobile (3+4+4)
        ("010123456789", "********6789"),  # 12 characters: last 4 only
        ("12345678", "****5678"),  # 8: exactly half shown
        ("1234567", "*****67"),  # 7: a third shown
        ("12345", "****5"),
        ("1234", "****"),  # 4 or fewer: nothing shown
        ("1", "*"),
    ],
)
def test_PII_004_other_phone_numbers_never_show_more_than_half(value, masked):
    # given a phone value that is not a mobile
    # when masked
    result = mask_phone(value)
    # then the expected mask; other than the 11-digit 3+4+4 form, at least half hidden
    assert result == masked
    if value and len(value) != 11:
        assert result.count("*") * 2 >= len(value)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("北京市东城区和平里街道和平社区3号楼2单元101", "北京市东城区和平里街道和平社区****"),
        # 社区 is preferred to an earlier 村 inside a place name (中关村)
        ("北京市海淀区中关村街道科学城社区5号楼", "北京市海淀区中关村街道科学城社区****"),
        ("某某县某某镇某某村3组12号", "某某县某某镇某某村****"),
        ("北京市东城区和平里街道12号院", "北京市东城区和平里街道****"),
        ("北京市东城区和平路5号", "北京市东城区****"),
        ("阳光小区5号楼", "阳光小区****"),
        ("3号楼2单元101", "****"),  # no level word: no house number shown
        ("某某大院东侧平房", "某某****"),
        ("和平社区", "和****"),  # nothing below the community: still not shown whole
        ("", ""),
        (None, ""),
    ],
)
def test_PII_004_address_is_cut_to_street_or_community(value, masked):
    # given an address
    # when masked
    # then only the street/community part remains, followed by ****
    assert mask_address(value) == masked


def test_PII_004_is_masked_tells_masked_from_plain_values():
    assert is_masked(mask_id_number(ID))
    assert not is_masked(ID)
    assert not is_masked("")


def test_PII_004_mask_text_masks_numbers_inside_chinese_text_and_leaves_other_digits():
    # given free text with an ID number and a mobile glued to Chinese characters, and an order number
    text = f"身份证号{ID}手机{MOBILE}，订单20261128000001"
    # when masked
    masked = mask_text(text)
    # then both are masked, the 14-digit order number is untouched
    assert masked == "身份证号110105********002X手机138****1234，订单20261128000001"


def test_PII_004_mask_text_leaves_longer_digit_runs_alone():
    # given a 20-digit number (not an ID) and a 12-digit number (not a mobile)
    # then nothing is changed
    assert mask_text("11010519491231002X00") == "11010519491231002X00"
    assert mask_text("138123412345") == "138123412345"


def test_PII_004_log_filter_masks_id_number_and_phone_in_a_log_record(caplog):
    # given a logger whose records pass through the PII filter (as the configured handler does)
    caplog.handler.addFilter(MaskPiiLogFilter())
    logger = logging.getLogger("dangjian.tests.masking")
    # when a message with an ID number and a mobile, as format arguments, is logged
    with caplog.at_level(logging.INFO, logger="dangjian.tests.masking"):
        logger.info("导入失败：身份证号%s，电话%s", ID, MOBILE)
    # then the captured text holds only masked values
    assert ID not in caplog.text and MOBILE not in caplog.text
    assert "110105********002X" in caplog.text and "138****1234" in caplog.text
    assert caplog.records[0].getMessage() == "导入失败：身份证号110105********002X，电话138****1234"


def test_PII_004_log_filter_masks_a_traceback_carrying_an_id_number(caplog):
    # given the PII filter on the handler
    caplog.handler.addFilter(MaskPiiLogFilter())
    logger = logging.getLogger("dangjian.tests.masking")
    # when an exception whose message holds an ID number is logged with its traceback
    with caplog.at_level(logging.ERROR, logger="dangjian.tests.masking"):
        try:
            raise ValueError(f"bad row {ID}")
        except ValueError:
            logger.exception("row failed")
    # then the formatted traceback is masked too
    formatted = caplog.handler.format(caplog.records[0])
    assert "ValueError" in formatted
    assert ID not in formatted and "110105********002X" in formatted


def test_PII_004_every_configured_log_handler_carries_the_mask_filter():
    # given the LOGGING setting
    logging_conf = settings.LOGGING
    # then the filter is declared and every handler uses it
    assert logging_conf["filters"]["mask_pii"]["()"] == "dangjian.core.masking.MaskPiiLogFilter"
    for name, handler in logging_conf["handlers"].items():
        assert "mask_pii" in handler.get("filters", []), name
