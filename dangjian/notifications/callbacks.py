"""Delivery-status callbacks from the SMS vendors and WeChat: 已发送 → 已送达 or 失败.

The vendors call these URLs without a login (the prefix is public in accounts.middleware) and without
CSRF. Alibaba Cloud and Tencent Cloud do not sign their callbacks, so each URL carries a secret,
``SMS_CALLBACK_TOKEN``, compared in constant time; unset, every callback URL answers 404 like an
unknown address. WeChat requests are also checked against the official account's signature
(``WECHAT_SERVER_TOKEN``).

A body is read whole (at most ``MAX_BODY_BYTES``, at most ``MAX_RECEIPTS`` reports) before anything
is written: a body that cannot be read is refused with 400 and changes nothing. Every report goes
through ``services.record_delivery_receipt``, which moves only a message still ``sent``, so a
repeated callback changes nothing. Bodies are never logged (they hold phone numbers); log lines carry
counts, message ids and masked numbers only.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .choices import MessageStatus
from .models import Message
from .providers import aliyun, tencent, wechat
from .providers.base import MalformedReport, Receipt
from .services import record_delivery_receipt

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_RECEIPTS = 1000
TOO_LARGE = f"状态报告过大：单次请求不得超过 {MAX_BODY_BYTES // 1024} KB、{MAX_RECEIPTS} 条，请分批推送"
POST_ONLY = "状态报告须以 POST 方式推送"


def callback_token() -> str:
    return str(getattr(settings, "SMS_CALLBACK_TOKEN", "") or "").strip()


def _check_token(given: str, expected: str) -> None:
    """404 (as for an unknown address) when no secret is configured or the given one differs."""
    if not expected or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise Http404


def _refusal(response: HttpResponse) -> HttpResponse:
    """Mark a 4xx answer as logged: django.request would log it with the path, which holds the secret.
    Our own warning (without the path) is logged instead."""
    response._has_been_logged = True  # type: ignore[attr-defined]  # read by django.utils.log.log_response
    return response


def _read_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY_BYTES (read no further than that)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def apply_receipts(provider: str, receipts: Sequence[Receipt]) -> dict[str, int]:
    """Record each report through the service; counts: received, changed (a message moved),
    unchanged (already delivered/failed, or not sent yet), unknown (no message with that id)."""
    ids = {r.provider_message_id for r in receipts if r.provider_message_id}
    status = dict(Message.objects.filter(provider=provider, provider_message_id__in=ids).values_list("provider_message_id", "status"))
    counts = {"received": len(receipts), "changed": 0, "unchanged": 0, "unknown": 0}
    with transaction.atomic():
        for receipt in receipts:
            message = record_delivery_receipt(
                provider=provider,
                provider_message_id=receipt.provider_message_id,
                status=MessageStatus.DELIVERED if receipt.delivered else MessageStatus.FAILED,
                error=receipt.error,
                at=receipt.at,
            )
            if message is None:
                counts["unknown"] += 1
                logger.info(
                    "%s delivery report for unknown message id %r (%s) ignored",
                    provider,
                    receipt.provider_message_id[:100],
                    receipt.masked_recipient,
                )
            elif message.status != status.get(receipt.provider_message_id):
                counts["changed"] += 1
                status[receipt.provider_message_id] = message.status
            else:
                counts["unchanged"] += 1
    logger.info("%s delivery report: %s", provider, ", ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def _json_callback(
    request: HttpRequest,
    token: str,
    *,
    provider: str,
    parse: Callable[[bytes], list[Receipt]],
    answer: Callable[[int, str], dict[str, Any]],
) -> HttpResponse:
    _check_token(token, callback_token())
    if request.method != "POST":
        return _refusal(JsonResponse(answer(1, POST_ONLY), status=405, headers={"Allow": "POST"}))
    body = _read_body(request)
    if body is None:
        logger.warning("%s delivery report refused: body larger than %d bytes", provider, MAX_BODY_BYTES)
        return _refusal(JsonResponse(answer(1, TOO_LARGE), status=413))
    try:
        receipts = parse(body)
    except MalformedReport as exc:
        logger.warning("%s delivery report refused (%d bytes): %s", provider, len(body), exc.reason)
        return _refusal(JsonResponse(answer(1, exc.reason), status=400))
    if len(receipts) > MAX_RECEIPTS:
        logger.warning("%s delivery report refused: %d reports in one call", provider, len(receipts))
        return _refusal(JsonResponse(answer(1, TOO_LARGE), status=413))
    apply_receipts(provider, receipts)
    return JsonResponse(answer(0, ""))


def _aliyun_answer(code: int, reason: str) -> dict[str, Any]:
    return {"code": 0, "msg": "成功"} if code == 0 else {"code": code, "msg": reason}


def _tencent_answer(code: int, reason: str) -> dict[str, Any]:
    return {"result": 0, "errmsg": "OK"} if code == 0 else {"result": code, "errmsg": reason}


@csrf_exempt
def aliyun_report(request: HttpRequest, token: str) -> HttpResponse:
    """Alibaba Cloud SMS status report (SmsReport, HTTP batch push); answers {"code": 0, "msg": "成功"}."""
    return _json_callback(request, token, provider=aliyun.AliyunSmsProvider.name, parse=aliyun.parse_delivery_report, answer=_aliyun_answer)


@csrf_exempt
def tencent_report(request: HttpRequest, token: str) -> HttpResponse:
    """Tencent Cloud SMS status callback; answers {"result": 0, "errmsg": "OK"}."""
    return _json_callback(
        request, token, provider=tencent.TencentSmsProvider.name, parse=tencent.parse_delivery_report, answer=_tencent_answer
    )


@csrf_exempt
def wechat_events(request: HttpRequest, token: str) -> HttpResponse:
    """The official account's server URL (plaintext mode): GET is WeChat's URL check (echoes
    ``echostr``), POST an event; template-message results (TEMPLATESENDJOBFINISH) are recorded, other
    messages and events are acknowledged and ignored. Both need a valid ``signature``."""
    _check_token(token, callback_token())
    server_token = str(getattr(settings, "WECHAT_SERVER_TOKEN", "") or "").strip()
    if not server_token:
        raise Http404
    if request.method not in ("GET", "POST"):
        return _refusal(HttpResponse(POST_ONLY, status=405, headers={"Allow": "GET, POST"}, content_type="text/plain; charset=utf-8"))
    timestamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
    expected = wechat.server_signature(server_token, timestamp, nonce)
    if not hmac.compare_digest(request.GET.get("signature", "").encode("utf-8"), expected.encode("utf-8")):
        logger.warning("wechat server request with a wrong signature refused")
        return _refusal(HttpResponse("签名校验失败", status=403, content_type="text/plain; charset=utf-8"))
    if request.method == "GET":
        return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain; charset=utf-8")
    body = _read_body(request)
    if body is None:
        logger.warning("wechat event refused: body larger than %d bytes", MAX_BODY_BYTES)
        return _refusal(HttpResponse(TOO_LARGE, status=413, content_type="text/plain; charset=utf-8"))
    try:
        receipts = wechat.parse_delivery_report(body)
    except MalformedReport as exc:
        logger.warning("wechat event refused (%d bytes): %s", len(body), exc.reason)
        return _refusal(HttpResponse(exc.reason, status=400, content_type="text/plain; charset=utf-8"))
    if receipts:
        apply_receipts(wechat.WeChatTemplateProvider.name, receipts)
    return HttpResponse("success", content_type="text/plain; charset=utf-8")
