"""Rules of bases and bookings (DOMAIN.md §9.4 BASE-001, BASE-002; STAT-009 counts).

DOMAIN.md has one ID for the booking rule (BASE-002); each check is a named variant with its own
Chinese message, so a refusal says exactly what is wrong and what to do. The checks are pure
functions of their arguments; the services call them inside the booking transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from dangjian.core.rules import Rule, Severity

SOURCE = "本区开放式组织生活基地工作机制（种子材料002、004）"

# --- BASE-001: a base as registered ------------------------------------------------------------------

BASE_CAPACITY = Rule(
    id="BASE-001",
    variant="capacity",
    source=SOURCE,
    message="基地容纳人数须为正整数（现为{capacity}）",
)
ACTIVITY_CAPACITY = Rule(
    id="BASE-001",
    variant="activity_capacity",
    source=SOURCE,
    message="活动“{activity}”每批最多{activity_capacity}人，超过了基地容纳人数{capacity}人；请调低活动人数或先调高基地容纳人数",
)
ACTIVITY_DURATION = Rule(
    id="BASE-001",
    variant="activity_duration",
    source=SOURCE,
    message="活动“{activity}”时长{minutes}分钟，须为正数且是时段长度{slot}分钟的整数倍",
)
HOURS_ORDER = Rule(
    id="BASE-001",
    variant="hours",
    source=SOURCE,
    message="{weekday}的开放时间{opens}–{closes}不对：关闭时间须晚于开放时间，且都落在{slot}分钟的整点时段上（如 09:00、09:30）",
)
HOURS_OVERLAP = Rule(
    id="BASE-001",
    variant="hours_overlap",
    source=SOURCE,
    message="{weekday}的开放时间{first}与{second}重叠，请合并为一段或错开",
)
CAPACITY_BELOW_BOOKED = Rule(
    id="BASE-001",
    variant="capacity_below_booked",
    source=SOURCE,
    message="不能把容纳人数调低到{capacity}人：{slot}已预约{booked}人。请先与预约的党组织协商调整",
)

# --- BASE-002: a booking -----------------------------------------------------------------------------

HEADCOUNT_POSITIVE = Rule(
    id="BASE-002",
    variant="headcount_positive",
    source=SOURCE,
    message="预约人数须至少1人（现为{headcount}）",
)
OVER_ACTIVITY_CAPACITY = Rule(
    id="BASE-002",
    variant="activity_capacity",
    source=SOURCE,
    message="活动“{activity}”每批最多{capacity}人，预约了{headcount}人；请分批预约",
)
OVER_BASE_CAPACITY = Rule(
    id="BASE-002",
    variant="base_capacity",
    source=SOURCE,
    message="{base}最多容纳{capacity}人，预约了{headcount}人；请分批预约",
)
SLOT_GRID = Rule(
    id="BASE-002",
    variant="slot_grid",
    source=SOURCE,
    message="开始时间{start}不在{base}的预约时段上：时段每{slot}分钟一个（如 09:00、09:30），请从时段表中选择",
)
PAST_TIME = Rule(
    id="BASE-002",
    variant="past_time",
    source=SOURCE,
    message="{start}已经过去，不能预约过去的时段",
)
CLOSED_DATE = Rule(
    id="BASE-002",
    variant="closed_date",
    source=SOURCE,
    message="{base}在{day}闭馆（{reason}），请改约其他日期",
)
OUTSIDE_HOURS = Rule(
    id="BASE-002",
    variant="outside_hours",
    source=SOURCE,
    message="{start}–{end}不在{base}的开放时间内（{weekday}：{hours}）",
)
NOTICE_TOO_SHORT = Rule(
    id="BASE-002",
    variant="notice_too_short",
    source=SOURCE,
    message="{base}须至少提前{hours}小时预约；{start}开始的时段已不能预约",
)
NOTICE_TOO_LONG = Rule(
    id="BASE-002",
    variant="notice_too_long",
    source=SOURCE,
    message="{base}最多可提前{days}天预约；{start}要到{opens_on}以后才能预约",
)
MONTHLY_QUOTA = Rule(
    id="BASE-002",
    variant="monthly_quota",
    source=SOURCE,
    message="{org}在{month}已预约{base}{count}次，达到每月{quota}次的上限",
)
SLOT_FULL = Rule(
    id="BASE-002",
    variant="slot_full",
    source=SOURCE,
    message="时段已满：{base}在{slot}只剩{free}个名额，不够{headcount}人；请选择其他时段或减少人数",
)
NOT_A_BRANCH = Rule(
    id="BASE-002",
    variant="branch",
    source=SOURCE,
    message="预约须以党支部名义提交（一个支部、一个时段）；“{org}”不是党支部",
)
INACTIVE = Rule(
    id="BASE-002",
    variant="inactive",
    source=SOURCE,
    message="{what}目前不接受预约",
)
CANCEL_TOO_LATE = Rule(
    id="BASE-002",
    variant="cancel_cutoff",
    source=SOURCE,
    message="{base}须在开始前{hours}小时以前取消（截止{cutoff}）；现已不能在线取消，请直接联系基地管理员",
)
DECLINE_REASON = Rule(
    id="BASE-002",
    variant="decline_reason",
    source=SOURCE,
    message="不通过预约须写明原因，以便预约的党支部改约",
)
STATE_CHANGED = Rule(
    id="BASE-002",
    variant="state",
    source=SOURCE,
    message="该预约当前为“{status}”，不能{action}（可能已被他人处理，请刷新页面）",
)
CHECKIN_WINDOW = Rule(
    id="BASE-002",
    variant="checkin_window",
    source=SOURCE,
    message="签到时间为{opens}至{closes}，现在不能签到",
)
PARTICIPANTS_REQUIRED = Rule(
    id="BASE-002",
    variant="participants_required",
    source=SOURCE,
    message="签到前须登记参加人员（预约时可不填，签到时必须有）；请预约的党支部在预约详情里填写参加人员",
)
PARTICIPANTS_OVER_HEADCOUNT = Rule(
    id="BASE-002",
    variant="participants_over_headcount",
    source=SOURCE,
    message="参加人员{count}人，多于预约人数{headcount}人；请先减少参加人员",
)
WRONG_CODE = Rule(
    id="BASE-002",
    variant="check_code",
    source=SOURCE,
    message="签到码“{code}”不对，或不是本基地今天的预约；请核对预约单上的签到码",
)
NO_SHOW = Rule(
    id="BASE-002",
    variant="no_show",
    source=SOURCE,
    message="签到时间结束仍未签到，记为未到场",
    severity=Severity.COUNT,
)
# STAT-009: 受理开放式组织生活基地网上预约X批 — bookings not withdrawn before the keeper's decision
ACCEPTED_BOOKINGS = Rule(
    id="STAT-009",
    source="区委组织部统计口径（种子材料002、004）",
    message="受理开放式组织生活基地网上预约{count}批（通过{approved}批，其中未到场{no_show}批；未通过{declined}批）",
    severity=Severity.COUNT,
)


def _at(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def check_headcount(*, headcount: int, activity: str, activity_capacity: int, base: str, base_capacity: int) -> None:
    """Headcount ≥ 1 and within both the activity's and the base's capacity."""
    if headcount is None or headcount <= 0:
        raise HEADCOUNT_POSITIVE.violation(field="headcount", headcount=headcount)
    if headcount > activity_capacity:
        raise OVER_ACTIVITY_CAPACITY.violation(field="headcount", activity=activity, capacity=activity_capacity, headcount=headcount)
    if headcount > base_capacity:
        raise OVER_BASE_CAPACITY.violation(field="headcount", base=base, capacity=base_capacity, headcount=headcount)


def check_notice(*, base: str, start: datetime, now: datetime, min_hours: int, max_days: int) -> None:
    """Not in the past, not sooner than the minimum notice, not further ahead than the maximum."""
    if start <= now:
        raise PAST_TIME.violation(field="starts_at", start=_at(start))
    if start < now + timedelta(hours=min_hours):
        raise NOTICE_TOO_SHORT.violation(field="starts_at", base=base, hours=min_hours, start=_at(start))
    if start > now + timedelta(days=max_days):
        opens_on = timezone.localtime(start - timedelta(days=max_days))
        raise NOTICE_TOO_LONG.violation(
            field="starts_at", base=base, days=max_days, start=_at(start), opens_on=f"{opens_on:%Y-%m-%d %H:%M}"
        )


def check_quota(*, org: str, base: str, month: str, count: int, quota: int) -> None:
    """At most ``quota`` bookings of this base per organisation per calendar month (0 = no limit)."""
    if quota and count >= quota:
        raise MONTHLY_QUOTA.violation(field="starts_at", org=org, base=base, month=month, count=count, quota=quota)


def check_cancel_cutoff(*, base: str, start: datetime, now: datetime, hours: int) -> None:
    cutoff = start - timedelta(hours=hours)
    if now > cutoff:
        raise CANCEL_TOO_LATE.violation(base=base, hours=hours, cutoff=_at(cutoff))


def checkin_window(start: datetime, minutes: int) -> tuple[datetime, datetime]:
    """Check-in opens an hour before the start and closes ``minutes`` after it."""
    return start - timedelta(hours=1), start + timedelta(minutes=minutes)


def check_checkin_window(*, start: datetime, now: datetime, minutes: int) -> None:
    opens, closes = checkin_window(start, minutes)
    if not opens <= now <= closes:
        raise CHECKIN_WINDOW.violation(opens=_at(opens), closes=_at(closes))
