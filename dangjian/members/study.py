"""推送党建学习专题: publishing a study topic to the current members of a subtree, and what may be
known about it afterwards.

The 2026 rules forbid measuring study: no study time, no check-in, no screenshots (LIFE-020,
LIFE-022, LIFE-024), and no ranking of individuals (LIFE-023). So a delivery records only when a
member first opened the topic, and the only read of that is ``study_topic_counts``: delivered and
opened per branch. No function here lists which members opened a topic, and opening is not audited
(an audit row per opening would be exactly such a list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import record_event
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import Scope, path_range, subtree_q
from dangjian.notifications.attachments import check_attachment
from dangjian.notifications.choices import Channel, MessageKind
from dangjian.notifications.models import Message, StudyTopic, StudyTopicDelivery
from dangjian.notifications.services import notify
from dangjian.organisations.selectors import get_organisation_for

from .models import Member
from .notices import recipients_for_members, with_recipient_data
from .selectors import members_visible_to

# who publishes study topics to the members of their subtree
PUBLISH_ROLES = ("district_admin", "org_admin", "branch_secretary")
MAX_LINKS = 20
_URL = URLValidator(schemes=["http", "https"])


def can_publish_study_topic(scope: Scope, org_path: str | None = None) -> bool:
    if org_path is None:
        return scope.is_superuser or bool(scope.paths_for(*PUBLISH_ROLES))
    return scope.covers_path(org_path, roles=PUBLISH_ROLES)


def parse_links(text: str) -> list[str]:
    """One http(s) address per line, blank lines ignored; a bad line is refused with its number."""
    links: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        try:
            _URL(line)
        except Exception:
            raise RuleViolation(
                None,
                f"相关链接第 {number} 行“{line[:60]}”不是有效的网址；请每行填写一个以 http:// 或 https:// 开头的完整网址。",
                field="links",
            ) from None
        if line not in links:
            links.append(line)
    if len(links) > MAX_LINKS:
        raise RuleViolation(None, f"相关链接最多 {MAX_LINKS} 个，现在有 {len(links)} 个；请只保留最重要的。", field="links")
    return links


def current_members_of(scope: Scope, org_path: str) -> QuerySet[Member]:
    """Current members (not left) of the subtree at ``org_path``, read through the caller's scope."""
    return members_visible_to(scope).filter(organisation__path__range=path_range(org_path), left_on__isnull=True)


def publish_study_topic(
    *,
    actor: Any,
    scope: Scope,
    organisation_id: int,
    title: str,
    body: str,
    links: str = "",
    attachment: Any = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> StudyTopic:
    """Publish a topic to every current member of the organisation's subtree: an inbox copy (and,
    if the member chose it, an SMS or WeChat notice; opted-out members get no notice) and one
    delivery per member, filed under the member's own branch. One transaction, one audit row."""
    now = now or timezone.now()
    org = get_organisation_for(scope, organisation_id)  # 404 outside the caller's subtree
    if not can_publish_study_topic(scope, org.path):
        raise PermissionDenied(f"您不能向“{org.name}”推送学习专题：须为该组织（或其上级）的党组织管理员或党支部书记。")
    if org.dissolved_on is not None:
        raise RuleViolation(None, f"“{org.name}”已于 {org.dissolved_on:%Y-%m-%d} 撤销，不能再向其推送学习专题。", field="organisation")
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise RuleViolation(None, "请填写学习专题的标题。", field="title")
    if not body:
        raise RuleViolation(None, "请填写学习专题的正文。", field="body")
    link_list = parse_links(links)
    if attachment:
        check_attachment(attachment)
    stored: list[Any] = []  # the attachment written to storage, removed again if the transaction fails
    try:
        return _publish(actor, scope, org, title, body, link_list, attachment, ip, now, stored)
    except BaseException:
        for field in stored:
            field.storage.delete(field.name)
        raise


def _publish(
    actor: Any,
    scope: Scope,
    org: Any,
    title: str,
    body: str,
    link_list: list[str],
    attachment: Any,
    ip: str | None,
    now: datetime,
    stored: list[Any],
) -> StudyTopic:
    with transaction.atomic():
        members = list(with_recipient_data(current_members_of(scope, org.path)).order_by("organisation__path", "pk"))
        if not members:
            raise RuleViolation(None, f"“{org.name}”及其下级组织没有在册党员，无法推送学习专题。", field="organisation")
        topic = StudyTopic.objects.create(
            title=title,
            body=body,
            links="\n".join(link_list),
            attachment=attachment or "",
            organisation=org,
            published_by=actor if getattr(actor, "pk", None) else None,
            published_at=now,
        )
        if topic.attachment:
            stored.append(topic.attachment)
        sent = notify(
            recipients=recipients_for_members(members, on=timezone.localdate(now)),
            kind=MessageKind.STUDY_TOPIC,
            context={"title": title, "org": org.name},
            dedup_key=f"topic{topic.pk}",
            essential=False,
            link=reverse("study:detail", args=[topic.pk]),
            now=now,
        )
        inbox_copies = {m.recipient_member_id: m.pk for m in sent if m.channel == Channel.INBOX}
        StudyTopicDelivery.objects.bulk_create(
            StudyTopicDelivery(topic=topic, member=member, branch_id=member.organisation_id, inbox_message_id=inbox_copies.get(member.pk))
            for member in members
        )
        record_event(
            actor=actor,
            action=AuditAction.CREATE,
            obj=topic,
            org_path=org.path,
            after={"title": title, "organisation": org.name, "links": len(link_list), "attachment": bool(attachment)},
            detail={"recipients": len(members)},
            ip=ip,
        )
    return topic


def _delivered_to(member_id: int | None) -> Q:
    if not member_id:
        return Q(pk__in=[])
    return Q(Exists(StudyTopicDelivery.objects.filter(topic=OuterRef("pk"), member_id=member_id)))


def _admin_q(scope: Scope) -> Q:
    """Topics published in the caller's subtrees, or reaching members of them from above."""
    if scope.is_superuser:
        return Q()
    paths = list(scope.paths_for(*PUBLISH_ROLES))
    if not paths:
        return Q(pk__in=[])
    reached = StudyTopicDelivery.objects.filter(topic=OuterRef("pk")).filter(subtree_q(paths, prefix="branch__"))
    return subtree_q(paths, prefix="organisation__") | Q(Exists(reached))


def study_topics_administered_by(scope: Scope) -> QuerySet[StudyTopic]:
    return StudyTopic.objects.filter(_admin_q(scope))


def study_topics_for_member(member_id: int | None) -> QuerySet[StudyTopic]:
    """The topics delivered to one member, newest first."""
    return StudyTopic.objects.filter(_delivered_to(member_id)).order_by("-published_at", "-pk")


@dataclass(frozen=True)
class TopicAccess:
    topic: StudyTopic
    is_admin: bool  # sees the per-branch counts for the caller's subtree
    delivery: StudyTopicDelivery | None  # the caller's own copy, as a recipient


def get_study_topic_for(scope: Scope, pk: int) -> TopicAccess:
    """A topic the caller administers or received; 404 otherwise (same as one that does not exist)."""
    topic = StudyTopic.objects.select_related("organisation", "published_by").filter(pk=pk).first()
    if topic is None:
        raise Http404("未找到该学习专题")
    is_admin = StudyTopic.objects.filter(_admin_q(scope), pk=pk).exists()
    delivery = StudyTopicDelivery.objects.filter(topic=topic, member_id=scope.member_id).first() if scope.member_id else None
    if not is_admin and delivery is None:
        raise Http404("未找到该学习专题")
    return TopicAccess(topic=topic, is_admin=is_admin, delivery=delivery)


def open_study_topic(*, member: Any, topic_id: int, now: datetime | None = None) -> bool:
    """Record that the member opened their copy, the first time only; returns True that first time.

    The inbox notice of the topic is marked read with it. Nothing else is recorded: not how long,
    not how often (LIFE-020).
    """
    now = now or timezone.now()
    member_id = getattr(member, "pk", member)
    with transaction.atomic():
        delivery = StudyTopicDelivery.objects.filter(topic_id=topic_id, member_id=member_id).first()
        if delivery is None:
            raise Http404("未找到该学习专题")
        first = StudyTopicDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now) == 1
        if first and delivery.inbox_message_id:
            Message.objects.filter(pk=delivery.inbox_message_id, read_at__isnull=True).update(read_at=now)
    return first


@dataclass(frozen=True)
class BranchCount:
    branch_id: int
    branch_name: str
    delivered: int
    opened: int


def study_topic_counts(topic: StudyTopic, scope: Scope | None = None) -> list[BranchCount]:
    """Delivered and opened per branch (LIFE-023: organisation aggregates only — no member appears
    here, and the rows are in tree order, never sorted by how many opened). With ``scope``, only the
    branches inside the caller's subtrees."""
    deliveries = StudyTopicDelivery.objects.filter(topic=topic)
    if scope is not None and not scope.is_superuser:
        deliveries = deliveries.filter(subtree_q(list(scope.paths_for(*PUBLISH_ROLES)), prefix="branch__"))
    rows = (
        deliveries.values("branch_id", "branch__name", "branch__path")
        .annotate(delivered=Count("pk"), opened=Count("opened_at"))
        .order_by("branch__path")
    )
    return [BranchCount(r["branch_id"], r["branch__name"], r["delivered"], r["opened"]) for r in rows]


def topic_totals(topic_ids: list[int], scope: Scope) -> dict[int, tuple[int, int]]:
    """topic id -> (delivered, opened) inside the caller's subtrees, for a page of topics in one query."""
    if not topic_ids:
        return {}
    deliveries = StudyTopicDelivery.objects.filter(topic_id__in=topic_ids)
    if not scope.is_superuser:
        deliveries = deliveries.filter(subtree_q(list(scope.paths_for(*PUBLISH_ROLES)), prefix="branch__"))
    rows = deliveries.values("topic_id").annotate(delivered=Count("pk"), opened=Count("opened_at")).order_by()
    return {r["topic_id"]: (r["delivered"], r["opened"]) for r in rows}
