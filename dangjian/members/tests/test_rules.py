"""member_violations: every rule a member record can break, each with its field and boundary."""

from datetime import date

import pytest

from dangjian.core.dates import add_months
from dangjian.core.idnumber import make_id_number
from dangjian.members.choices import ETHNICITIES, ExemptionReason
from dangjian.members.rules import check_phone, member_violations

TODAY = date(2026, 11, 28)
BORN = date(1990, 6, 15)


def _values(**extra):
    return {
        "name": "张伟",
        "gender": "male",
        "ethnicity": "汉族",
        "id_number": make_id_number("110105", BORN, 11),
        "birth_date": BORN,
        "join_date": date(2015, 7, 1),
        "full_date": date(2016, 7, 1),
        "status": "full",
        "phone": "13912345678",
        **extra,
    }


def _problems(**extra):
    return member_violations(_values(**extra), today=TODAY)


def _fields(problems):
    return [p.field for p in problems]


def test_valid_values_break_no_rule():
    assert _problems() == []


# --- DEV-001: joined at 18 or older ---------------------------------------------------------------


def test_DEV_001_joining_on_the_18th_birthday_passes():
    assert _problems(join_date=date(2008, 6, 15), full_date=date(2009, 6, 15)) == []


def test_DEV_001_joining_the_day_before_the_18th_birthday_is_refused():
    # given a member born 1990-06-15 who joined on 2008-06-14
    problems = _problems(join_date=date(2008, 6, 14), full_date=date(2009, 6, 14))
    # then DEV-001 refuses on join_date, with the age
    assert [p.rule_id for p in problems] == ["DEV-001"]
    assert problems[0].field == "join_date"
    assert "入党日期2008-06-14时年龄为17岁，未满18周岁" in problems[0].message and "DEV-001" in problems[0].message


def test_DEV_001_uses_the_birth_date_from_the_id_number_when_the_field_is_empty():
    problems = _problems(birth_date=None, join_date=date(2008, 6, 14), full_date=None, status="probationary")
    assert [p.rule_id for p in problems] == ["DEV-001"]


# --- DEV-021: 转正 one year after joining ----------------------------------------------------------


def test_DEV_021_full_membership_exactly_12_months_after_joining_passes():
    assert _problems(join_date=date(2015, 7, 1), full_date=add_months(date(2015, 7, 1), 12)) == []


def test_DEV_021_full_membership_one_day_early_is_refused():
    problems = _problems(join_date=date(2015, 7, 1), full_date=date(2016, 6, 30))
    assert [p.rule_id for p in problems] == ["DEV-021"]
    assert problems[0].field == "full_date"
    assert "转正日期2016-06-30早于预备期满日2016-07-01" in problems[0].message


def test_DEV_021_joining_on_31_january_completes_on_the_last_of_january_next_year():
    assert _problems(join_date=date(2016, 1, 31), full_date=date(2017, 1, 31)) == []
    assert [p.rule_id for p in _problems(join_date=date(2016, 1, 31), full_date=date(2017, 1, 30))] == ["DEV-021"]


# --- DEV-027: no future dates ---------------------------------------------------------------------


def test_DEV_027_a_join_date_of_today_passes():
    assert _problems(join_date=TODAY, full_date=None, status="probationary") == []


@pytest.mark.parametrize("field", ["join_date", "full_date", "birth_date"])
def test_DEV_027_a_date_tomorrow_is_refused(field):
    tomorrow = date(2026, 11, 29)
    extra = {field: tomorrow}
    if field == "join_date":
        extra["full_date"] = None
        extra["status"] = "probationary"
    problems = _problems(**extra)
    dev_027 = [p for p in problems if p.rule_id == "DEV-027"]
    assert len(dev_027) == 1 and dev_027[0].field == field
    assert "2026-11-29晚于今天（2026-11-28）" in dev_027[0].message


# --- status, phone, flags -------------------------------------------------------------------------


def test_a_probationary_member_with_a_full_membership_date_is_refused():
    problems = _problems(status="probationary")
    assert _fields(problems) == ["full_date"]
    assert "预备党员不应填写转正日期" in problems[0].message


def test_an_unknown_status_is_refused():
    assert _fields(_problems(status="正式")) == ["status"]


@pytest.mark.parametrize("phone", ["1391234567", "23912345678", "139123456789", "12345678", "abc"])
def test_a_bad_phone_is_refused(phone):
    problems = _problems(phone=phone)
    assert _fields(problems) == ["phone"]
    assert f"联系电话“{phone}”不是有效的手机号" in problems[0].message


@pytest.mark.parametrize("phone", ["13912345678", "19912345678", "01012345678", "07551234567", "0731123456", ""])
def test_mobiles_landlines_with_area_code_and_no_phone_pass(phone):
    assert check_phone(phone) is None


def test_a_flowing_member_without_whereabouts_is_refused():
    problems = _problems(is_flowing=True, whereabouts="  ")
    assert _fields(problems) == ["whereabouts"]
    assert _problems(is_flowing=True, whereabouts="广东省深圳市") == []


def test_LIFE_010_an_exempt_member_needs_a_reason_category():
    # given a member exempt from hard requirements without a reason
    problems = _problems(is_exempt=True)
    # then the reason is asked for, naming LIFE-010
    assert _fields(problems) == ["exemption_reason"]
    assert "LIFE-010" in problems[0].message
    assert _problems(is_exempt=True, exemption_reason=ExemptionReason.AGE) == []


def test_PII_003_exemption_reasons_are_categories_never_diagnoses():
    # the reason is one of three coded categories; free text (a diagnosis) is refused (PII-003)
    assert set(ExemptionReason.values) == {"age", "frailty", "illness"}
    assert _fields(_problems(is_exempt=True, exemption_reason="高血压")) == ["exemption_reason"]


def test_STAT_005_ethnicity_is_one_of_the_56_names():
    # the 56 ethnic groups as on ID cards (STAT-005 code list)
    assert len(ETHNICITIES) == 56 == len(set(ETHNICITIES))
    assert _problems(ethnicity="蒙古族") == []
    problems = _problems(ethnicity="火星族")
    assert _fields(problems) == ["ethnicity"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("gender", "男"), ("gender", "M"), ("education", "博士后"), ("category", "农民工"), ("party_rep_level", "村")],
)
def test_coded_fields_outside_their_lists_are_refused_not_crashed_on(field, value):
    # given a label or typo where a code is expected
    problems = _problems(**{field: value})
    # then one violation on that field with the allowed values, and no exception
    assert _fields(problems) == [field]
    assert f"“{value}”无效" in problems[0].message


def test_missing_name_id_and_join_date_are_each_reported():
    problems = member_violations({"status": "full"}, today=TODAY)
    assert {"name", "id_number", "join_date"} <= set(_fields(problems))


def test_all_problems_are_reported_at_once():
    problems = _problems(phone="123", is_flowing=True, join_date=date(2008, 1, 1), full_date=date(2008, 6, 1))
    assert sorted(_fields(problems)) == ["full_date", "join_date", "phone", "whereabouts"]


# --- PII-005 / PII-006: the ID number against the other fields --------------------------------------

FEMALE_1949 = "11010519491231002X"  # DOMAIN.md example: born 1949-12-31, 17th digit 2 (female)


def _id_values(**extra):
    return _values(
        id_number=FEMALE_1949,
        gender="female",
        birth_date=date(1949, 12, 31),
        join_date=date(1975, 7, 1),
        full_date=date(1976, 7, 1),
        **extra,
    )


def test_PII_005_a_bad_number_in_member_values_is_refused_naming_the_rule():
    # given member values with a wrong check character
    values = _id_values()
    values["id_number"] = "110105194912310021"
    # when validated
    problems = member_violations(values, today=TODAY)
    # then exactly one PII-005 violation on id_number, saying what is wrong
    assert [p.rule_id for p in problems] == ["PII-005"]
    assert problems[0].field == "id_number"
    assert "公民身份号码校验位不正确" in problems[0].message and "PII-005" in problems[0].message


def test_PII_005_a_15_digit_number_is_refused_asking_for_18():
    values = _id_values()
    values["id_number"] = "110105491231002"
    problems = member_violations(values, today=TODAY)
    assert [p.rule_id for p in problems] == ["PII-005"]
    assert "请填写18位公民身份号码" in problems[0].message


def test_PII_006_gender_field_contradicting_digit_17_is_refused():
    # given a female number (17th digit 2) with the gender field set to male
    values = _id_values()
    values["gender"] = "male"
    # when validated
    problems = member_violations(values, today=TODAY)
    # then one PII-006 violation on gender naming the digit
    assert [p.rule_id for p in problems] == ["PII-006"]
    assert problems[0].field == "gender"
    assert "性别“男”与公民身份号码第17位（2，女）不一致" in problems[0].message


def test_PII_006_gender_field_matching_digit_17_passes():
    assert member_violations(_id_values(), today=TODAY) == []


def test_PII_006_birth_date_one_day_off_the_number_is_refused():
    # given a number born 1949-12-31 and a birth-date field one day later
    values = _id_values()
    values["birth_date"] = date(1950, 1, 1)
    # when validated
    problems = member_violations(values, today=TODAY)
    # then one PII-006 violation on birth_date with both dates
    assert [p.rule_id for p in problems] == ["PII-006"]
    assert problems[0].field == "birth_date"
    assert "出生日期1950-01-01与公民身份号码中的出生日期1949-12-31不一致" in problems[0].message


def test_PII_006_missing_birth_date_and_gender_are_taken_from_the_number():
    values = _id_values()
    values["birth_date"] = values["gender"] = None
    assert member_violations(values, today=TODAY) == []
