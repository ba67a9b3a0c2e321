"""WeChat official account template messages (模板消息), with the access_token cached in Django's cache.

GET {base}/cgi-bin/token?grant_type=client_credential&appid=…&secret=… gives a token valid for
``expires_in`` seconds; it is kept until 300 s before that. POST {base}/cgi-bin/message/template/send
?access_token=… sends one message. A token reported invalid or expired (40001/40014/42001) is fetched
again once, and the message sent again, inside the same ``send``.

NOTIF-002: only the OpenID, the template id, the link and the template's values leave the platform.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

from django.core.cache import cache

from dangjian.notifications.provider_settings import ProviderSettings, provider_settings

from . import http
from .base import MalformedReport, Outgoing, PermanentError, Provider, Receipt, RetryableError, SendResult
from .common import require
from .console import mask_openid

logger = logging.getLogger(__name__)

SERVICE = "微信公众号"
TOKEN_MARGIN = 300  # seconds before expiry when a cached token is no longer used
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid credential / invalid token / token expired

PERMANENT_CODES = {
    40003: "微信 OpenID 无效：请让该党员重新绑定微信",
    43004: "该党员未关注公众号，无法接收模板消息",
    43101: "该党员拒收公众号消息",
    40037: "微信模板编号无效：请核对消息模板的微信模板编号",
    40036: "微信模板编号无效：请核对消息模板的微信模板编号",
    47003: "模板消息内容不符合微信要求（字段缺失或过长）：请核对模板参数",
    40013: "微信 AppID 无效：请核对 WECHAT_APP_ID",
    40125: "微信 AppSecret 无效：请核对 WECHAT_APP_SECRET",
    40164: "本服务器 IP 不在公众号的 IP 白名单中：请在公众号后台添加",
    48001: "公众号没有模板消息接口权限：请在公众号后台开通",
    50002: "公众号被限制使用该接口",
}
RETRYABLE_CODES = {
    -1: "微信系统繁忙，稍后自动重试",
    45009: "已达微信接口当日调用上限，稍后自动重试",
    45011: "微信接口调用过于频繁，稍后自动重试",
}


class WeChatTemplateProvider(Provider):
    name = "wechat"

    def __init__(self, config: ProviderSettings | None = None) -> None:
        self.config = config or provider_settings()

    def __repr__(self) -> str:
        return f"WeChatTemplateProvider(api_base={self.config.wechat_api_base!r})"

    @property
    def _base(self) -> str:
        return self.config.wechat_api_base.rstrip("/")

    @property
    def _cache_key(self) -> str:
        # the AppID hashed: the key names the account without spelling it out in Redis
        return "notifications:wechat:access_token:" + hashlib.sha256(self.config.wechat_app_id.encode()).hexdigest()[:16]

    def send(self, message: Outgoing) -> SendResult:
        require(self.config, "WECHAT_APP_ID", "WECHAT_APP_SECRET", service="微信公众号")
        if not message.wechat_openid:
            raise PermanentError("该党员未绑定微信")
        if not message.template_code:
            raise PermanentError("消息模板未填写微信模板编号：请在消息模板中填写公众号后台的模板 ID")
        body = {"touser": message.wechat_openid, "template_id": message.template_code, "data": _data(message)}
        if message.link:
            body["url"] = message.link
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        data = self._post(self._token(), payload)
        if _errcode(data) in TOKEN_ERRORS:
            logger.info("wechat access_token rejected (errcode=%s), fetching a new one", _errcode(data))
            cache.delete(self._cache_key)
            data = self._post(self._token(), payload)
            if _errcode(data) in TOKEN_ERRORS:
                raise RetryableError(f"微信 access_token 刚刷新仍被拒绝（errcode {_errcode(data)}），稍后自动重试")
        code = _errcode(data)
        if code == 0:
            msgid = str(data.get("msgid") or "")
            logger.info("wechat template message accepted for %s msgid=%s", mask_openid(message.wechat_openid), msgid)
            return SendResult(provider_message_id=msgid, raw={"errcode": 0, "msgid": msgid})
        logger.warning("wechat template message refused for %s errcode=%s", mask_openid(message.wechat_openid), code)
        raise classify(code)

    def _token(self) -> str:
        token = cache.get(self._cache_key)
        if token:
            return token
        query = urlencode(
            {"grant_type": "client_credential", "appid": self.config.wechat_app_id, "secret": self.config.wechat_app_secret},
            quote_via=quote,
        )
        response = http.request("GET", f"{self._base}/cgi-bin/token?{query}", service=SERVICE, timeout=self.config.http_timeout)
        data = _json(response)
        token = data.get("access_token")
        if not token or not isinstance(token, str):
            code = _errcode(data)
            logger.warning("wechat access_token refused errcode=%s", code)
            raise classify(code, getting_token=True)
        try:
            lifetime = int(data.get("expires_in") or 0) - TOKEN_MARGIN
        except (TypeError, ValueError):
            lifetime = 0
        if lifetime > 0:
            cache.set(self._cache_key, token, timeout=lifetime)
        return token

    def _post(self, token: str, payload: bytes) -> dict:
        url = f"{self._base}/cgi-bin/message/template/send?access_token={quote(token, safe='')}"
        response = http.request(
            "POST",
            url,
            service=SERVICE,
            headers={"Content-Type": "application/json; charset=utf-8"},
            body=payload,
            timeout=self.config.http_timeout,
        )
        return _json(response)


def _data(message: Outgoing) -> dict[str, dict[str, str]]:
    """Template values as WeChat wants them ({"key": {"value": …}}); without parameters the text goes in ``content``."""
    if message.template_params:
        return {str(key): {"value": str(value)} for key, value in message.template_params.items()}
    return {"content": {"value": message.text}}


def _json(response: http.HttpResponse) -> dict:
    if response.status >= 500:
        raise RetryableError(f"{SERVICE}接口暂时不可用（HTTP {response.status}），稍后自动重试")
    data = response.json(service=SERVICE)
    if not isinstance(data, dict):
        raise RetryableError(f"{SERVICE}接口返回了无法识别的内容（HTTP {response.status}），稍后自动重试")
    return data


def _errcode(data: dict) -> int | None:
    try:
        return int(data.get("errcode", 0))
    except (TypeError, ValueError):
        return None


def classify(code: int | None, *, getting_token: bool = False) -> PermanentError | RetryableError:
    """The error for a WeChat errcode; ``errmsg`` is left out (it carries a request id and may echo input)."""
    step = "获取 access_token 失败：" if getting_token else ""
    if code is None:
        return RetryableError(f"{SERVICE}{step}接口返回的 errcode 无法识别，稍后自动重试")
    if code in PERMANENT_CODES:
        return PermanentError(f"{step}{PERMANENT_CODES[code]}（errcode {code}）")
    if code in RETRYABLE_CODES:
        return RetryableError(f"{step}{RETRYABLE_CODES[code]}（errcode {code}）")
    if getting_token and code == 0:
        return RetryableError(f"{SERVICE}获取 access_token 失败：返回内容中没有 access_token，稍后自动重试")
    return PermanentError(f"{SERVICE}{step}拒绝发送（errcode {code}）：请对照微信公众平台全局返回码说明处理后重新发送")


# --- delivery reports (server URL events) ------------------------------------------------------------

TEMPLATE_FINISHED = "TEMPLATESENDJOBFINISH"
WECHAT_FAILURES = {
    "user block": "该党员已设置拒收公众号的模板消息，未送达",
    "system failed": "因微信系统原因未送达，可重新发送",
}


def server_signature(token: str, timestamp: str, nonce: str) -> str:
    """The ``signature`` WeChat adds to every request to the server URL: sha1 of the sorted, joined
    token (令牌, set in the official account's backend), timestamp and nonce, in hex."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode("utf-8")).hexdigest()


def parse_delivery_report(body: bytes) -> list[Receipt]:
    """Read an event pushed to the server URL (plaintext mode). A template-message result
    (``MsgType`` event, ``Event`` TEMPLATESENDJOBFINISH, ``MsgID``, ``Status``) is one receipt; any
    other message or event gives none. Not XML, or XML with a DTD (entities), is MalformedReport.
    """
    if b"<!doctype" in body.lower() or b"<!entity" in body.lower():
        raise MalformedReport(f"{SERVICE}推送的 XML 含 DTD 或实体声明，已拒收")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise MalformedReport(f"{SERVICE}推送的内容不是合法的 XML") from exc
    if root.tag != "xml":
        raise MalformedReport(f"{SERVICE}推送的 XML 根元素应为 <xml>")

    def field(name: str) -> str:
        return (root.findtext(name) or "").strip()

    if field("MsgType").lower() != "event" or field("Event").upper() != TEMPLATE_FINISHED:
        return []
    status = field("Status")
    delivered = status.lower() == "success"
    error = ""
    if not delivered:
        detail = status.split(":", 1)[1].strip().lower() if ":" in status else ""
        reason = WECHAT_FAILURES.get(detail, "微信报告模板消息未送达")
        error = f"{reason}（{status[:40] or '无状态'}）"
    try:
        at = datetime.fromtimestamp(int(field("CreateTime")), UTC)
    except (ValueError, OverflowError, OSError):
        at = None
    return [
        Receipt(
            provider_message_id=field("MsgID")[:100],
            delivered=delivered,
            error=error,
            at=at,
            masked_recipient=mask_openid(field("FromUserName")),
        )
    ]
