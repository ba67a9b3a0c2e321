from datetime import date

import pytest

from dangjian.core.idnumber import IdNumberError, make_id_number, parse_id_number
from dangjian.core.masking import mask_address, mask_id_number, mask_phone


def test_PII_005_accepts_domain_examples_with_x_and_digit_check():
    # given the two worked examples of DOMAIN.md §10
    female = parse_id_number("11010519491231002X")
    male = parse_id_number("440524188001010014")
    # then both parse, with birth date and sex from the number
    assert (female.birth_date, female.gender) == (date(1949, 12, 31), "female")
    assert (male.birth_date, male.gender) == (date(1880, 1, 1), "male")


def test_PII_005_lower_case_x_and_spaces_are_normalised():
    assert parse_id_number(" 11010519491231002x\u3000").value == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "校验位不正确"),
        ("11010519491331002X", "不是有效日期"),
        ("1101051949123100", "应为18位"),
        ("110105491231002", "15位旧号码"),
        ("11010519491231A02X", "前17位须为数字"),
        (make_id_number("110105", date(2030, 1, 1), 1), "不合理"),
    ],
)
def test_PII_005_refuses_malformed_numbers_with_the_reason(raw, reason):
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(raw, today=date(2026, 11, 28))
    assert reason in exc.value.reason


def test_PII_004_masks_id_phone_and_address():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_address("北京市东城区和平里街道和平社区3号楼2单元101") == "北京市东城区和平里街道和平社区****"
