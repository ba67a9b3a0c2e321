"""Transfer rules (DOMAIN.md §6 XFER, with DEV-021 and DUES-011). Numbers live here and nowhere else."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings

from dangjian.core.dates import add_months
from dangjian.core.rules import Rule, Severity
from dangjian.members.rules import DEV_021  # noqa: F401  (probation end, shared with members)

from .choices import TransferScope, TransferState

_XFER = "《中国共产党党员教育管理工作条例》第二十五条"
_LETTER = "《关于党员组织关系介绍信格式的通知》（组通字〔2006〕45号）"

XFER_003 = Rule(
    "XFER-003",
    source="《中国共产党党员教育管理工作条例》第二十四条、第三十四条",
    message="出国（境）定居或学习的党员不办理组织关系转接，由原党组织保留组织关系并定期联系；请选择其他去向",
)
XFER_004 = Rule(
    "XFER-004",
    source=_XFER,
    message="本次转接应由“{approver}”审批，您不在该党组织任职（须为该党组织的党（工）委管理员），不能审批",
)
XFER_005 = Rule("XFER-005", source=_XFER, message="{action}须填写理由，请写明原因")
XFER_006_OPEN = Rule(
    "XFER-006",
    variant="second_open",
    source="本平台设计（同一党员同时只能有一件转接在办）",
    message="{member}已有一件组织关系转接正在办理（{state}），不能重复申请；如需更改，请先撤回原申请",
)
XFER_006_SAME = Rule(
    "XFER-006",
    variant="same_org",
    source="本平台设计（转入组织不能是现所在组织）",
    message="转入组织“{org}”就是{member}现在所在的党组织，无需转接",
)
XFER_006_HOLDS = Rule(
    "XFER-006",
    variant="holds_members",
    source="本平台设计（党员组织关系只能隶属于党支部，ORG-017）",
    message="“{org}”为{kind}，不能接收党员组织关系，请选择该组织下的党支部",
)
XFER_006_NOT_MEMBER = Rule(
    "XFER-006",
    variant="not_member",
    source="本平台设计（只能为本支部现有党员办理转出）",
    message="{member}不是“{org}”的现有党员，不能由该支部办理转出",
)
XFER_006_ACTOR = Rule(
    "XFER-006",
    variant="actor",
    source="本平台设计（每一步只能由负责的党组织办理）",
    message="“{action}”应由{party}办理，您不能办理这一步",
)
XFER_007 = Rule(
    "XFER-007",
    source=_LETTER,
    message="介绍信须写明党费交到的年月，请填写“党费交到”",
)
XFER_008 = Rule(
    "XFER-008",
    source="党员组织关系介绍信有效期规定（实务）",
    message="介绍信有效期{days}天，超过最长{max_months}个月（最多{max_days}天，至{latest}），请缩短有效期",
    params={"max_months": 3},
)
XFER_009 = Rule(
    "XFER-009",
    source=_LETTER,
    message="介绍信{number}的回执逾期未回（有效期至{valid_until}，应于{due}前寄回），请与接收党组织联系",
    severity=Severity.REMIND,
)
XFER_010 = Rule(
    "XFER-010",
    source="党员组织关系介绍信遗失或过期补开规定（实务）",
    message="补开介绍信须说明原因（遗失或过期），原介绍信{number}同时作废",
)
XFER_011 = Rule(
    "XFER-011",
    source="《中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）",
    message="党费只交到{paid}，早于{expected}，请提醒党员补交党费后再转出（接收党组织从下月起收缴）",
    severity=Severity.WARN,
)
XFER_012 = Rule(
    "XFER-012",
    source="《中国共产党发展党员工作细则》第五章",
    message="预备党员转接须写明预备期起止日期（预备期起于{start}，应于{end}期满），接收党支部继续考察并讨论转正",
)
XFER_018 = Rule(
    "XFER-018",
    source="全国党员管理信息系统办理时限（本区设置）",
    message="{step}已等待{days}天，超过办理时限{limit}天",
    severity=Severity.REMIND,
)
DUES_011 = Rule(
    "DUES-011",
    source="本平台设计（党费交到年月）",
    message="“党费交到”应为年月（如2026-11），且不能晚于{latest}",
)
STAT_007 = Rule(
    "STAT-007",
    source="区委组织部党建工作总结（在线接转组织关系X人次）",
    message="在线接转组织关系{count}人次",
    severity=Severity.COUNT,
)

# XFER-008 (P): default validity per scope; the issuer may choose less, never above 3 months
DEFAULT_VALIDITY_DAYS = {
    TransferScope.CITY_OTHER_DISTRICT: 30,
    TransferScope.SAME_PROVINCE: 90,
    TransferScope.OTHER_PROVINCE: 90,
}
MAX_VALIDITY_MONTHS = 3
# XFER-009: receipt back within one month after the letter's validity ends
RECEIPT_MONTHS_AFTER_EXPIRY = 1
# letters about to expire show this many days ahead on the to-do list
EXPIRY_WARNING_DAYS = 7
# XFER-018 (P): per-step limits in days; settings.TRANSFER_STEP_LIMIT_DAYS may change them
DEFAULT_STEP_LIMIT_DAYS = {
    TransferState.APPLIED: 7,
    TransferState.RETURNED: 15,
    TransferState.BRANCH_CONFIRMED: 10,
    TransferState.COMMITTEE_APPROVED: 10,
    TransferState.EXPIRED: 10,
}
PROBATION_MONTHS = 12


def step_limits() -> dict[str, int]:
    """XFER-018 limits: the defaults, overridden per state by ``settings.TRANSFER_STEP_LIMIT_DAYS``."""
    limits = {str(k): v for k, v in DEFAULT_STEP_LIMIT_DAYS.items()}
    limits.update({str(k): int(v) for k, v in (getattr(settings, "TRANSFER_STEP_LIMIT_DAYS", None) or {}).items()})
    return limits


def step_due(state: str, since: date) -> date | None:
    """The last day a step entered on ``since`` is within its XFER-018 limit (None: no limit)."""
    days = step_limits().get(state)
    return since + timedelta(days=days) if days is not None else None


def max_validity_days(issued_on: date) -> int:
    """XFER-008: validity may run at most to the same day three calendar months later (month ends clamp)."""
    return (add_months(issued_on, MAX_VALIDITY_MONTHS) - issued_on).days


def check_validity(days: int, issued_on: date) -> date:
    """Return the last valid day; Block above the maximum (XFER-008)."""
    maximum = max_validity_days(issued_on)
    if days < 1 or days > maximum:
        latest = issued_on + timedelta(days=maximum)
        raise XFER_008.violation(field="valid_days", days=days, max_days=maximum, latest=f"{latest:%Y年%m月%d日}")
    return issued_on + timedelta(days=days)


def receipt_due(valid_until: date) -> date:
    """XFER-009 (D): remind the sender when no receipt is back one month after the letter's expiry."""
    return add_months(valid_until, RECEIPT_MONTHS_AFTER_EXPIRY)


def probation_end(start: date) -> date:
    """DEV-021: probation runs one year from the branch meeting (step 15)."""
    return add_months(start, PROBATION_MONTHS)


def dues_expected(on: date) -> date:
    """XFER-011: dues should be paid at least up to the month before ``on`` (first day of that month)."""
    first = on.replace(day=1)
    return add_months(first, -1)


def dues_warning(paid_up_to: date, on: date) -> str:
    """XFER-011 Warn text, or '' when dues are paid up to the month before ``on`` or later."""
    expected = dues_expected(on)
    if paid_up_to >= expected:
        return ""
    return XFER_011.format(paid=f"{paid_up_to:%Y年%m月}", expected=f"{expected:%Y年%m月}")


def check_dues_month(paid_up_to: date | None, on: date) -> date:
    """DUES-011/XFER-007: a month is given and not in the future beyond next month."""
    if paid_up_to is None:
        raise XFER_007.violation(field="dues_paid_up_to")
    latest = on.replace(day=1)  # no advance payment (DUES-009): at most the current month
    if paid_up_to.day != 1 or paid_up_to > latest:
        raise DUES_011.violation(field="dues_paid_up_to", latest=f"{latest:%Y年%m月}")
    return paid_up_to
