"""Alibaba Cloud SMS: ``SendSms`` (API 2017-05-25), RPC style, signature HMAC-SHA1 version 1.0.

Signing (Alibaba Cloud "签名机制"): sort the parameters by name, percent-encode names and values
per RFC 3986 (space → %20, * → %2A, ~ kept), join as ``k=v&…``; StringToSign is
``GET&%2F&`` + percentEncode(that string); Signature = Base64(HMAC-SHA1(secret + "&", StringToSign)).

NOTIF-002: only the mobile number, the approved template code and the template's parameters leave
the platform; nothing else of the member.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlencode, urlsplit

from dangjian.core.masking import mask_phone
from dangjian.notifications.provider_settings import ProviderSettings, provider_settings

from . import http
from .base import MalformedReport, Outgoing, PermanentError, Provider, Receipt, RetryableError, SendResult
from .common import failure_reason, json_array, mainland_mobile, report_time, require, text_field

logger = logging.getLogger(__name__)

SERVICE = "阿里云短信"
API_VERSION = "2017-05-25"
REGION = "cn-hangzhou"

# Codes after which sending the same request again cannot succeed: (reason shown to the admin).
PERMANENT_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号格式不正确，阿里云拒收，请在党员信息中更正手机号",
    "isv.TEMPLATE_MISSING_PARAMETERS": "短信模板缺少参数：请核对消息模板的占位符与阿里云短信模板的变量一致",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板编号不存在或未审核通过：请在阿里云控制台核对后修改消息模板的短信模板编号",
    "isv.SMS_SIGNATURE_ILLEGAL": "短信签名不存在或未审核通过：请核对 ALIYUN_SMS_SIGN_NAME",
    "isv.INVALID_PARAMETERS": "短信参数不符合阿里云要求：请核对模板参数",
    "isv.INVALID_JSON_PARAM": "短信模板参数不是合法的 JSON：请核对模板参数",
    "isv.PARAM_LENGTH_LIMIT": "短信模板参数过长：阿里云限制每个变量的长度，请缩短",
    "isv.MOBILE_COUNT_OVER_LIMIT": "手机号数量超过阿里云单次上限",
    "isv.BLACK_KEY_CONTROL_LIMIT": "短信内容含阿里云禁发关键字：请修改模板内容",
    "isv.AMOUNT_NOT_ENOUGH": "阿里云账户余额不足：请充值后重新发送",
    "isv.OUT_OF_SERVICE": "阿里云短信业务已停机（欠费或被停用）：请在阿里云控制台处理后重新发送",
    "isv.PRODUCT_UN_SUBSCRIPT": "阿里云账户未开通短信服务：请开通后重新发送",
    "isv.ACCOUNT_NOT_EXISTS": "阿里云账户不存在：请核对 ALIYUN_ACCESS_KEY_ID",
    "isv.ACCOUNT_ABNORMAL": "阿里云账户异常：请在阿里云控制台处理后重新发送",
    "isp.RAM_PERMISSION_DENY": "阿里云 AccessKey 没有短信发送权限：请在 RAM 控制台授权 AliyunDysmsFullAccess",
    "InvalidAccessKeyId.NotFound": "阿里云 AccessKey 不存在：请核对 ALIYUN_ACCESS_KEY_ID",
    "InvalidAccessKeyId.Inactive": "阿里云 AccessKey 已停用：请启用或更换 ALIYUN_ACCESS_KEY_ID",
    "SignatureDoesNotMatch": "阿里云签名校验失败：请核对 ALIYUN_ACCESS_KEY_SECRET 与 ALIYUN_ACCESS_KEY_ID 是否配对",
    "Forbidden.RAM": "阿里云 AccessKey 没有短信发送权限：请在 RAM 控制台授权",
}

# Codes worth another try later (the dispatcher backs off): (reason shown to the admin).
RETRYABLE_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL": "阿里云流控：同一号码发送过于频繁，稍后自动重试",
    "isv.DAY_LIMIT_CONTROL": "阿里云流控：已达当日发送上限，稍后自动重试",
    "isp.SYSTEM_ERROR": "阿里云短信系统错误，稍后自动重试",
    "isv.SYSTEM_ERROR": "阿里云短信系统错误，稍后自动重试",
    "ServiceUnavailable": "阿里云短信服务暂时不可用，稍后自动重试",
    "InternalError": "阿里云短信内部错误，稍后自动重试",
    "SignatureNonceUsed": "阿里云拒绝了重复的请求随机数，稍后自动重试",
    "InvalidTimeStamp.Expired": "请求时间戳与阿里云相差过大（请检查服务器时钟），稍后自动重试",
}
RETRYABLE_PREFIXES = ("Throttling", "ServiceUnavailable", "InternalError")


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding as Alibaba Cloud signs it: only A–Z a–z 0–9 - _ . ~ stay as they are."""
    return quote(value, safe="~")


def canonicalized_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(params: Mapping[str, str], method: str = "GET") -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def signature(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    """Base64(HMAC-SHA1(secret + "&", StringToSign)); ``params`` without ``Signature``."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AliyunSmsProvider(Provider):
    name = "aliyun"

    def __init__(
        self,
        config: ProviderSettings | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        nonce: Callable[[], str] | None = None,
    ) -> None:
        self.config = config or provider_settings()
        self._now = now or (lambda: datetime.now(UTC))
        self._nonce = nonce or (lambda: str(uuid.uuid4()))

    def __repr__(self) -> str:
        return f"AliyunSmsProvider(endpoint={self.config.aliyun_sms_endpoint!r})"

    def send(self, message: Outgoing) -> SendResult:
        config = self.config
        require(config, "ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", service="短信服务")
        phone = mainland_mobile(message.phone)
        if not message.template_code:
            raise PermanentError("消息模板未填写短信模板编号：阿里云短信只能按审核通过的模板发送，请在消息模板中填写")
        params = {
            "AccessKeyId": config.aliyun_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": REGION,
            "SignName": config.aliyun_sms_sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(),
            "SignatureVersion": "1.0",
            "TemplateCode": message.template_code,
            "TemplateParam": json.dumps(dict(message.template_params), ensure_ascii=False, separators=(",", ":")),
            "Timestamp": timestamp(self._now()),
            "Version": API_VERSION,
        }
        signed = {"Signature": signature(params, config.aliyun_access_key_secret), **params}
        url = _root(config.aliyun_sms_endpoint) + "?" + urlencode(signed, quote_via=quote, safe="~")
        response = http.request("GET", url, service=SERVICE, headers={"Accept": "application/json"}, timeout=config.http_timeout)
        return self._result(response, phone)

    def _result(self, response: http.HttpResponse, phone: str) -> SendResult:
        if response.status >= 500:
            raise RetryableError(f"{SERVICE}服务暂时不可用（HTTP {response.status}），稍后自动重试")
        data = response.json(service=SERVICE)
        if not isinstance(data, dict):
            raise RetryableError(f"{SERVICE}接口返回了无法识别的内容（HTTP {response.status}），稍后自动重试")
        code = str(data.get("Code") or "")
        request_id = str(data.get("RequestId") or "")
        if code == "OK" and response.status < 300:
            biz_id = str(data.get("BizId") or "")
            logger.info("aliyun sms accepted for %s biz_id=%s request_id=%s", mask_phone(phone), biz_id, request_id)
            return SendResult(provider_message_id=biz_id, raw={"Code": code, "BizId": biz_id, "RequestId": request_id})
        error = classify(code, response.status)
        logger.warning("aliyun sms refused for %s code=%s http=%s request_id=%s", mask_phone(phone), code, response.status, request_id)
        raise error


def classify(code: str, status: int) -> PermanentError | RetryableError:
    """The error for a vendor code: the vendor's own message is left out (it can echo the request)."""
    if code in PERMANENT_CODES:
        return PermanentError(f"{PERMANENT_CODES[code]}（{code}）")
    if code in RETRYABLE_CODES:
        return RetryableError(f"{RETRYABLE_CODES[code]}（{code}）")
    if code.startswith(RETRYABLE_PREFIXES) or status == 429:
        return RetryableError(f"{SERVICE}繁忙或限流（{code or f'HTTP {status}'}），稍后自动重试")
    if not code:
        return RetryableError(f"{SERVICE}接口返回内容缺少结果代码（HTTP {status}），稍后自动重试")
    return PermanentError(f"{SERVICE}拒绝发送（{code}）：请对照阿里云短信错误码文档处理后重新发送")


def _root(endpoint: str) -> str:
    """The endpoint's scheme and host with the path "/" that StringToSign assumes."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}/"


# --- delivery reports ----------------------------------------------------------------------------------

ALIYUN_DELIVERED = "DELIVERED"


def parse_delivery_report(body: bytes) -> list[Receipt]:
    """Read an Alibaba Cloud SMS status report push (SmsReport, HTTP batch push): a JSON array of
    ``{phone_number, send_time, report_time, success, err_code, err_msg, sms_size, biz_id, out_id}``.

    ``biz_id`` is the ``BizId`` that ``SendSms`` returned (our ``provider_message_id``). The whole body is
    refused (MalformedReport) when it is not such an array or an item's outcome cannot be told.
    """
    receipts = []
    for item in json_array(body, service=SERVICE):
        delivered = _success(item)
        code = text_field(item, "err_code")
        receipts.append(
            Receipt(
                provider_message_id=text_field(item, "biz_id")[:100],
                delivered=delivered,
                error="" if delivered else failure_reason(code, text_field(item, "err_msg")),
                at=report_time(item.get("report_time")),
                masked_recipient=mask_phone(text_field(item, "phone_number")),
            )
        )
    return receipts


def _success(item: dict) -> bool:
    value = item.get("success")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if value is None and text_field(item, "err_code"):
        return text_field(item, "err_code").upper() == ALIYUN_DELIVERED
    raise MalformedReport(f"{SERVICE}状态报告缺少 success（true/false），无法判断是否送达")
