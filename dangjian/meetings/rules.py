"""Organisational-life rules (DOMAIN.md §4 LIFE-xxx, and ORG-016 for the quorum of 支部党员大会).

Frequencies live here and nowhere else: ``FREQUENCY_MONTHS`` says how many calendar months one
required record covers per kind (1 = monthly, 3 = per quarter, 12 = per year). 党课 follows the
district setting (LIFE-004, ``LifeSettings.lecture_months``); a setting may tighten the national
floor of once a year, never loosen it.
"""

from __future__ import annotations

from datetime import datetime

from dangjian.core.rules import Rule, Severity

from .choices import MeetingKind

ZHIBU = "《中国共产党支部工作条例（试行）》"
JIAOYU = "《中国共产党党员教育管理工作条例》"

# --- compliance frequencies (Flag findings, one per branch and period) ----------------------------

LIFE_001 = Rule(
    "LIFE-001",
    source=f"{ZHIBU}第十七条",
    message="{period}未召开支部党员大会（一般每季度召开一次）",
    severity=Severity.FLAG,
)
LIFE_002 = Rule(
    "LIFE-002",
    source=f"{ZHIBU}第十七条",
    message="{period}未召开支委会（设支部委员会的党支部一般每月召开一次）",
    severity=Severity.FLAG,
)
LIFE_003 = Rule(
    "LIFE-003",
    source=f"{ZHIBU}第十七条",
    message="党小组“{group}”{period}未召开党小组会（一般每月召开一次）",
    severity=Severity.FLAG,
)
LIFE_004 = Rule(
    "LIFE-004",
    source=f"{ZHIBU}第十七条及本区规定",
    message="{period}未上党课（本区规定{frequency}，每年至少一次）",
    severity=Severity.FLAG,
)
LIFE_005 = Rule(
    "LIFE-005",
    source=f"{JIAOYU}第十六条",
    message="{period}未开展主题党日（每月一次）",
    severity=Severity.FLAG,
)
LIFE_006 = Rule(
    "LIFE-006",
    source=f"{JIAOYU}第十七条、{ZHIBU}第十七条",
    message="{period}未召开组织生活会（每年至少一次，一般在第四季度）",
    severity=Severity.FLAG,
)
LIFE_007 = Rule(
    "LIFE-007",
    source=f"{JIAOYU}第十八条",
    message="{period}未开展民主评议党员（每年一次）",
    severity=Severity.FLAG,
)
LIFE_008 = Rule(
    "LIFE-008",
    source="谈心谈话制度",
    message="{period}已与{done}名党员谈心谈话，应谈{total}名，尚有{missing}名未谈（每人每年至少一次）",
    severity=Severity.FLAG,
)
LIFE_010 = Rule(
    "LIFE-010",
    source=f"{JIAOYU}第二十三条",
    message="不作硬性要求的党员（年老、体弱、患病）{count}名，不计入应到人数，缺席不计为缺勤",
    severity=Severity.COUNT,
)
LIFE_011 = Rule(
    "LIFE-011",
    source=f"{JIAOYU}第三十二条、第三十三条",
    message="流动党员{count}名在流入地参加组织生活，不计入应到人数，缺席不计为缺勤",
    severity=Severity.COUNT,
)

# --- the record and its review (LIFE-015) ---------------------------------------------------------

LIFE_015_FUTURE = Rule(
    "LIFE-015",
    variant="future",
    source="组织生活记录和线上审核制度",
    message="会议开始时间{starts}还未到，尚未召开的会议不能作为已召开的记录提交审核；请在会后提交",
)
LIFE_015_ATTENDEE = Rule(
    "LIFE-015",
    variant="attendee",
    source="组织生活记录和线上审核制度",
    message="“{name}”不是{where}的党员，不能登记为出席人员；非本支部人员请填在“列席人员”中",
)
LIFE_015_LOCKED = Rule(
    "LIFE-015",
    variant="locked",
    source="组织生活记录和线上审核制度",
    message="该记录{status}，不能直接修改；{hint}",
)
LIFE_015_TRANSITION = Rule(
    "LIFE-015",
    variant="transition",
    source="组织生活记录和线上审核制度",
    message="状态为“{status}”的记录不能{action}",
)
LIFE_015_TAKEN = Rule(
    "LIFE-015",
    variant="taken",
    source="组织生活记录和线上审核制度",
    message="该记录已被他人处理（当前状态：{status}），本次{action}未生效，请刷新后查看",
)
LIFE_015_COMMENT = Rule(
    "LIFE-015",
    variant="comment",
    source="组织生活记录和线上审核制度",
    message="退回时须填写审核意见，说明需要修改的内容",
)
LIFE_015_REASON = Rule(
    "LIFE-015",
    variant="reason",
    source="组织生活记录和线上审核制度",
    message="更正已审核通过的记录须填写更正原因",
)
LIFE_015_NO_CHANGE = Rule(
    "LIFE-015",
    variant="no_change",
    source="组织生活记录和线上审核制度",
    message="没有修改任何内容，未生成更正记录",
)
LIFE_015_GROUP = Rule(
    "LIFE-015",
    variant="group",
    source="组织生活记录和线上审核制度",
    message="党小组会须选择召开的党小组",
)
LIFE_015_ABSENCE = Rule(
    "LIFE-015",
    variant="absence",
    source="组织生活记录和线上审核制度",
    message="“{name}”登记为缺席，请选择缺席原因",
)
ORG_016_QUORUM = Rule(
    "ORG-016",
    variant="meeting_quorum",
    source="《中国共产党基层组织选举工作条例》及党章有关规定",
    message="支部党员大会作出决定须有半数以上有表决权的正式党员到会：应到{expected}人，实到{present}人，不足{needed}人；"
    "请核对出席情况，或删去“决定事项”",
)

# --- 调阅, reminders, check-in --------------------------------------------------------------------

LIFE_016 = Rule(
    "LIFE-016",
    source="三会一课线上调阅制度（STAT-008）",
    message="调阅三会一课记录{count}条（涉及记录{records}条）",
    severity=Severity.COUNT,
)
LIFE_017 = Rule(
    "LIFE-017",
    source="重点工作提醒单制度",
    message="{month}重点工作提醒：本月应完成{due}项，逾期未完成{overdue}项",
    severity=Severity.REMIND,
)
LIFE_022_NOT_OPEN = Rule(
    "LIFE-022",
    variant="not_open",
    source="减轻基层负担有关规定（不搞打卡签到）",
    message="扫码签到只在会议召开时开放（开始前{before}分钟至结束后{after}分钟）；本次会议{when}",
)
LIFE_022_EXPIRED = Rule(
    "LIFE-022",
    variant="expired",
    source="减轻基层负担有关规定（不搞打卡签到）",
    message="签到码已过期（会议已于{ended}结束）；如确实参加了会议，请联系党支部书记登记",
)
LIFE_022_FORGED = Rule(
    "LIFE-022",
    variant="forged",
    source="减轻基层负担有关规定（不搞打卡签到）",
    message="签到码无效，请重新扫描书记出示的二维码或核对签到码",
)
LIFE_022_REUSED = Rule(
    "LIFE-022",
    variant="reused",
    source="减轻基层负担有关规定（不搞打卡签到）",
    message="您已于{at}签到，每人每次会议只签到一次",
)
LIFE_022_OTHER_BRANCH = Rule(
    "LIFE-022",
    variant="other_branch",
    source="减轻基层负担有关规定（不搞打卡签到）",
    message="这是{branch}的会议，您的组织关系不在该支部，不能签到；如为列席，请告知会议记录人",
)

# how many months one required record covers, per kind (LIFE-001..007); 党课 from LifeSettings
FREQUENCY_MONTHS: dict[str, int] = {
    MeetingKind.BRANCH_GENERAL_MEETING: 3,
    MeetingKind.COMMITTEE_MEETING: 1,
    MeetingKind.GROUP_MEETING: 1,
    MeetingKind.THEMED_DAY: 1,
    MeetingKind.LIFE_MEETING: 12,
    MeetingKind.MEMBER_APPRAISAL: 12,
    MeetingKind.TALK: 12,
}
RULE_BY_KIND: dict[str, Rule] = {
    MeetingKind.BRANCH_GENERAL_MEETING: LIFE_001,
    MeetingKind.COMMITTEE_MEETING: LIFE_002,
    MeetingKind.GROUP_MEETING: LIFE_003,
    MeetingKind.PARTY_LECTURE: LIFE_004,
    MeetingKind.THEMED_DAY: LIFE_005,
    MeetingKind.LIFE_MEETING: LIFE_006,
    MeetingKind.MEMBER_APPRAISAL: LIFE_007,
    MeetingKind.TALK: LIFE_008,
}
# a branch "has a committee" (LIFE-002) when it has at least this many current seats other than group leaders
COMMITTEE_MIN_SEATS = 3
# LIFE-022: the check-in window around the meeting
CHECKIN_OPENS_BEFORE_MINUTES = 30
CHECKIN_CLOSES_AFTER_MINUTES = 30


def check_not_future(*, starts_at: datetime, now: datetime) -> None:
    """LIFE-015: a record submitted as held cannot start in the future."""
    if starts_at > now:
        raise LIFE_015_FUTURE.violation(field="starts_at", starts=f"{starts_at.astimezone():%Y-%m-%d %H:%M}")


def check_quorum(*, expected: int, present: int) -> None:
    """ORG-016: a 支部党员大会 that decides something needs more than half the voting members present."""
    needed = expected // 2 + 1
    if expected and present < needed:
        raise ORG_016_QUORUM.violation(field="decisions", expected=expected, present=present, needed=needed)
