"""Realistic demo people: names, ID numbers, ages, dates and flags that pass the member rules.

Every draw comes from the ``random.Random`` handed in, so a plan is a pure function of its seed and
``today``. Ages and dates are relative to ``today``; the member rules (DEV-001, DEV-021, DEV-027,
PII-005/006) are checked again by the seeding before anything is written.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dangjian.core.dates import add_months, age_on
from dangjian.core.idnumber import make_id_number
from dangjian.members.choices import Category, Education, ExemptionReason, MemberStatus, PartyRepLevel
from dangjian.members.rules import MIN_JOIN_AGE, PROBATION_MONTHS

from . import names

# Who the members of a branch are: age bands (from, to, weight) and what they do.
AGE_BANDS: dict[str, tuple[tuple[int, int, float], ...]] = {
    # residential grids hold many retired members (离退休人员)
    "community": ((18, 30, 0.08), (31, 45, 0.16), (46, 59, 0.22), (60, 69, 0.24), (70, 79, 0.19), (80, 89, 0.09), (90, 95, 0.02)),
    "organ": ((23, 35, 0.35), (36, 50, 0.40), (51, 60, 0.25)),
    "school": ((23, 35, 0.40), (36, 50, 0.40), (51, 60, 0.20)),
    "soe": ((22, 35, 0.35), (36, 50, 0.40), (51, 60, 0.25)),
    "two_new": ((22, 30, 0.45), (31, 40, 0.40), (41, 55, 0.15)),
    "building": ((22, 30, 0.40), (31, 45, 0.45), (46, 58, 0.15)),
    "joint": ((22, 35, 0.45), (36, 50, 0.40), (51, 60, 0.15)),
    "functional": ((30, 59, 0.30), (60, 78, 0.70)),
}
PROFILES = tuple(AGE_BANDS)

EMPLOYERS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "organ": (
        ("中共示范区委办公室", ("一级科员", "四级主任科员", "科长", "副主任")),
        ("中共示范区委组织部", ("一级科员", "二级主任科员", "科长")),
        ("中共示范区委宣传部", ("一级科员", "科长")),
    ),
    "school": (("示范区实验小学", ("语文教师", "数学教师", "英语教师", "班主任", "教务主任", "体育教师", "副校长")),),
    "soe": (("示范区城市建设投资集团有限公司", ("工程师", "项目经理", "财务主管", "综合部部长", "技术员", "安全员")),),
    "two_new": (("示范区智联科技有限公司", ("软件工程师", "产品经理", "测试工程师", "运营专员", "人事主管")),),
    "building": (
        ("国贸大厦物业服务有限公司", ("物业经理", "客服主管", "工程维修员")),
        ("示范区正信律师事务所", ("律师", "律师助理")),
        ("示范区星河会计师事务所", ("注册会计师", "审计助理")),
    ),
    "joint": (
        ("锦华餐饮管理有限公司", ("店长", "厨师长", "财务")),
        ("蓉兴装饰工程有限公司", ("项目经理", "设计师", "施工员")),
        ("示范区青禾社会工作服务中心", ("社工", "项目主管")),
    ),
}

_EDUCATION_BY_COHORT: dict[str, tuple[tuple[str, float], ...]] = {
    "old": (
        (Education.PRIMARY, 0.22),
        (Education.JUNIOR_HIGH, 0.33),
        (Education.HIGH_SCHOOL, 0.22),
        (Education.SECONDARY_VOCATIONAL, 0.11),
        (Education.JUNIOR_COLLEGE, 0.08),
        (Education.BACHELOR, 0.04),
    ),
    "mid": (
        (Education.JUNIOR_HIGH, 0.12),
        (Education.HIGH_SCHOOL, 0.25),
        (Education.SECONDARY_VOCATIONAL, 0.16),
        (Education.JUNIOR_COLLEGE, 0.22),
        (Education.BACHELOR, 0.21),
        (Education.POSTGRADUATE, 0.04),
    ),
    "young": (
        (Education.HIGH_SCHOOL, 0.06),
        (Education.SECONDARY_VOCATIONAL, 0.06),
        (Education.JUNIOR_COLLEGE, 0.26),
        (Education.BACHELOR, 0.48),
        (Education.POSTGRADUATE, 0.14),
    ),
    "new": (
        (Education.HIGH_SCHOOL, 0.04),
        (Education.JUNIOR_COLLEGE, 0.24),
        (Education.BACHELOR, 0.55),
        (Education.POSTGRADUATE, 0.17),
    ),
}
_GRADUATE_EDUCATION = ((Education.JUNIOR_COLLEGE, 0.08), (Education.BACHELOR, 0.62), (Education.POSTGRADUATE, 0.30))

_WORKING_CATEGORIES: dict[str, tuple[tuple[str, float], ...]] = {
    "community": (
        (Category.EMPLOYEE, 0.30),
        (Category.PROFESSIONAL, 0.18),
        (Category.MANAGER, 0.12),
        (Category.WORKER, 0.15),
        (Category.UNEMPLOYED, 0.10),
        (Category.CIVIL_SERVANT, 0.05),
        (Category.OTHER, 0.10),
    ),
    "organ": ((Category.CIVIL_SERVANT, 0.95), (Category.MANAGER, 0.05)),
    "school": ((Category.PROFESSIONAL, 0.85), (Category.MANAGER, 0.15)),
    "soe": ((Category.MANAGER, 0.30), (Category.PROFESSIONAL, 0.35), (Category.WORKER, 0.35)),
    "two_new": ((Category.PROFESSIONAL, 0.50), (Category.MANAGER, 0.20), (Category.EMPLOYEE, 0.30)),
    "building": ((Category.PROFESSIONAL, 0.40), (Category.MANAGER, 0.25), (Category.EMPLOYEE, 0.35)),
    "joint": ((Category.PROFESSIONAL, 0.30), (Category.MANAGER, 0.20), (Category.EMPLOYEE, 0.50)),
    "functional": ((Category.EMPLOYEE, 0.50), (Category.PROFESSIONAL, 0.30), (Category.OTHER, 0.20)),
}
_NOT_WORKING = {Category.RETIRED, Category.STUDENT, Category.UNEMPLOYED}


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    """One value of ``(value, weight)`` pairs."""
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


@dataclass
class Home:
    """Where a member lives: street, community, compound and its roads (names.STREETS)."""

    street: str
    community: str
    compound: str
    roads: tuple[str, ...]


@dataclass
class PersonMaker:
    """Draws people for the plan; remembers ID numbers and phones so none repeats."""

    rng: random.Random
    today: date
    ids: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)

    # --- identity -------------------------------------------------------------------------

    def ethnicity(self) -> str:
        return weighted(self.rng, names.ETHNICITY_WEIGHTS)

    def name(self, *, gender: str, born: date, ethnicity: str) -> str:
        rng = self.rng
        if ethnicity == "藏族":
            return rng.choice(names.TIBETAN_NAMES[gender])
        surname = weighted(rng, names.SURNAMES)
        era = names.cohort(born.year)
        lists = names.GIVEN_NAMES[era]
        short = rng.random() < names.ONE_CHARACTER_SHARE[era] and len(surname) == 1
        key = ("male" if gender == "male" else "female") + ("1" if short else "2")
        return surname + rng.choice(lists[key])

    def id_number(self, *, born: date, gender: str) -> str:
        """A valid GB 11643 number whose birth date and sex digit match (PII-005, PII-006)."""
        pool = names.REGION_CODES + (names.OLD_REGION_CODES if born.year < 1990 else ())
        region = weighted(self.rng, pool)
        odd = 1 if gender == "male" else 0
        while True:
            number = make_id_number(region, born, self.rng.randrange(0, 500) * 2 + odd)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def birth_date(self, age: int) -> date:
        """A birth date giving exactly ``age`` completed years today."""
        latest = add_months(self.today, -12 * age)
        earliest = add_months(self.today, -12 * (age + 1)) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def age(self, profile: str) -> int:
        low, high = weighted(self.rng, [((lo, hi), w) for lo, hi, w in AGE_BANDS[profile]])
        return self.rng.randint(low, high)

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(0, 10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def landline(self) -> str:
        return names.LANDLINE_AREA_CODE + f"8{self.rng.randrange(0, 10**7):07d}"

    def address(self, home: Home) -> str:
        rng = self.rng
        road = rng.choice(home.roads)
        return (
            f"{names.DISTRICT_NAME}{home.street}{home.community}{road}{rng.randint(1, 199)}号"
            f"{home.compound}{rng.randint(1, 24)}栋{rng.randint(1, 4)}单元{rng.randint(1, 18)}0{rng.randint(1, 6)}室"
        )

    # --- party dates ----------------------------------------------------------------------

    def join_date(self, born: date, *, probationary: bool) -> date:
        """入党日期: on or after the 18th birthday (DEV-001); full members a year before today at least."""
        rng = self.rng
        eighteen = add_months(born, 12 * MIN_JOIN_AGE)
        if probationary:
            earliest = max(eighteen, self.today - timedelta(days=364))
            latest = self.today - timedelta(days=1)
            return earliest + timedelta(days=rng.randint(0, max((latest - earliest).days, 0)))
        latest = add_months(self.today, -PROBATION_MONTHS)
        join_age = min(int(rng.triangular(18, 48, 24)), 60)
        wanted = add_months(born, 12 * join_age) + timedelta(days=rng.randint(0, 364))
        if eighteen <= wanted <= latest:
            return wanted
        return eighteen + timedelta(days=rng.randint(0, max((latest - eighteen).days, 0)))

    # --- the whole person -----------------------------------------------------------------

    def person(
        self,
        profile: str,
        home: Home,
        *,
        status: str,
        gender: str | None = None,
        age: int | None = None,
        name: str | None = None,
        employer: tuple[str, tuple[str, ...]] | None = None,
    ) -> dict[str, Any]:
        """Model field values of one member (no organisation yet)."""
        rng = self.rng
        probationary = status == MemberStatus.PROBATIONARY
        if age is None:
            age = rng.randint(18, 38) if probationary else self.age(profile)
        if not probationary:
            age = max(age, MIN_JOIN_AGE + 2)  # a full member joined at 18 at the earliest, a year ago
        gender = gender or ("male" if rng.random() < (0.55 if profile != "school" else 0.3) else "female")
        born = self.birth_date(age)
        if age == MIN_JOIN_AGE and (self.today - add_months(born, 12 * MIN_JOIN_AGE)).days < 2:
            born -= timedelta(days=30)  # joined after the 18th birthday, never on the day itself
        ethnicity = "汉族" if name else self.ethnicity()
        join = self.join_date(born, probationary=probationary)
        values: dict[str, Any] = {
            "name": name or self.name(gender=gender, born=born, ethnicity=ethnicity),
            "gender": gender,
            "ethnicity": ethnicity,
            "id_number": self.id_number(born=born, gender=gender),
            "birth_date": born,
            "join_date": join,
            "full_date": None if probationary else add_months(join, PROBATION_MONTHS),
            "status": status,
            "phone": self.mobile(),
            "address": self.address(home),
            "employer": "",
            "post": "",
            "is_in_service": False,
            "is_flowing": False,
            "whereabouts": "",
            "lost_contact_since": None,
            "is_party_rep": False,
            "party_rep_level": "",
            "is_part_time_committee": False,
            "is_exempt": False,
            "exemption_reason": "",
            "exemption_approved_by": "",
            "exemption_since": None,
            "note": "",
        }
        values["category"] = self._category(profile, age, gender)
        if employer and values["category"] in _NOT_WORKING:
            values["category"] = Category.EMPLOYEE
        values["education"] = self._education(profile, born, values["category"])
        working = values["category"] not in _NOT_WORKING
        if working:
            unit, posts = employer or rng.choice(EMPLOYERS.get(profile, names.COMMUNITY_EMPLOYERS))
            values.update(employer=unit, post=rng.choice(posts), is_in_service=True)
        self._flags(values, profile, age, born, working=working)
        return values

    def _category(self, profile: str, age: int, gender: str) -> str:
        rng = self.rng
        retire_age = 60 if gender == "male" else 55
        if profile in {"community", "functional"}:
            if age >= retire_age + 2 or (age >= retire_age and rng.random() < 0.7):
                return Category.RETIRED
            if age <= 22 and rng.random() < 0.7:
                return Category.STUDENT
        return weighted(rng, _WORKING_CATEGORIES[profile])

    def _education(self, profile: str, born: date, category: str) -> str:
        if profile in {"organ", "school"} or (category == Category.PROFESSIONAL and born.year >= 1970):
            return weighted(self.rng, _GRADUATE_EDUCATION)
        return weighted(self.rng, _EDUCATION_BY_COHORT[names.cohort(born.year)])

    def _flags(self, values: dict[str, Any], profile: str, age: int, born: date, *, working: bool) -> None:
        """流动党员, 失联, 党代表, 不作硬性要求 and phone habits of the elderly."""
        rng = self.rng
        today = self.today
        if profile == "community" and 22 <= age <= 50 and rng.random() < 0.05:
            values.update(is_flowing=True, whereabouts=rng.choice(names.WHEREABOUTS), is_in_service=False)
        elif profile == "community" and 25 <= age <= 55 and rng.random() < 0.01:
            values["lost_contact_since"] = today - timedelta(days=rng.randint(200, 1400))
            values["note"] = "多次联系未果，已列为失联党员"
        if values["status"] == MemberStatus.FULL and 35 <= age <= 70 and rng.random() < 0.01:
            level = PartyRepLevel.CITY if rng.random() < 0.2 else PartyRepLevel.DISTRICT
            values.update(is_party_rep=True, party_rep_level=level)
        if age >= 80 and rng.random() < 0.5:
            since = max(add_months(born, 12 * 80), today - timedelta(days=rng.randint(30, 2500)))
            values.update(is_exempt=True, exemption_reason=ExemptionReason.AGE, exemption_approved_by="支部委员会", exemption_since=since)
        elif age >= 72 and rng.random() < 0.03:
            since = today - timedelta(days=rng.randint(30, 900))
            values.update(
                is_exempt=True, exemption_reason=ExemptionReason.FRAILTY, exemption_approved_by="支部委员会", exemption_since=since
            )
        if age >= 85 and rng.random() < 0.3:
            values["phone"] = self.landline()  # many of the very old keep only the home phone
        if not working and values["category"] == Category.RETIRED and rng.random() < 0.4:
            values["note"] = values["note"] or "退休党员"


def working_age(values: dict[str, Any], today: date, *, low: int = 25, high: int = 55) -> bool:
    return low <= age_on(values["birth_date"], today) <= high
