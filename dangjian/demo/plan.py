"""The demo district as a plan: a pure function of (seed, member count, today); nothing is written here.

示范区委 → 2 街道党工委 → 8 社区党委 (4 each) → about 40 branches (mostly 网格党支部, plus 党总支 with
branches, 机关, 学校, 国企, 两新, 联合, 功能型 and 商务楼宇 branches) → 楼院党小组. A few organisations are
built to be unhealthy so the health page has something to say (``OrgPlan.expect``):

=========================  ===========================================================
ORG-001                    花园社区第三网格党支部: 2 full members (+1 probationary)
ORG-005                    和平里社区第一网格党支部: 55 members (超大支部)
ORG-009                    幸福社区第三网格党支部: 9 full members, only a secretary
ORG-010                    新华社区第四网格党支部: the secretary left, three 委员 remain
ORG-014 (remind)           青年路社区第二网格党支部: term ends in 3 months
ORG-014 (overdue)          团结社区第二网格党支部: term ended 3 months ago
ORG-002                    示范区云帆网络科技有限公司: 4 full members, no party organisation
=========================  ===========================================================
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stdnum.cn import uscc

from dangjian.accounts.choices import Role
from dangjian.core.dates import add_months, age_on
from dangjian.members.choices import Category, MemberStatus
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS, Affinity, CommitteePost, OrgKind, Sector
from dangjian.organisations.rules import BRANCH_MAX_MEMBERS, COMMITTEE_THRESHOLD, term_years

from . import names
from .people import Home, PersonMaker

ROOT_CODE = "D01"
DEFAULT_SEED = 2026
DEFAULT_MEMBERS = 1500
MIN_MEMBERS = 300
MAX_MEMBERS = 1750  # 36 flexible branches of at most 48 members, plus the fixed ones (make_city scales beyond)
# ≥ 8 characters, not all digits, not in Django's common-password list (checked by a test)
DEMO_PASSWORD = "Demo#2026"
SUPERUSER_NAME = "admin"
SUPERUSER_DISPLAY_NAME = "系统管理员"

# Branch sizes of the healthy branches stay inside the ORG rules.
MIN_BRANCH_SIZE = 5
MAX_BRANCH_SIZE = BRANCH_MAX_MEMBERS - 2
PROBATIONARY_SHARE = 0.05
BIRTHDAY_SHARE = 0.012  # members whose 入党日期 falls on today's month-day (political birthday)


@dataclass(frozen=True)
class DemoAccount:
    """One demo login: the README's account table is this list (a test compares them)."""

    username: str
    display_name: str
    role: str
    org_code: str
    linked_member: bool = False  # the account is linked to a Member record of that branch


SECRETARY_BRANCH = "D01-S01-C01-B02"
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("quwei", "周卫国", Role.DISTRICT_ADMIN, ROOT_CODE),
    DemoAccount("jiedao", "陈立新", Role.ORG_ADMIN, "D01-S01"),
    DemoAccount("shequ", "赵桂芳", Role.ORG_ADMIN, "D01-S01-C01"),
    DemoAccount("shuji", "李红梅", Role.BRANCH_SECRETARY, SECRETARY_BRANCH, linked_member=True),
    DemoAccount("dangyuan", "王志强", Role.MEMBER, SECRETARY_BRANCH, linked_member=True),
    DemoAccount("lianluo", "孙建军", Role.UNIT_LIAISON, "D01-S01"),
    DemoAccount("jidi", "吴秀兰", Role.BASE_KEEPER, "D01-S01-C01"),
)


@dataclass(frozen=True)
class OrgPlan:
    """One organisation of the demo tree, in tree order (parents first)."""

    code: str
    parent_code: str | None
    name: str
    kind: str
    sector: str
    founded_on: date
    term_started_on: date | None = None
    affinity: str = ""
    grid_area: str = ""
    address: str = ""
    has_approval_authority: bool = False
    profile: str = ""  # people.PROFILES key for member-holding kinds
    home: Home | None = None  # where its members live
    weight: float = 1.0  # share of the free member count
    fixed: tuple[int, int] | None = None  # (full, probationary) when the size is part of the story
    seats: str = "normal"  # "normal", "secretary_only" (ORG-009) or "secretary_left" (ORG-010)
    expect: tuple[str, ...] = ()  # health findings this organisation is built to show

    @property
    def holds_members(self) -> bool:
        return self.kind in MEMBER_HOLDING_KINDS

    def values(self) -> dict[str, Any]:
        """Field values for organisations.services.create_organisation."""
        return {
            "name": self.name,
            "code": self.code,
            "kind": self.kind,
            "sector": self.sector,
            "affinity": self.affinity,
            "founded_on": self.founded_on,
            "term_started_on": self.term_started_on,
            "grid_area": self.grid_area,
            "address": self.address,
            "has_approval_authority": self.has_approval_authority,
        }


@dataclass(frozen=True)
class UnitPlan:
    """A work unit (organisations.Unit); ``party_code`` None means no party organisation yet."""

    name: str
    credit_code: str
    sector: str
    area_code: str
    party_code: str | None


@dataclass
class MemberPlan:
    """One member: model field values plus the codes of its branch, group and work unit."""

    values: dict[str, Any]
    org_code: str
    group_code: str = ""
    unit_credit_code: str = ""
    account: str = ""  # username of the demo account linked to this member

    @property
    def id_number(self) -> str:
        return self.values["id_number"]

    @property
    def is_full(self) -> bool:
        return self.values["status"] == MemberStatus.FULL


@dataclass(frozen=True)
class SeatPlan:
    """A committee seat: held by a planned member (by ID number) or a named outside person (ORG-021)."""

    org_code: str
    post: str
    started_on: date
    member_id_number: str = ""
    person_name: str = ""
    is_part_time: bool = False
    ended_on: date | None = None


@dataclass
class DistrictPlan:
    seed: int
    today: date
    orgs: list[OrgPlan]
    units: list[UnitPlan]
    members: list[MemberPlan]
    seats: list[SeatPlan]
    accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS
    by_code: dict[str, OrgPlan] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_code = {o.code: o for o in self.orgs}


def build_plan(*, today: date, seed: int = DEFAULT_SEED, members: int = DEFAULT_MEMBERS) -> DistrictPlan:
    """The whole demo district for ``today``; equal arguments give an equal plan."""
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        raise ValueError(f"members must be between {MIN_MEMBERS} and {MAX_MEMBERS}")
    rng = random.Random(seed)
    orgs = _organisations(rng, today)
    units = _units()
    maker = PersonMaker(rng, today)
    member_plans = _members(rng, maker, orgs, members)
    _political_birthdays(rng, member_plans, today)
    seats = _seats(rng, orgs, member_plans, today)
    return DistrictPlan(seed=seed, today=today, orgs=orgs, units=units, members=member_plans, seats=seats)


# --- organisations --------------------------------------------------------------------------


def _founded(rng: random.Random, low: int = 1986, high: int = 2012) -> date:
    return date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))


def _term_start(rng: random.Random, today: date, kind: str, sector: str, *, due: str = "") -> date | None:
    """A term start whose ORG-011 end lies well ahead, or (``due``) 3 months ahead / 3 months past."""
    years = term_years(kind, sector)
    if years is None:
        return None
    if due == "soon":
        return add_months(today, -(12 * years - 3))
    if due == "overdue":
        return add_months(today, -(12 * years + 3))
    # at least 8 months before the 6-month reminder window of ORG-014
    return add_months(today, -rng.randint(4, 12 * years - 14))


def _organisations(rng: random.Random, today: date) -> list[OrgPlan]:
    orgs: list[OrgPlan] = []

    def add(code: str, parent: str | None, name: str, kind: str, sector: str, *, due: str = "", **extra: Any) -> OrgPlan:
        founded = extra.pop("founded_on", None) or _founded(rng)
        start = _term_start(rng, today, kind, sector, due=due)
        if start is not None and founded > start:
            founded = date(start.year - rng.randint(3, 20), founded.month, founded.day)
        org = OrgPlan(
            code=code, parent_code=parent, name=name, kind=kind, sector=sector, founded_on=founded, term_started_on=start, **extra
        )
        orgs.append(org)
        return org

    district = names.DISTRICT_NAME
    add(
        ROOT_CODE,
        None,
        f"{district}委",
        OrgKind.DISTRICT_COMMITTEE,
        Sector.ORGAN,
        founded_on=date(1984, 5, 1),
        address=f"{district}人民路1号",
        has_approval_authority=True,
    )
    first_home = _home(0, 0)
    add(
        f"{ROOT_CODE}-J01",
        ROOT_CODE,
        f"{district}委机关第一党支部",
        OrgKind.BRANCH,
        Sector.ORGAN,
        profile="organ",
        home=first_home,
        weight=0.7,
    )
    add(
        f"{ROOT_CODE}-X01",
        ROOT_CODE,
        f"{district}实验小学党支部",
        OrgKind.BRANCH,
        Sector.SCHOOL,
        profile="school",
        home=first_home,
        weight=0.6,
    )
    add(
        f"{ROOT_CODE}-Q01",
        ROOT_CODE,
        f"{district}城市建设投资集团有限公司党支部",
        OrgKind.BRANCH,
        Sector.SOE,
        profile="soe",
        home=_home(1, 0),
        weight=0.8,
    )
    for s_index, (s_code, street, communities) in enumerate(names.STREETS):
        street_code = f"{ROOT_CODE}-{s_code}"
        add(
            street_code,
            ROOT_CODE,
            f"{street}党工委",
            OrgKind.STREET_WORKING_COMMITTEE,
            Sector.COMMUNITY,
            founded_on=_founded(rng, 1988, 1995),
            address=f"{district}{street}办事处",
            has_approval_authority=True,
        )
        for c_index, (c_code, community, compound, roads) in enumerate(communities):
            home = _home(s_index, c_index)
            community_code = f"{street_code}-{c_code}"
            add(
                community_code,
                street_code,
                f"{community}党委",
                OrgKind.COMMUNITY_COMMITTEE,
                Sector.COMMUNITY,
                address=f"{district}{street}{community}{roads[0]}1号党群服务中心",
                has_approval_authority=True,
            )
            _community_branches(add, rng, community_code, community, compound, home, s_index, c_index)
        if s_index == 0:
            add(
                f"{street_code}-L01",
                street_code,
                "国贸大厦楼宇党支部",
                OrgKind.BRANCH,
                Sector.OFFICE_BUILDING,
                profile="building",
                home=_home(0, 3),
                weight=0.5,
                address=f"{district}{street}青年路88号国贸大厦",
            )
            add(
                f"{street_code}-U01",
                street_code,
                f"{street}非公企业联合党支部",
                OrgKind.JOINT_BRANCH,
                Sector.NON_PUBLIC_ENTERPRISE,
                profile="joint",
                home=_home(0, 1),
                weight=0.35,
            )
        else:
            add(
                f"{street_code}-E01",
                street_code,
                f"{district}智联科技有限公司党支部",
                OrgKind.BRANCH,
                Sector.NON_PUBLIC_ENTERPRISE,
                profile="two_new",
                home=_home(1, 1),
                weight=0.4,
            )
    return orgs


def _home(s_index: int, c_index: int) -> Home:
    _, street, communities = names.STREETS[s_index]
    _, community, compound, roads = communities[c_index]
    return Home(street=street, community=community, compound=compound, roads=roads)


# Grid branches per community: (street index, community index) -> count; the rest have 3.
_GRIDS = {(0, 0): 4, (0, 2): 4, (1, 0): 4, (1, 2): 4}
# Communities with a 党总支 holding two grid branches.
_GENERAL_BRANCHES = {(0, 1), (1, 1)}
# Grid branches carrying a story: (street, community, grid number) -> OrgPlan extras.
_STORIES: dict[tuple[int, int, int], dict[str, Any]] = {
    (0, 0, 1): {"fixed": (52, 3), "expect": ("ORG-005",), "groups": 3},
    (0, 2, 3): {"fixed": (9, 0), "seats": "secretary_only", "expect": ("ORG-009",)},
    (0, 3, 2): {"due": "soon", "expect": ("ORG-014",)},
    (1, 0, 4): {"seats": "secretary_left", "expect": ("ORG-010",)},
    (1, 2, 2): {"due": "overdue", "expect": ("ORG-014",)},
    (1, 3, 3): {"fixed": (2, 1), "expect": ("ORG-001",)},
}


def _community_branches(
    add: Any, rng: random.Random, community_code: str, community: str, compound: str, home: Home, s_index: int, c_index: int
) -> None:
    for number in range(1, _GRIDS.get((s_index, c_index), 3) + 1):
        story = dict(_STORIES.get((s_index, c_index, number), {}))
        groups = story.pop("groups", 2 if number == 1 and (s_index, c_index) in {(0, 2), (1, 0)} else 0)
        code = f"{community_code}-B{number:02d}"
        first, last = 8 * (number - 1) + 1, 8 * number
        add(
            code,
            community_code,
            f"{community}第{names.ORDINALS[number - 1]}网格党支部",
            OrgKind.GRID_BRANCH,
            Sector.COMMUNITY,
            profile="community",
            home=home,
            weight=rng.uniform(0.9, 1.1),
            grid_area=f"{compound}{first}—{last}栋",
            **story,
        )
        for g in range(1, groups + 1):
            low = first + (g - 1) * 8 // groups
            high = first + g * 8 // groups - 1
            add(
                f"{code}-G{g:02d}",
                code,
                f"{compound}{low}—{high}栋楼院党小组",
                OrgKind.BUILDING_GROUP,
                Sector.COMMUNITY,
                grid_area=f"{compound}{low}—{high}栋",
            )
    if (s_index, c_index) in _GENERAL_BRANCHES:
        general = f"{community_code}-Z01"
        add(general, community_code, f"{compound}党总支", OrgKind.GENERAL_BRANCH, Sector.COMMUNITY)
        for number in (1, 2):
            add(
                f"{general}-B{number:02d}",
                general,
                f"{compound}第{names.ORDINALS[number - 1]}党支部",
                OrgKind.GRID_BRANCH,
                Sector.COMMUNITY,
                profile="community",
                home=home,
                weight=rng.uniform(0.9, 1.1),
                grid_area=f"{compound}{'东区' if number == 1 else '西区'}",
            )
    if (s_index, c_index) == (0, 2):
        add(
            f"{community_code}-F01",
            community_code,
            f"{community}“银龄志愿”功能型党支部",
            OrgKind.FUNCTIONAL_BRANCH,
            Sector.COMMUNITY,
            affinity=Affinity.IDEAL,
            profile="functional",
            home=home,
            weight=0.3,
        )


# --- units ----------------------------------------------------------------------------------


def _credit_code(prefix: str, number: int) -> str:
    """A valid 统一社会信用代码 (GB 32100): registration office + kind, 成都 510100, serial, check."""
    base = f"{prefix}510100MA6{number:06d}"
    return base + uscc.calc_check_digit(base)


UNMET_UNIT = "示范区云帆网络科技有限公司"  # ORG-002: ≥3 full members, no party organisation
SMALL_UNIT = "示范区百味小吃店"  # 2 full members: below ORG-002's threshold, no finding
HOSPITAL_UNIT = "示范区人民医院"  # a 驻区单位 outside 两新: not subject to ORG-002
_UNIT_POSTS = {
    UNMET_UNIT: ("软件工程师", "产品经理", "运营专员", "技术总监"),
    SMALL_UNIT: ("店长", "厨师"),
    HOSPITAL_UNIT: ("医生", "护士"),
}


def _units() -> list[UnitPlan]:
    rows = [
        ("中共示范区委办公室", "11", Sector.ORGAN, ROOT_CODE, f"{ROOT_CODE}-J01"),
        ("示范区实验小学", "12", Sector.SCHOOL, "D01-S01", f"{ROOT_CODE}-X01"),
        ("示范区城市建设投资集团有限公司", "91", Sector.SOE, "D01-S02", f"{ROOT_CODE}-Q01"),
        ("国贸大厦物业服务有限公司", "91", Sector.OFFICE_BUILDING, "D01-S01", "D01-S01-L01"),
        ("示范区正信律师事务所", "31", Sector.OFFICE_BUILDING, "D01-S01", "D01-S01-L01"),
        ("示范区星河会计师事务所", "91", Sector.OFFICE_BUILDING, "D01-S01", "D01-S01-L01"),
        ("锦华餐饮管理有限公司", "91", Sector.NON_PUBLIC_ENTERPRISE, "D01-S01-C02", "D01-S01-U01"),
        ("蓉兴装饰工程有限公司", "91", Sector.NON_PUBLIC_ENTERPRISE, "D01-S01-C02", "D01-S01-U01"),
        ("示范区青禾社会工作服务中心", "52", Sector.SOCIAL_ORGANISATION, "D01-S01-C02", "D01-S01-U01"),
        ("示范区智联科技有限公司", "91", Sector.NON_PUBLIC_ENTERPRISE, "D01-S02", "D01-S02-E01"),
        (UNMET_UNIT, "91", Sector.NON_PUBLIC_ENTERPRISE, "D01-S02-C01", None),
        (SMALL_UNIT, "92", Sector.MICRO_BUSINESS, "D01-S02-C02", None),
        (HOSPITAL_UNIT, "12", Sector.PUBLIC_INSTITUTION, "D01-S01", None),
    ]
    return [
        UnitPlan(name=name, credit_code=_credit_code(kind, n), sector=sector, area_code=area, party_code=party)
        for n, (name, kind, sector, area, party) in enumerate(rows, start=1)
    ]


# --- members --------------------------------------------------------------------------------


def _sizes(rng: random.Random, orgs: list[OrgPlan], total: int) -> dict[str, tuple[int, int]]:
    """(full, probationary) per member-holding organisation, adding up to ``total`` exactly."""
    holders = [o for o in orgs if o.holds_members]
    fixed = {o.code: o.fixed for o in holders if o.fixed}
    free = total - sum(f + p for f, p in fixed.values())
    flexible = [o for o in holders if not o.fixed]
    weight = sum(o.weight for o in flexible)
    sizes = {o.code: min(max(int(free * o.weight / weight), MIN_BRANCH_SIZE), MAX_BRANCH_SIZE) for o in flexible}
    # hand out (or take back) the rounding remainder one member at a time, in tree order
    remainder = free - sum(sizes.values())
    step = 1 if remainder > 0 else -1
    while remainder:
        moved = False
        for org in flexible:
            if remainder == 0:
                break
            if MIN_BRANCH_SIZE <= sizes[org.code] + step <= MAX_BRANCH_SIZE:
                sizes[org.code] += step
                remainder -= step
                moved = True
        if not moved:
            raise ValueError(f"{total} members do not fit the demo branches")
    result = dict(fixed)
    for code, size in sizes.items():
        probationary = min(int(size * PROBATIONARY_SHARE + rng.random()), size - 3)
        result[code] = (size - probationary, probationary)
    return {o.code: result[o.code] for o in holders}


def _members(rng: random.Random, maker: PersonMaker, orgs: list[OrgPlan], total: int) -> list[MemberPlan]:
    units = {u.name: u for u in _units()}
    groups: dict[str, list[str]] = {}
    for org in orgs:
        if org.kind == OrgKind.BUILDING_GROUP and org.parent_code:
            groups.setdefault(org.parent_code, []).append(org.code)
    employer_units = {u.name: u.credit_code for u in units.values()}
    sizes = _sizes(rng, orgs, total)
    plans: list[MemberPlan] = []
    for org in orgs:
        if not org.holds_members:
            continue
        assert org.home is not None
        full, probationary = sizes[org.code]
        people = _story_people(maker, org, units)
        statuses = [MemberStatus.FULL] * (full - len(people)) + [MemberStatus.PROBATIONARY] * probationary
        rng.shuffle(statuses)
        for status in statuses:
            people.append(MemberPlan(values=maker.person(org.profile, org.home, status=status), org_code=org.code))
        branch_groups = groups.get(org.code, [])
        for index, person in enumerate(people):
            person.org_code = org.code
            if branch_groups and index % 10 != 9:  # a few stay outside any group, as in real branches
                person.group_code = branch_groups[index % len(branch_groups)]
            if not person.unit_credit_code:
                person.unit_credit_code = employer_units.get(person.values["employer"], "")
        plans.extend(people)
    return plans


def _story_people(maker: PersonMaker, org: OrgPlan, units: dict[str, UnitPlan]) -> list[MemberPlan]:
    """Members the story needs in a branch: the demo secretary and member, unit employees (ORG-002)."""
    assert org.home is not None
    people: list[MemberPlan] = []

    def person(account: str = "", unit: str = "", **kwargs: Any) -> None:
        if unit:
            kwargs["employer"] = (unit, _UNIT_POSTS[unit])
            kwargs.setdefault("age", maker.rng.randint(26, 45))
        values = maker.person(org.profile, org.home, status=MemberStatus.FULL, **kwargs)
        # the story needs these people present and working: no 流动, 失联 or exemption
        values.update(is_in_service=True, is_flowing=False, whereabouts="", lost_contact_since=None, note="")
        values.update(is_exempt=False, exemption_reason="", exemption_approved_by="", exemption_since=None)
        if unit:
            values["category"] = Category.PROFESSIONAL if unit == UNMET_UNIT else Category.EMPLOYEE
        credit_code = units[unit].credit_code if unit else ""
        people.append(MemberPlan(values=values, org_code=org.code, account=account, unit_credit_code=credit_code))

    if org.code == SECRETARY_BRANCH:
        person(account="shuji", gender="female", age=49, name="李红梅", employer=("和平里社区居民委员会", ("网格长",)))
        person(account="dangyuan", gender="male", age=36, name="王志强", employer=("蜀通物流有限公司", ("调度员",)))
    if org.code in {"D01-S02-C01-B01", "D01-S02-C01-B02"}:
        person(unit=UNMET_UNIT)
        person(unit=UNMET_UNIT)
    if org.code == "D01-S02-C02-B01":
        person(unit=SMALL_UNIT)
        person(unit=SMALL_UNIT)
    if org.code == "D01-S01-C01-B03":
        person(unit=HOSPITAL_UNIT)
    return people


def _political_birthdays(rng: random.Random, plans: list[MemberPlan], today: date) -> None:
    """Move some full members' 入党日期 onto today's month-day (the political-birthday module greets them)."""
    wanted = max(3, round(len(plans) * BIRTHDAY_SHARE))
    candidates = [p for p in plans if p.is_full and not p.account]
    rng.shuffle(candidates)
    moved = 0
    for plan in candidates:
        if moved >= wanted:
            break
        join = plan.values["join_date"]
        for year in (join.year, join.year + 1, join.year - 1):
            try:
                day = date(year, today.month, today.day)
            except ValueError:  # 29 February in a common year
                continue
            if age_on(plan.values["birth_date"], day) >= 18 and day <= add_months(today, -12):
                plan.values["join_date"] = day
                plan.values["full_date"] = add_months(day, 12)
                moved += 1
                break


# --- committee seats ------------------------------------------------------------------------

_BRANCH_COMMITTEE = (
    CommitteePost.SECRETARY,
    CommitteePost.ORGANISATION_MEMBER,
    CommitteePost.PUBLICITY_MEMBER,
    CommitteePost.DISCIPLINE_MEMBER,
)
_FULL_COMMITTEE = (
    CommitteePost.SECRETARY,
    CommitteePost.DEPUTY_SECRETARY,
    CommitteePost.ORGANISATION_MEMBER,
    CommitteePost.PUBLICITY_MEMBER,
    CommitteePost.DISCIPLINE_MEMBER,
)
# ORG-021: part-time members of the 大工委 from resident units, kept by name only
_OUTSIDE_MEMBERS = {"D01-S01": ("周国平", "钱立群"), "D01-S02": ("郑海川", "冯淑敏"), "D01-S01-C02": ("邱文斌",)}
# community committees with a part-time 委员 whose 组织关系 is in the 国企 branch (ORG-021)
_PART_TIME_FROM_SOE = ("D01-S01-C01", "D01-S02-C01")


def _seats(rng: random.Random, orgs: list[OrgPlan], plans: list[MemberPlan], today: date) -> list[SeatPlan]:
    by_org: dict[str, list[MemberPlan]] = {}
    for plan in plans:
        by_org.setdefault(plan.org_code, []).append(plan)
    used: set[str] = set()
    seats: list[SeatPlan] = []

    def pick(codes: list[str], count: int) -> list[MemberPlan]:
        """``count`` members of ``codes`` for a committee: the fittest first, then any full member."""
        pool = [p for code in codes for p in by_org.get(code, []) if p.id_number not in used and p.is_full and not p.account]
        rng.shuffle(pool)
        pool.sort(key=lambda p: not _can_serve(p, today))  # stable: shuffled within each half
        chosen = pool[: max(count, 0)]
        used.update(p.id_number for p in chosen)
        return chosen

    # branches first, so their own committees come from their own members before the committees above pick
    for org in sorted(orgs, key=lambda o: -o.code.count("-")):
        if org.kind == OrgKind.BUILDING_GROUP:
            continue  # 党小组组长 seats: see the report on appoint_seat (organisations.services)
        started = org.term_started_on or add_months(today, -rng.randint(6, 30))
        subtree = [o.code for o in orgs if o.code.startswith(org.code + "-") and o.holds_members]
        if org.holds_members:
            full = org.fixed[0] if org.fixed else sum(1 for p in by_org.get(org.code, []) if p.is_full)
            if org.seats == "secretary_only":
                posts: tuple[str, ...] = (CommitteePost.SECRETARY,)
            elif full >= COMMITTEE_THRESHOLD or org.seats == "secretary_left":
                posts = _BRANCH_COMMITTEE + ((CommitteePost.DEPUTY_SECRETARY,) if full >= 30 else ())
            else:
                posts = (CommitteePost.SECRETARY, CommitteePost.ORGANISATION_MEMBER)[: 2 if full >= 5 else 1]
            holders = _account_holders(by_org.get(org.code, []), used) if org.code == SECRETARY_BRANCH else []
            holders += pick([org.code], len(posts) - len(holders))
        elif org.kind == OrgKind.GENERAL_BRANCH:
            posts = _FULL_COMMITTEE[:1] + _FULL_COMMITTEE[2:4]
            holders = pick(subtree, len(posts))
        else:
            posts = _FULL_COMMITTEE
            preferred = [f"{ROOT_CODE}-J01"] if org.code == ROOT_CODE else []
            holders = pick(preferred, len(posts)) if preferred else []
            holders += pick(subtree, len(posts) - len(holders))
        for post, holder in zip(posts, holders, strict=False):
            ended = None
            if org.seats == "secretary_left" and post == CommitteePost.SECRETARY:
                ended = add_months(today, -2)  # 书记调离: the seat stays empty (ORG-010)
            seats.append(SeatPlan(org_code=org.code, post=post, started_on=started, member_id_number=holder.id_number, ended_on=ended))
        for name in _OUTSIDE_MEMBERS.get(org.code, ()):
            seats.append(
                SeatPlan(org_code=org.code, post=CommitteePost.COMMITTEE_MEMBER, started_on=started, person_name=name, is_part_time=True)
            )
        if org.code in _PART_TIME_FROM_SOE:
            for holder in pick([f"{ROOT_CODE}-Q01"], 1):
                holder.values["is_part_time_committee"] = True
                seats.append(
                    SeatPlan(
                        org_code=org.code,
                        post=CommitteePost.COMMITTEE_MEMBER,
                        started_on=started,
                        member_id_number=holder.id_number,
                        is_part_time=True,
                    )
                )
    return seats


def _account_holders(pool: list[MemberPlan], used: set[str]) -> list[MemberPlan]:
    """The demo secretary 李红梅 holds the 书记 seat of her branch."""
    secretary = [p for p in pool if p.account == "shuji"]
    used.update(p.id_number for p in secretary)
    return secretary


def _can_serve(plan: MemberPlan, today: date) -> bool:
    """The fittest committee members: 28–65, reachable, not exempt."""
    v = plan.values
    return 28 <= age_on(v["birth_date"], today) <= 65 and not v["is_flowing"] and v["lost_contact_since"] is None and not v["is_exempt"]


def health_story() -> dict[str, tuple[str, ...]]:
    """Organisation code -> the findings it is built to show (without 应建必建, which is per area)."""
    rng = random.Random(0)
    return {o.code: o.expect for o in _organisations(rng, date(2026, 1, 1)) if o.expect}
