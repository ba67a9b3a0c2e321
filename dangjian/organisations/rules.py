"""Organisation rules (DOMAIN.md §3, ORG-xxx). Numbers live here and nowhere else."""

from __future__ import annotations

from datetime import date

from dangjian.core.dates import add_months
from dangjian.core.rules import Rule, Severity

from .choices import (
    ALLOWED_PARENTS,
    COMMITTEE_KINDS,
    GROUP_KINDS,
    MEMBER_HOLDING_KINDS,
    OrgKind,
    Sector,
)

BRANCH_MIN_FULL_MEMBERS = 3
BRANCH_MAX_MEMBERS = 50
COMMITTEE_THRESHOLD = 7
JOINT_BRANCH_MAX_UNITS = 5
TERM_REMIND_MONTHS = 6
ELECTION_SHIFT_MAX_MONTHS = 12

ORG_001 = Rule(
    "ORG-001",
    source="《中国共产党支部工作条例（试行）》第四条、党章第三十条",
    message="正式党员{full}人，少于{minimum}人，不足以单独成立党支部，应组建联合党支部或由上级党组织兜底管理",
    severity=Severity.FLAG,
    params={"minimum": BRANCH_MIN_FULL_MEMBERS},
)
ORG_002 = Rule(
    "ORG-002",
    source="《中国共产党支部工作条例（试行）》第四条",
    message="“{unit}”有正式党员{full}人（党员共{total}人），尚未建立党组织，应建必建",
    severity=Severity.FLAG,
    params={"minimum": BRANCH_MIN_FULL_MEMBERS},
)
ORG_004 = Rule(
    "ORG-004",
    source="《中国共产党支部工作条例（试行）》第五条",
    message="联合党支部覆盖{units}个单位，一般不超过{maximum}个",
    severity=Severity.WARN,
    params={"maximum": JOINT_BRANCH_MAX_UNITS},
)
ORG_005 = Rule(
    "ORG-005",
    source="《中国共产党支部工作条例（试行）》第四条",
    message="党员{total}人（含预备党员），超过{maximum}人，属超大支部，应考虑分设支部或升格为党总支",
    severity=Severity.FLAG,
    params={"maximum": BRANCH_MAX_MEMBERS},
)
ORG_009 = Rule(
    "ORG-009",
    source="《中国共产党支部工作条例（试行）》第六章",
    message="正式党员{full}人（{threshold}人以上），应设立支部委员会（3至5人），现有委员{seats}人",
    severity=Severity.FLAG,
    params={"threshold": COMMITTEE_THRESHOLD},
)
ORG_010 = Rule(
    "ORG-010",
    source="《中国共产党支部工作条例（试行）》第六章",
    message="未配备书记",
    severity=Severity.FLAG,
)
ORG_011 = Rule(
    "ORG-011",
    source="中办《关于党的基层组织任期的意见》、党章第三十一条",
    message="任期{years}年，本届应于{end}届满",
    severity=Severity.BLOCK,
)
ORG_013 = Rule(
    "ORG-013",
    source="中办《关于党的基层组织任期的意见》",
    message="届满日期{end}与法定任期届满日{legal_end}相差超过1年，提前或延期换届不得超过1年",
    severity=Severity.BLOCK,
)
ORG_014 = Rule(
    "ORG-014",
    source="中办《关于党的基层组织任期的意见》及区委规定",
    message="本届任期将于{end}届满（不足{months}个月），请提前做好换届准备",
    severity=Severity.REMIND,
    params={"months": TERM_REMIND_MONTHS},
)
ORG_014_OVERDUE = Rule(
    "ORG-014",
    variant="overdue",
    source="中办《关于党的基层组织任期的意见》",
    message="本届任期已于{end}届满，已逾期{days}天未换届",
    severity=Severity.FLAG,
)
ORG_017 = Rule(
    "ORG-017",
    source="本平台设计（党员组织关系只能隶属于党支部）",
    message="“{org}”为{kind}，不能直接管理党员组织关系，请选择党支部",
)
ORG_021 = Rule(
    "ORG-021",
    source="区委“大党委”“大工委”兼职委员制度",
    message="{person}的组织关系不在“{org}”，只能作为兼职委员任职，请勾选“兼职委员”",
)
ORG_019 = Rule(
    "ORG-019",
    source="区委组织体系设置（街道党工委—社区党委—网格党支部—楼院党小组）",
    message="{kind}不能设在{parent_kind}之下",
)


def term_years(kind: str, sector: str) -> int | None:
    """ORG-011: basic committees and community organisations 5 years; other 总支/支部 3 years."""
    if kind in GROUP_KINDS or kind == OrgKind.STREET_WORKING_COMMITTEE:
        return None  # groups have no term; 街道党工委 is appointed (DOMAIN.md §11.3)
    if kind in COMMITTEE_KINDS:
        return 5
    if sector == Sector.COMMUNITY:
        return 5
    return 3


def legal_term_end(*, kind: str, sector: str, started_on: date) -> date | None:
    years = term_years(kind, sector)
    return add_months(started_on, 12 * years) if years else None


def check_term_end(*, kind: str, sector: str, started_on: date | None, ends_on: date | None) -> None:
    """ORG-013: a term may end early or late by at most one year against ORG-011."""
    if started_on is None or ends_on is None:
        return
    legal_end = legal_term_end(kind=kind, sector=sector, started_on=started_on)
    if legal_end is None:
        return
    low, high = add_months(legal_end, -ELECTION_SHIFT_MAX_MONTHS), add_months(legal_end, ELECTION_SHIFT_MAX_MONTHS)
    if not (low <= ends_on <= high):
        raise ORG_013.violation(field="term_ends_on", end=ends_on, legal_end=legal_end)


def check_parent_kind(*, kind: str, parent_kind: str | None) -> None:
    """ORG-019: the levels of the tree (a group under a branch, a branch under a committee…)."""
    allowed = ALLOWED_PARENTS.get(kind, frozenset())
    if parent_kind is None:
        if kind != OrgKind.DISTRICT_COMMITTEE:
            raise ORG_019.violation(field="parent", kind=OrgKind(kind).label, parent_kind="（无上级）")
        return
    if parent_kind not in allowed:
        raise ORG_019.violation(field="parent", kind=OrgKind(kind).label, parent_kind=OrgKind(parent_kind).label)


def check_holds_members(*, kind: str, name: str) -> None:
    """ORG-017: only branch kinds hold members."""
    if kind not in MEMBER_HOLDING_KINDS:
        raise ORG_017.violation(field="organisation", org=name, kind=OrgKind(kind).label)
