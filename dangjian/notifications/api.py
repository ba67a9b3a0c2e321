"""JSON API for the caller's own 站内信: list, unread count, mark read. Another user's message is 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from dangjian.core.api import ScopedPagination, labelled

from . import inbox
from .choices import MessageKind
from .models import Message

router = Router(tags=["站内信"])


class InboxMessageOut(Schema):
    id: int
    kind: str = Field(title="消息类型代码")
    kind_label: str = Field(title="消息类型")
    title: str = Field(title="标题")
    body: str = Field(title="内容")
    link: str = Field(title="链接", description="平台内的相关页面（如学习专题），没有时为空")
    created_at: datetime = Field(title="时间")
    read_at: datetime | None = Field(title="阅读时间", description="未读时为空")


class UnreadOut(Schema):
    unread: int = Field(title="未读条数")


class ReadAllOut(Schema):
    marked: int = Field(title="本次标为已读的条数")


def _row(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "kind_label": labelled(MessageKind.choices, message.kind),
        "title": message.title,
        "body": message.body,
        "link": message.link,
        "created_at": message.created_at,
        "read_at": message.read_at,
    }


def _rows(messages: list[Message]) -> list[dict[str, Any]]:
    return [_row(m) for m in messages]


@router.get("", response=list[InboxMessageOut], summary="我的站内信")
@paginate(ScopedPagination, prepare=_rows)
def list_inbox(request: HttpRequest) -> Any:
    """本人的站内信，最新的在前；分页（limit/offset）。只含本人的消息。"""
    return inbox.inbox_for(user_id=request.user.pk)


@router.get("/unread-count", response=UnreadOut, summary="未读站内信条数")
def unread_count(request: HttpRequest) -> dict[str, int]:
    """本人未读站内信的条数（页头角标用）。"""
    return {"unread": inbox.unread_count(user_id=request.user.pk)}


@router.post("/read-all", response=ReadAllOut, summary="全部标为已读")
def read_all(request: HttpRequest) -> dict[str, int]:
    """把本人全部未读站内信标为已读，返回标记的条数。"""
    return {"marked": inbox.mark_all_read(user_id=request.user.pk)}


@router.post("/{int:message_id}/read", response=InboxMessageOut, summary="标为已读")
def read_message(request: HttpRequest, message_id: int) -> dict[str, Any]:
    """把本人的一条站内信标为已读（已读的保持首次阅读时间）。他人的消息返回 404。"""
    return _row(inbox.mark_read(user_id=request.user.pk, message_id=message_id))
