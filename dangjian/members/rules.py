"""Member registry rules: ID numbers (PII-005/006), ages and dates (DEV-001, DEV-021, DEV-027)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from dangjian.core.dates import add_months, age_on
from dangjian.core.idnumber import IdNumberError, parse_id_number
from dangjian.core.masking import mask_id_number
from dangjian.core.rules import Rule, RuleViolation

from .choices import ETHNICITIES, Category, Education, ExemptionReason, Gender, MemberStatus, PartyRepLevel

MIN_JOIN_AGE = 18
PROBATION_MONTHS = 12

PII_005 = Rule(
    "PII-005",
    source="GB 11643《公民身份号码》",
    message="公民身份号码{reason}",
)
PII_006_BIRTH = Rule(
    "PII-006",
    variant="birth",
    source="GB 11643《公民身份号码》",
    message="出生日期{birth}与公民身份号码中的出生日期{id_birth}不一致",
)
PII_006_SEX = Rule(
    "PII-006",
    variant="sex",
    source="GB 11643《公民身份号码》",
    message="性别“{gender}”与公民身份号码第17位（{digit}，{id_gender}）不一致",
)
PII_006_UNIQUE = Rule(
    "PII-006",
    variant="unique",
    source="本平台“一人一档”规定",
    message="公民身份号码{masked}已登记在“{org}”的党员{name}名下，一人只能有一条党员记录",
)
DEV_001 = Rule(
    "DEV-001",
    source="党章第一条、《中国共产党发展党员工作细则》第五条",
    message="入党日期{join}时年龄为{age}岁，未满{minimum}周岁",
    params={"minimum": MIN_JOIN_AGE},
)
DEV_021 = Rule(
    "DEV-021",
    source="《中国共产党发展党员工作细则》第三十一条",
    message="转正日期{full}早于预备期满日{earliest}（入党日期{join}起满1年）",
)
DEV_027 = Rule(
    "DEV-027",
    source="《中国共产党发展党员工作细则》",
    message="{label}{value}晚于今天（{today}），不能填写将来的日期",
)

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def check_phone(digits: str) -> str | None:
    """None when the normalised phone is a mainland mobile or a landline with area code."""
    if not digits:
        return None
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return None
    return f"联系电话“{digits}”不是有效的手机号（11位，1开头）或带区号的固定电话"


# coded fields -> (label, choices); a value outside the code list is refused, never stored
_CODED_FIELDS: dict[str, tuple[str, type[Any]]] = {
    "education": ("学历", Education),
    "category": ("人员类别", Category),
    "exemption_reason": ("不作硬性要求原因", ExemptionReason),
    "party_rep_level": ("党代表级别", PartyRepLevel),
}


# the allowed codes as sets, built once (Choices.values builds a new list on every access; an import
# of 100,000 rows asks seven times per row)
_GENDERS = frozenset(Gender.values)
_STATUSES = frozenset(MemberStatus.values)
_CODES = {field: frozenset(choices.values) for field, (_label, choices) in _CODED_FIELDS.items()}


def _coded_violations(values: dict[str, Any]) -> list[RuleViolation]:
    problems: list[RuleViolation] = []
    gender = values.get("gender")
    if gender and gender not in _GENDERS:
        problems.append(RuleViolation(None, f"性别“{gender}”无效，应为“男”或“女”", field="gender"))
    ethnicity = values.get("ethnicity")
    if ethnicity and ethnicity not in ETHNICITIES:
        problems.append(RuleViolation(None, f"民族“{ethnicity}”不在56个民族名称中，请按身份证填写（如“汉族”）", field="ethnicity"))
    for field, (label, choices) in _CODED_FIELDS.items():
        value = values.get(field)
        if value and value not in _CODES[field]:
            allowed = "、".join(str(c.label) for c in choices)
            problems.append(RuleViolation(None, f"{label}“{value}”无效，应为：{allowed}", field=field))
    return problems


def member_violations(values: dict[str, Any], *, today: date) -> list[RuleViolation]:
    """Every rule the values break, each with its field; empty when the record may be saved.

    ``values`` uses model field names; dates are ``date`` objects or None. Used by the form, the
    API and the roster import alike, so a roster row and a form are judged the same way.
    """
    problems: list[RuleViolation] = []
    parsed = None
    raw_id = values.get("id_number") or ""
    if not raw_id:
        problems.append(RuleViolation(None, "公民身份号码不能为空", field="id_number"))
    else:
        try:
            parsed = parse_id_number(raw_id, today=today)
        except IdNumberError as exc:
            problems.append(PII_005.violation(field="id_number", reason=exc.reason))
    problems.extend(_coded_violations(values))
    birth = values.get("birth_date")
    gender = values.get("gender") if values.get("gender") in _GENDERS else None
    if parsed is not None:
        if birth and birth != parsed.birth_date:
            problems.append(PII_006_BIRTH.violation(field="birth_date", birth=birth, id_birth=parsed.birth_date))
        if gender and gender != parsed.gender:
            problems.append(
                PII_006_SEX.violation(
                    field="gender", gender=Gender(gender).label, digit=parsed.value[16], id_gender=Gender(parsed.gender).label
                )
            )
        birth = birth or parsed.birth_date
    if not values.get("name"):
        problems.append(RuleViolation(None, "姓名不能为空", field="name"))
    join = values.get("join_date")
    full = values.get("full_date")
    status = values.get("status")
    if join is None:
        problems.append(RuleViolation(None, "入党日期不能为空", field="join_date"))
    for field, label in (("join_date", "入党日期"), ("full_date", "转正日期"), ("birth_date", "出生日期")):
        value = values.get(field)
        if value and value > today:
            problems.append(DEV_027.violation(field=field, label=label, value=value, today=today))
    if join and birth and age_on(birth, join) < MIN_JOIN_AGE:
        problems.append(DEV_001.violation(field="join_date", join=join, age=age_on(birth, join)))
    if join and full:
        earliest = add_months(join, PROBATION_MONTHS)
        if full < earliest:
            problems.append(DEV_021.violation(field="full_date", full=full, join=join, earliest=earliest))
    if status not in _STATUSES:
        problems.append(RuleViolation(None, "党员状态应为“正式党员”或“预备党员”", field="status"))
    elif status == MemberStatus.PROBATIONARY and full:
        problems.append(RuleViolation(None, "预备党员不应填写转正日期；已转正的请把党员状态改为正式党员", field="full_date"))
    phone_problem = check_phone(values.get("phone") or "")
    if phone_problem:
        problems.append(RuleViolation(None, phone_problem, field="phone"))
    if values.get("is_flowing") and not (values.get("whereabouts") or "").strip():
        problems.append(RuleViolation(None, "流动党员须填写流动去向", field="whereabouts"))
    if values.get("is_exempt") and not values.get("exemption_reason"):
        problems.append(RuleViolation(None, "不作硬性要求的党员须选择原因（年老、体弱或患病，LIFE-010）", field="exemption_reason"))
    return problems


def unique_violation(*, id_number: str, holder_name: str, holder_org: str) -> RuleViolation:
    return PII_006_UNIQUE.violation(field="id_number", masked=mask_id_number(id_number), org=holder_org, name=holder_name)
