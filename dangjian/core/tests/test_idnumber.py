"""公民身份号码 (GB 11643): structure, checksum, birth date, sex (PII-005, PII-006)."""

from datetime import date

import pytest

from dangjian.core.idnumber import (
    CHECK_CHARS,
    WEIGHTS,
    IdNumberError,
    check_digit,
    make_id_number,
    normalise_id_number,
    parse_id_number,
)

TODAY = date(2026, 11, 28)


def _with_check(first17: str) -> str:
    return first17 + check_digit(first17)


# --- PII-005: structure and checksum ------------------------------------------------------------


def test_PII_005_accepts_domain_examples_with_x_and_digit_check():
    # given the two worked examples of DOMAIN.md §10 (PII-005)
    # when they are parsed
    female = parse_id_number("11010519491231002X", today=TODAY)
    male = parse_id_number("440524188001010014", today=TODAY)
    # then both parse, with birth date and sex from the number
    assert (female.birth_date, female.gender) == (date(1949, 12, 31), "female")
    assert (male.birth_date, male.gender) == (date(1880, 1, 1), "male")


def test_PII_005_weights_are_powers_of_two_mod_11_and_the_whole_sum_is_1_mod_11():
    # given the weights and check characters of GB 11643
    # then weight i is 2^(18-i) mod 11, and every valid number's full weighted sum ≡ 1 (mod 11)
    assert list(WEIGHTS) == [pow(2, 18 - i, 11) for i in range(1, 18)]
    for number in ("11010519491231002X", "440524188001010014", make_id_number("320102", date(1990, 5, 17), 123)):
        digits = [10 if c == "X" else int(c) for c in number]
        assert (sum(d * w for d, w in zip(digits, (*WEIGHTS, 1), strict=True)) % 11) == 1
    assert CHECK_CHARS[2] == "X"


def test_PII_005_lower_case_x_full_width_and_spaces_are_normalised():
    # given a number typed with a lower-case x, a full-width space and an Excel apostrophe
    # when normalised and parsed
    # then it is the canonical upper-case number
    assert parse_id_number(" 11010519491231002x\u3000", today=TODAY).value == "11010519491231002X"
    assert normalise_id_number("'１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "校验位不正确"),  # checksum: X expected, 1 given
        ("11010519491231002Y", "第18位须为数字或X"),
        ("X10105194912310021", "前17位须为数字"),
        ("11010519491331002X", "不是有效日期"),  # month 13
        ("1101051949123100", "应为18位"),
        ("1101051949123100211", "应为18位"),
        ("110105491231002", "15位旧号码"),
        ("11010519491231A02X", "前17位须为数字"),
        ("", "应为18位，实际为0位"),
    ],
)
def test_PII_005_refuses_malformed_numbers_with_the_reason(raw, reason):
    # given a malformed number
    # when parsed
    # then the Chinese reason names what is wrong
    with pytest.raises(IdNumberError) as exc:
        parse_id_number(raw, today=TODAY)
    assert reason in exc.value.reason


def test_PII_005_checksum_x_is_required_where_the_sum_asks_for_it_and_refused_elsewhere():
    # given a body whose check character is X and one whose check character is a digit
    body_x = "11010519491231002"
    body_digit = "44052418800101001"
    assert check_digit(body_x) == "X" and check_digit(body_digit) == "4"
    # then X is accepted only where it is the check character
    assert parse_id_number(body_x + "X", today=TODAY).value.endswith("X")
    with pytest.raises(IdNumberError, match="校验位"):
        parse_id_number(body_digit + "X", today=TODAY)
    with pytest.raises(IdNumberError, match="校验位"):
        parse_id_number(body_x + "0", today=TODAY)


def test_PII_005_every_wrong_check_character_is_refused():
    # given a valid number
    good = make_id_number("110105", date(1985, 3, 9), 11)
    # when the check character is replaced by each other character
    # then each is refused: the checksum detects every single-character error at position 18
    for char in "0123456789X":
        if char == good[-1]:
            continue
        with pytest.raises(IdNumberError, match="校验位"):
            parse_id_number(good[:-1] + char, today=TODAY)


def test_PII_005_leap_day_is_a_date_only_in_leap_years():
    # given 29 February in a leap year and in a common year (with correct check characters)
    leap = _with_check("11010520000229001")
    common = _with_check("11010519990229001")
    # then only the leap-year one is a valid birth date
    assert parse_id_number(leap, today=TODAY).birth_date == date(2000, 2, 29)
    with pytest.raises(IdNumberError, match="不是有效日期"):
        parse_id_number(common, today=TODAY)


def test_PII_005_birth_date_today_is_accepted_and_tomorrow_refused():
    # given numbers for someone born today and someone born tomorrow
    born_today = make_id_number("110105", TODAY, 1)
    born_tomorrow = make_id_number("110105", date(2026, 11, 29), 1)
    # then today is a possible past date, tomorrow is not
    assert parse_id_number(born_today, today=TODAY).birth_date == TODAY
    with pytest.raises(IdNumberError, match="不合理"):
        parse_id_number(born_tomorrow, today=TODAY)


def test_PII_005_births_before_1850_are_refused_1850_accepted():
    # given the earliest plausible year and the day before it
    first = make_id_number("110105", date(1850, 1, 1), 1)
    before = make_id_number("110105", date(1849, 12, 31), 1)
    # then 1850-01-01 parses and 1849-12-31 does not
    assert parse_id_number(first, today=TODAY).birth_date == date(1850, 1, 1)
    with pytest.raises(IdNumberError, match="不合理"):
        parse_id_number(before, today=TODAY)


# --- PII-006: consistency with the birth date and sex fields --------------------------------------


def test_PII_006_sex_digit_17_odd_is_male_even_is_female():
    # given sequence numbers 001 (odd) and 002 (even) for the same birth date
    odd = make_id_number("110105", date(1985, 3, 9), 1)
    even = make_id_number("110105", date(1985, 3, 9), 2)
    # then 17th digit odd → male, even → female
    assert parse_id_number(odd, today=TODAY).gender == "male"
    assert parse_id_number(even, today=TODAY).gender == "female"
