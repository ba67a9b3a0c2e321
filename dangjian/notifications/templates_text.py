"""Message texts: the placeholders each kind offers, the default texts, checking and rendering.

A template is plain text with ``{name}``-style placeholders. Rendering substitutes known names only
(never ``str.format``: a template edited in the browser must not reach attributes or indexes), and a
template naming a placeholder its kind does not offer is refused with that placeholder named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dangjian.core.rules import RuleViolation

from .choices import MessageKind

# one placeholder: {identifier}; anything else between braces is refused as unknown
_TOKEN = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Placeholder:
    name: str
    label: str
    sample: str


def _p(name: str, label: str, sample: str) -> Placeholder:
    return Placeholder(name, label, sample)


NAME = _p("name", "接收人姓名", "张伟")

# Placeholders each kind offers, in the order the editor lists them. ``name`` is always the
# recipient's own name; a caller of ``services.notify`` supplies the others in ``context``.
PLACEHOLDERS: dict[str, tuple[Placeholder, ...]] = {
    MessageKind.POLITICAL_BIRTHDAY: (
        NAME,
        _p("years", "第几个政治生日（数字）", "12"),
        _p("join_date", "入党日期", "2014年7月1日"),
    ),
    MessageKind.STUDY_TOPIC: (
        NAME,
        _p("title", "专题标题", "深入学习贯彻党的二十届四中全会精神"),
        _p("org", "推送组织", "甲一社区党委"),
    ),
    MessageKind.GENERAL: (
        NAME,
        _p("title", "通知标题", "关于开展主题党日活动的通知"),
        _p("content", "通知内容", "请于本周五下午到社区党群服务中心参加活动。"),
        _p("org", "发出组织", "甲一社区党委"),
    ),
    MessageKind.MEETING_REMINDER: (
        NAME,
        _p("meeting", "会议名称", "11月支部党员大会"),
        _p("time", "会议时间", "11月28日 14:30"),
        _p("place", "会议地点", "社区党群服务中心二楼会议室"),
        _p("org", "召开组织", "甲一社区第一网格党支部"),
    ),
    MessageKind.TRANSFER_REMINDER: (
        NAME,
        _p("title", "事项", "组织关系转入待接收"),
        _p("deadline", "办理期限", "12月5日"),
        _p("org", "办理组织", "甲一社区党委"),
    ),
    MessageKind.BOOKING_REMINDER: (
        NAME,
        _p("base", "阵地名称", "和平里党群服务中心"),
        _p("time", "预约时段", "12月1日 09:00–11:00"),
        _p("status", "预约结果", "已通过"),
    ),
    MessageKind.TASK_REMINDER: (
        NAME,
        _p("task", "任务名称", "报送第四季度党费收缴情况"),
        _p("deadline", "截止日期", "12月20日"),
        _p("org", "交办组织", "甲街道党工委"),
    ),
}

# Default texts (seeded by migration 0002; the district admin edits them). Titles are for the
# inbox; SMS carries only the body.
DEFAULT_TEXTS: dict[str, tuple[str, str]] = {
    MessageKind.POLITICAL_BIRTHDAY: (
        "政治生日祝福",
        "{name}同志：今天是您的第{years}个政治生日。{join_date}，您在党旗下庄严宣誓，从此与党同心同行。"
        "感谢您多年来对党的忠诚与奉献，愿您不忘初心、牢记使命，继续发挥先锋模范作用。党组织祝您政治生日快乐！",
    ),
    MessageKind.STUDY_TOPIC: (
        "学习专题：{title}",
        "{name}同志：{org}推送了党建学习专题《{title}》，请登录党建服务平台查看。",
    ),
    MessageKind.GENERAL: (
        "{title}",
        "{name}同志：{content}（{org}）",
    ),
    MessageKind.MEETING_REMINDER: (
        "组织生活提醒：{meeting}",
        "{name}同志：{org}定于{time}在{place}召开{meeting}，请准时参加。如不能参加，请提前向党支部请假。",
    ),
    MessageKind.TRANSFER_REMINDER: (
        "组织关系接转提醒：{title}",
        "{name}同志：{title}，请于{deadline}前到{org}办理。",
    ),
    MessageKind.BOOKING_REMINDER: (
        "阵地预约提醒：{base}",
        "{name}同志：您预约的{base}（{time}）{status}。",
    ),
    MessageKind.TASK_REMINDER: (
        "任务到期提醒：{task}",
        "{name}同志：{org}交办的“{task}”将于{deadline}到期，请按时完成。",
    ),
}


class TemplateInvalid(RuleViolation):
    """A template text that cannot be saved (unknown placeholder, stray brace, empty)."""

    def __init__(self, message: str, *, field: str = "body") -> None:
        super().__init__(None, message, field=field)


def placeholders_for(kind: str) -> tuple[Placeholder, ...]:
    try:
        return PLACEHOLDERS[kind]
    except KeyError:
        raise TemplateInvalid(f"没有“{kind}”这种消息类型。", field="kind") from None


def placeholder_list(kind: str) -> str:
    """``{name}、{years}、{join_date}``: the editor's hint and the error's list."""
    return "、".join(f"{{{p.name}}}" for p in placeholders_for(kind))


def used_placeholders(text: str) -> list[str]:
    """Names between braces in order of first use (duplicates dropped)."""
    seen: list[str] = []
    for token in _TOKEN.findall(text or ""):
        if token not in seen:
            seen.append(token)
    return seen


def check_text(kind: str, text: str, *, field: str = "body", label: str = "正文") -> None:
    """Refuse unknown placeholders (named) and braces that open or close nothing."""
    allowed = {p.name for p in placeholders_for(kind)}
    unknown = [token for token in used_placeholders(text) if token not in allowed]
    if unknown:
        names = "、".join(f"{{{token}}}" for token in unknown)
        raise TemplateInvalid(f"模板{label}中的占位符{names}不存在，可用的占位符：{placeholder_list(kind)}", field=field)
    stray = _TOKEN.sub("", text or "")
    if "{" in stray or "}" in stray:
        raise TemplateInvalid(
            f"模板{label}中有不成对的花括号“{{”或“}}”；占位符须写成{{name}}这样的形式，可用的占位符：{placeholder_list(kind)}",
            field=field,
        )


def validate(kind: str, body: str, title: str = "") -> None:
    if not (body or "").strip():
        raise TemplateInvalid("模板正文不能为空，请填写要发送的文字。")
    check_text(kind, body)
    check_text(kind, title, field="title", label="标题")


def render(text: str, values: dict[str, Any]) -> str:
    """Substitute ``{placeholder}`` with ``values``; names not in ``values`` stay as written."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return _TOKEN.sub(substitute, text or "")


def missing_values(text: str, values: dict[str, Any]) -> list[str]:
    return [token for token in used_placeholders(text) if token not in values]


def sample_values(kind: str) -> dict[str, str]:
    return {p.name: p.sample for p in placeholders_for(kind)}


def default_text(kind: str) -> tuple[str, str]:
    """(title, body) used when no template row exists for the kind."""
    return DEFAULT_TEXTS.get(kind, ("", "{name}同志：您有一条新通知，请登录党建服务平台查看。"))
