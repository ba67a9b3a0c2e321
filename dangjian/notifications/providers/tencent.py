"""Tencent Cloud SMS: ``SendSms`` (API 2021-01-11), POST JSON, signature TC3-HMAC-SHA256 (签名方法 v3).

Signing: CanonicalRequest = ``POST\\n/\\n\\n`` + canonical headers (content-type, host) + ``\\n`` +
signed headers + ``\\n`` + SHA256(payload); StringToSign = ``TC3-HMAC-SHA256\\n{timestamp}\\n
{date}/{service}/tc3_request\\n`` + SHA256(CanonicalRequest); the key is derived from ``"TC3" + SecretKey``
through the UTC date, the service and ``tc3_request``; the signature is its hex HMAC-SHA256.

NOTIF-002: only the mobile number, the approved template id and the template's parameters leave the
platform; nothing else of the member.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from dangjian.core.masking import mask_phone
from dangjian.notifications.provider_settings import ProviderSettings, provider_settings

from . import http
from .base import MalformedReport, Outgoing, PermanentError, Provider, Receipt, RetryableError, SendResult
from .common import failure_reason, json_array, mainland_mobile, report_time, require, text_field

logger = logging.getLogger(__name__)

SERVICE = "腾讯云短信"
API_SERVICE = "sms"
API_VERSION = "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"

PERMANENT_CODES = {
    "AuthFailure.SecretIdNotFound": "腾讯云 SecretId 不存在：请核对 TENCENT_SECRET_ID",
    "AuthFailure.SignatureFailure": "腾讯云签名校验失败：请核对 TENCENT_SECRET_KEY 与 TENCENT_SECRET_ID 是否配对",
    "AuthFailure.SignatureExpire": "请求时间与腾讯云相差超过 5 分钟：请校准服务器时钟后重新发送",
    "AuthFailure.UnauthorizedOperation": "腾讯云密钥没有短信发送权限：请在访问管理中授权",
    "InvalidParameterValue.IncorrectPhoneNumber": "手机号格式不正确，腾讯云拒收，请在党员信息中更正手机号",
    "InvalidParameterValue.TemplateParameterFormatError": "短信模板参数格式不符合腾讯云要求：请核对模板参数",
    "InvalidParameterValue.TemplateParameterLengthLimit": "短信模板参数过长：腾讯云限制每个变量的长度，请缩短",
    "InvalidParameterValue.SdkAppIdNotExist": "短信应用不存在：请核对 TENCENT_SMS_APP_ID",
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": "短信模板参数中不能含网址：请修改模板参数",
    "FailedOperation.TemplateIncorrectOrUnapproved": "短信模板编号不存在或未审核通过：请在腾讯云控制台核对后修改消息模板的短信模板编号",
    "FailedOperation.SignatureIncorrectOrUnapproved": "短信签名不存在或未审核通过：请核对 TENCENT_SMS_SIGN_NAME",
    "FailedOperation.PhoneNumberInBlacklist": "该手机号在运营商黑名单中（用户曾退订），无法发送",
    "FailedOperation.InsufficientBalanceInSmsPackage": "腾讯云短信套餐包余量不足：请购买后重新发送",
    "FailedOperation.ContainSensitiveWord": "短信内容含敏感词：请修改模板内容",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": "短信应用与密钥不属于同一账号：请核对 TENCENT_SMS_APP_ID",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": "手机号不是中国大陆号码",
}

RETRYABLE_CODES = {
    "RequestLimitExceeded": "腾讯云接口调用过于频繁，稍后自动重试",
    "LimitExceeded.PhoneNumberDailyLimit": "该号码已达腾讯云当日发送上限，稍后自动重试",
    "LimitExceeded.PhoneNumberThirtySecondLimit": "该号码 30 秒内发送过于频繁，稍后自动重试",
    "LimitExceeded.PhoneNumberOneHourLimit": "该号码 1 小时内发送过于频繁，稍后自动重试",
    "LimitExceeded.DailyLimit": "已达腾讯云短信当日发送上限，稍后自动重试",
    "InternalError.Timeout": "腾讯云短信内部超时，稍后自动重试",
    "InternalError.RequestTimeException": "腾讯云短信内部错误（请求时间异常），稍后自动重试",
}
RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded", "LimitExceeded.", "ResourceUnavailable", "ServiceUnavailable")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def canonical_request(*, host: str, payload: bytes, content_type: str = CONTENT_TYPE, method: str = "POST") -> str:
    headers = f"content-type:{content_type.lower()}\nhost:{host.lower()}\n"
    return f"{method}\n/\n\n{headers}\n{SIGNED_HEADERS}\n{sha256_hex(payload)}"


def utc_date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def string_to_sign(*, service: str, timestamp: int, canonical: str) -> str:
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{sha256_hex(canonical.encode('utf-8'))}"


def signature(*, secret_key: str, service: str, timestamp: int, to_sign: str) -> str:
    secret_date = _hmac(f"TC3{secret_key}".encode(), utc_date(timestamp))
    secret_service = _hmac(secret_date, service)
    secret_signing = _hmac(secret_service, "tc3_request")
    return hmac.new(secret_signing, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(*, secret_id: str, secret_key: str, service: str, host: str, payload: bytes, timestamp: int) -> str:
    """The ``Authorization`` header of one POST with a JSON body."""
    to_sign = string_to_sign(service=service, timestamp=timestamp, canonical=canonical_request(host=host, payload=payload))
    signed = signature(secret_key=secret_key, service=service, timestamp=timestamp, to_sign=to_sign)
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signed}"


def template_param_set(params: Mapping[str, str]) -> list[str]:
    """Tencent templates are positional ({1}, {2}…): numbered keys in number order, else in the given order."""
    keys = list(params)
    if keys and all(str(k).isdigit() for k in keys):
        keys.sort(key=int)
    return [str(params[k]) for k in keys]


class TencentSmsProvider(Provider):
    name = "tencent"

    def __init__(self, config: ProviderSettings | None = None, *, clock: Callable[[], float] | None = None) -> None:
        self.config = config or provider_settings()
        self._clock = clock or time.time

    def __repr__(self) -> str:
        return f"TencentSmsProvider(endpoint={self.config.tencent_sms_endpoint!r})"

    def send(self, message: Outgoing) -> SendResult:
        config = self.config
        require(config, "TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "TENCENT_SMS_APP_ID", "TENCENT_SMS_SIGN_NAME", service="短信服务")
        phone = mainland_mobile(message.phone)
        if not message.template_code:
            raise PermanentError("消息模板未填写短信模板编号：腾讯云短信只能按审核通过的模板发送，请在消息模板中填写")
        body = {
            "PhoneNumberSet": [f"+86{phone}"],
            "SmsSdkAppId": config.tencent_sms_app_id,
            "SignName": config.tencent_sms_sign_name,
            "TemplateId": message.template_code,
            "TemplateParamSet": template_param_set(message.template_params),
        }
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        parts = urlsplit(config.tencent_sms_endpoint)
        host = parts.netloc
        ts = int(self._clock())
        headers = {
            "Authorization": authorization(
                secret_id=config.tencent_secret_id,
                secret_key=config.tencent_secret_key,
                service=API_SERVICE,
                host=host,
                payload=payload,
                timestamp=ts,
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(ts),
            "X-TC-Version": API_VERSION,
            "X-TC-Region": config.tencent_sms_region,
        }
        url = f"{parts.scheme}://{host}/"
        response = http.request("POST", url, service=SERVICE, headers=headers, body=payload, timeout=config.http_timeout)
        return self._result(response, phone)

    def _result(self, response: http.HttpResponse, phone: str) -> SendResult:
        if response.status >= 500:
            raise RetryableError(f"{SERVICE}服务暂时不可用（HTTP {response.status}），稍后自动重试")
        data = response.json(service=SERVICE)
        answer = data.get("Response") if isinstance(data, dict) else None
        if not isinstance(answer, dict):
            raise RetryableError(f"{SERVICE}接口返回了无法识别的内容（HTTP {response.status}），稍后自动重试")
        request_id = str(answer.get("RequestId") or "")
        error = answer.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code") or "")
            logger.warning("tencent sms refused for %s code=%s request_id=%s", mask_phone(phone), code, request_id)
            raise classify(code)
        statuses = answer.get("SendStatusSet")
        if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
            raise RetryableError(f"{SERVICE}接口返回内容缺少发送结果（SendStatusSet），稍后自动重试")
        status = statuses[0]
        code = str(status.get("Code") or "")
        if code == "Ok":
            serial = str(status.get("SerialNo") or "")
            logger.info("tencent sms accepted for %s serial_no=%s request_id=%s", mask_phone(phone), serial, request_id)
            return SendResult(provider_message_id=serial, raw={"Code": code, "SerialNo": serial, "RequestId": request_id})
        logger.warning("tencent sms refused for %s code=%s request_id=%s", mask_phone(phone), code, request_id)
        raise classify(code)


def classify(code: str) -> PermanentError | RetryableError:
    """The error for a vendor code; the vendor's message is left out (it can echo the request).

    AuthFailure.*, InvalidParameter*, FailedOperation.* and any other unknown code are permanent;
    InternalError*, RequestLimitExceeded* and LimitExceeded.* are retried.
    """
    if code in PERMANENT_CODES:
        return PermanentError(f"{PERMANENT_CODES[code]}（{code}）")
    if code in RETRYABLE_CODES:
        return RetryableError(f"{RETRYABLE_CODES[code]}（{code}）")
    if code.startswith(RETRYABLE_PREFIXES):
        return RetryableError(f"{SERVICE}繁忙、限流或内部错误（{code}），稍后自动重试")
    if not code:
        return RetryableError(f"{SERVICE}接口返回内容缺少结果代码，稍后自动重试")
    return PermanentError(f"{SERVICE}拒绝发送（{code}）：请对照腾讯云短信错误码文档处理后重新发送")


# --- delivery reports ----------------------------------------------------------------------------------


def parse_delivery_report(body: bytes) -> list[Receipt]:
    """Read a Tencent Cloud SMS status callback (短信下发状态回调): a JSON array of
    ``{user_receive_time, nationcode, mobile, report_status, errmsg, description, sid}``.

    ``sid`` is the ``SerialNo`` that ``SendSms`` returned (our ``provider_message_id``);
    ``report_status`` is SUCCESS or FAIL, anything else refuses the whole body (MalformedReport).
    """
    receipts = []
    for item in json_array(body, service=SERVICE):
        status = text_field(item, "report_status").upper()
        if status not in ("SUCCESS", "FAIL"):
            raise MalformedReport(f"{SERVICE}状态回调的 report_status 应为 SUCCESS 或 FAIL")
        delivered = status == "SUCCESS"
        receipts.append(
            Receipt(
                provider_message_id=text_field(item, "sid")[:100],
                delivered=delivered,
                error="" if delivered else failure_reason(text_field(item, "errmsg"), text_field(item, "description")),
                at=report_time(item.get("user_receive_time")),
                masked_recipient=mask_phone(text_field(item, "mobile")),
            )
        )
    return receipts
