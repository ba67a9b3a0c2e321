"""Channel providers against a local fake HTTP server (no network): signing, answers, faults, secrets."""

from __future__ import annotations

import dataclasses
import logging
import re
import ssl
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from dangjian.notifications.provider_settings import ProviderSettings, provider_settings, validate
from dangjian.notifications.providers import (
    AliyunSmsProvider,
    ConsoleProvider,
    InboxProvider,
    Outgoing,
    PermanentError,
    Provider,
    ProviderError,
    RetryableError,
    TencentSmsProvider,
    WeChatTemplateProvider,
    aliyun,
    get_provider,
    http,
    tencent,
)
from dangjian.notifications.providers import wechat as wechat_module

from .fake_servers import FakeServer, aliyun_signature_is_valid, refused_url, tencent_signature_is_valid

PHONE = "13812345678"
OPENID = "oAbCdEfGhIjKlMnOpQrStUvWxYz0"
ID_NUMBER = "11010519491231002X"
ALIYUN_KEY_ID = "LTAI5tTestKeyId0001"
ALIYUN_SECRET = "aliyunSecretValue-Zq81-DoNotLog"
TENCENT_ID = "AKIDtestSecretId0001"
TENCENT_KEY = "tencentSecretKey-Pw77-DoNotLog"
WECHAT_APP_ID = "wx0123456789abcdef"
WECHAT_SECRET = "wechatAppSecret-Rk55-DoNotLog"
WECHAT_TOKEN = "ACCESS_TOKEN-Ht42-DoNotLog"
SECRETS = (ALIYUN_SECRET, TENCENT_KEY, WECHAT_SECRET, WECHAT_TOKEN)
TIMEOUT = 0.4

BIRTHDAY_SMS = Outgoing(
    channel="sms",
    text="张三同志：今天是您第12个政治生日，不忘初心。",
    phone=PHONE,
    template_code="SMS_460123456",
    template_params={"name": "张三", "years": "12"},
)
BIRTHDAY_WECHAT = Outgoing(
    channel="wechat",
    text="张三同志：今天是您第12个政治生日，不忘初心。",
    wechat_openid=OPENID,
    title="政治生日祝福",
    link="https://dangjian.example.cn/inbox/1/",
    template_code="tmpl-Birthday-001",
    template_params={"thing1": "张三", "number2": "12"},
)


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def provider_log():
    """Log lines of dangjian.notifications as the providers wrote them.

    Kept by a handler on the app's own logger, so they are seen before the root handler's PII mask
    filter rewrites the record: the providers must mask by themselves.
    """
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("dangjian.notifications")
    handler, level = Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def aliyun_config(url: str, **changes) -> ProviderSettings:
    config = ProviderSettings(
        sms_provider="aliyun",
        aliyun_access_key_id=ALIYUN_KEY_ID,
        aliyun_access_key_secret=ALIYUN_SECRET,
        aliyun_sms_sign_name="某区党建",
        aliyun_sms_endpoint=url,
        http_timeout=TIMEOUT,
    )
    return dataclasses.replace(config, **changes)


def tencent_config(url: str, **changes) -> ProviderSettings:
    config = ProviderSettings(
        sms_provider="tencent",
        tencent_secret_id=TENCENT_ID,
        tencent_secret_key=TENCENT_KEY,
        tencent_sms_app_id="1400123456",
        tencent_sms_sign_name="某区党建",
        tencent_sms_endpoint=url.rstrip("/"),
        http_timeout=TIMEOUT,
    )
    return dataclasses.replace(config, **changes)


def wechat_config(url: str, **changes) -> ProviderSettings:
    config = ProviderSettings(
        wechat_app_id=WECHAT_APP_ID, wechat_app_secret=WECHAT_SECRET, wechat_api_base=url.rstrip("/"), http_timeout=TIMEOUT
    )
    return dataclasses.replace(config, **changes)


ALIYUN_OK = {"Message": "OK", "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990", "Code": "OK", "BizId": "900619746936498440^0"}
TENCENT_OK = {
    "Response": {
        "SendStatusSet": [
            {
                "SerialNo": "5000:1045710669157053657849499619",
                "PhoneNumber": "+8613812345678",
                "Fee": 1,
                "SessionContext": "",
                "Code": "Ok",
                "Message": "send success",
                "IsoCode": "CN",
            }
        ],
        "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
    }
}
WECHAT_TOKEN_OK = {"access_token": WECHAT_TOKEN, "expires_in": 7200}
WECHAT_OK = {"errcode": 0, "errmsg": "ok", "msgid": 200228332}
TOKEN_PATH = "/cgi-bin/token"
SEND_PATH = "/cgi-bin/message/template/send"


@dataclass(frozen=True)
class Vendor:
    """One HTTP provider as the shared fault tests drive it."""

    name: str
    path: str  # the path of the sending request
    ok: dict
    build: Callable[[str], Provider]
    message: Outgoing
    expected_id: str
    missing: dict  # a configuration with one variable left empty, and which one
    missing_name: str

    def prepare(self, server: FakeServer) -> None:
        """Whatever must succeed before the sending request (WeChat: the access_token)."""
        if self.name == "wechat":
            server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)

    def sends(self, server: FakeServer) -> list:
        return [r for r in server.received if r.path == self.path]


VENDORS = {
    "aliyun": Vendor(
        "aliyun",
        "/",
        ALIYUN_OK,
        lambda url: AliyunSmsProvider(aliyun_config(url)),
        BIRTHDAY_SMS,
        "900619746936498440^0",
        {"aliyun_access_key_id": ""},
        "ALIYUN_ACCESS_KEY_ID",
    ),
    "tencent": Vendor(
        "tencent",
        "/",
        TENCENT_OK,
        lambda url: TencentSmsProvider(tencent_config(url)),
        BIRTHDAY_SMS,
        "5000:1045710669157053657849499619",
        {"tencent_secret_id": ""},
        "TENCENT_SECRET_ID",
    ),
    "wechat": Vendor(
        "wechat",
        SEND_PATH,
        WECHAT_OK,
        lambda url: WeChatTemplateProvider(wechat_config(url)),
        BIRTHDAY_WECHAT,
        "200228332",
        {"wechat_app_id": ""},
        "WECHAT_APP_ID",
    ),
}
CONFIGS = {"aliyun": aliyun_config, "tencent": tencent_config, "wechat": wechat_config}
PROVIDER_CLASSES = {"aliyun": AliyunSmsProvider, "tencent": TencentSmsProvider, "wechat": WeChatTemplateProvider}


@pytest.fixture(params=sorted(VENDORS))
def vendor(request) -> Vendor:
    return VENDORS[request.param]


# --- choosing a provider ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "console", "CONSOLE"])
def test_sms_goes_to_the_console_when_SMS_PROVIDER_is_unset_or_console(value):
    # given SMS_PROVIDER unset (None), empty or "console"
    with override_settings(SMS_PROVIDER=value):
        # when the SMS provider is chosen
        provider = get_provider("sms")
    # then it is the console provider, which sends nothing anywhere
    assert isinstance(provider, ConsoleProvider)
    assert provider.is_noop()


@pytest.mark.parametrize(
    ("value", "cls"), [("aliyun", AliyunSmsProvider), ("tencent", TencentSmsProvider), (" Aliyun ", AliyunSmsProvider)]
)
def test_sms_goes_to_the_vendor_named_by_SMS_PROVIDER(value, cls):
    with override_settings(SMS_PROVIDER=value):
        provider = get_provider("sms")
    assert isinstance(provider, cls)
    assert not provider.is_noop()


def test_wechat_uses_the_template_provider_only_when_app_id_and_secret_are_set():
    # given no WeChat keys, then only the AppID, then both
    with override_settings(WECHAT_APP_ID="", WECHAT_APP_SECRET=""):
        without = get_provider("wechat")
    with override_settings(WECHAT_APP_ID=WECHAT_APP_ID, WECHAT_APP_SECRET=""):
        half = get_provider("wechat")
    with override_settings(WECHAT_APP_ID=WECHAT_APP_ID, WECHAT_APP_SECRET=WECHAT_SECRET):
        configured = get_provider("wechat")
    # then the console stands in until both are there
    assert isinstance(without, ConsoleProvider) and without.is_noop()
    assert isinstance(half, ConsoleProvider)
    assert isinstance(configured, WeChatTemplateProvider) and not configured.is_noop()


def test_the_inbox_channel_gets_the_inbox_provider():
    provider = get_provider("inbox")
    assert isinstance(provider, InboxProvider)
    assert not provider.is_noop()


def test_an_unknown_channel_is_a_programming_error():
    with pytest.raises(ValueError, match="fax"):
        get_provider("fax")


def test_provider_settings_come_from_django_settings_with_defaults():
    # given only the Aliyun key pair in settings
    with override_settings(ALIYUN_ACCESS_KEY_ID=ALIYUN_KEY_ID, ALIYUN_ACCESS_KEY_SECRET=ALIYUN_SECRET):
        config = provider_settings()
    # then the rest has the documented defaults
    assert config.aliyun_access_key_id == ALIYUN_KEY_ID
    assert config.aliyun_sms_endpoint == "https://dysmsapi.aliyuncs.com/"
    assert config.tencent_sms_endpoint == "https://sms.tencentcloudapi.com"
    assert config.tencent_sms_region == "ap-guangzhou"
    assert config.wechat_api_base == "https://api.weixin.qq.com"
    assert config.http_timeout == 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.sms_provider = "aliyun"


def test_validate_stops_start_up_on_an_unknown_SMS_PROVIDER_and_names_the_variable():
    with override_settings(SMS_PROVIDER="aliyum"), pytest.raises(ImproperlyConfigured) as error:
        validate()
    assert "SMS_PROVIDER" in str(error.value)
    assert "'aliyum'" in str(error.value)


@pytest.mark.parametrize("value", [None, "console", "aliyun", "tencent"])
def test_validate_accepts_unset_and_known_sms_providers_even_without_keys(value):
    with override_settings(SMS_PROVIDER=value, ALIYUN_ACCESS_KEY_ID="", TENCENT_SECRET_ID=""):
        validate()  # missing keys are reported per message at send time, not at start-up


@pytest.mark.parametrize("name", ["ALIYUN_SMS_ENDPOINT", "TENCENT_SMS_ENDPOINT", "WECHAT_API_BASE"])
def test_validate_refuses_an_endpoint_that_is_not_an_http_url_and_names_it(name):
    with override_settings(**{name: "dysmsapi.aliyuncs.com"}), pytest.raises(ImproperlyConfigured, match=name):
        validate()


def test_an_unknown_SMS_PROVIDER_that_slipped_past_validation_fails_each_send_without_crashing():
    # given a value validate() would have refused
    with override_settings(SMS_PROVIDER="twilio"):
        provider = get_provider("sms")
    # when a message is sent
    with pytest.raises(PermanentError) as error:
        provider.send(BIRTHDAY_SMS)
    # then it fails permanently with the variable named
    assert "SMS_PROVIDER" in error.value.reason


def test_settings_and_providers_never_show_secrets_in_their_repr():
    config = dataclasses.replace(aliyun_config("https://a/"), tencent_secret_key=TENCENT_KEY, wechat_app_secret=WECHAT_SECRET)
    texts = [repr(config), str(config), *(repr(cls(config)) for cls in PROVIDER_CLASSES.values())]
    for text in texts:
        for secret in (*SECRETS, ALIYUN_KEY_ID):
            assert secret not in text


# --- console and inbox ------------------------------------------------------------------------------


def test_console_provider_logs_the_masked_phone_and_the_text(provider_log):
    # given the console provider
    provider = ConsoleProvider()
    # when it sends
    result = provider.send(BIRTHDAY_SMS)
    # then the log line has the masked phone and the text, never the number in clear
    (line,) = provider_log
    assert "138****5678" in line
    assert BIRTHDAY_SMS.text in line
    assert PHONE not in line
    assert result.provider_message_id.startswith("console-")
    assert not result.delivered


def test_console_provider_masks_numbers_typed_into_the_text_and_the_openid(provider_log):
    message = Outgoing(channel="wechat", text=f"请联系 {PHONE}，身份证 {ID_NUMBER}", wechat_openid=OPENID)
    ConsoleProvider(channel="wechat").send(message)
    (line,) = provider_log
    assert PHONE not in line
    assert ID_NUMBER not in line
    assert OPENID not in line
    assert "oAbC****" in line


def test_console_provider_gives_every_message_its_own_id():
    ids = {ConsoleProvider().send(BIRTHDAY_SMS).provider_message_id for _ in range(5)}
    assert len(ids) == 5


def test_inbox_provider_confirms_delivery_at_once_without_any_request(server):
    # given the inbox provider (the Message row is the inbox item)
    provider = InboxProvider()
    # when it sends
    result = provider.send(Outgoing(channel="inbox", text="学习专题：新时代党建"))
    # then delivered immediately, and no server was asked
    assert result.delivered
    assert server.received == []


# --- NOTIF-002: vendors receive only phone/openid and text ---------------------------------------------


def test_NOTIF_002_outgoing_carries_only_phone_or_openid_text_and_template_params():
    # given the contract every provider receives
    names = {f.name for f in dataclasses.fields(Outgoing)}
    # then it has room for the address (phone/openid), the text and its template, nothing else of a member
    assert names == {"channel", "text", "phone", "wechat_openid", "title", "link", "template_code", "template_params"}
    assert not {n for n in names if re.search(r"id_number|name|member|address|birth|org", n)}


def test_NOTIF_002_sms_vendors_receive_only_the_phone_and_the_template_values(server):
    # given both SMS vendors answering OK
    server.reply("/", json=ALIYUN_OK)
    server.reply("/", json=TENCENT_OK)
    # when the same birthday SMS goes through each
    AliyunSmsProvider(aliyun_config(server.url)).send(BIRTHDAY_SMS)
    TencentSmsProvider(tencent_config(server.url)).send(BIRTHDAY_SMS)
    ali, ten = server.received
    # then Aliyun got the protocol parameters, the phone, the template code and its values — nothing else
    assert set(ali.query) == {
        "AccessKeyId",
        "Action",
        "Format",
        "PhoneNumbers",
        "RegionId",
        "SignName",
        "Signature",
        "SignatureMethod",
        "SignatureNonce",
        "SignatureVersion",
        "TemplateCode",
        "TemplateParam",
        "Timestamp",
        "Version",
    }
    assert ali.query["PhoneNumbers"] == PHONE
    assert ali.query["TemplateParam"] == '{"name":"张三","years":"12"}'
    # and Tencent the same in its body
    assert ten.json() == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": "1400123456",
        "SignName": "某区党建",
        "TemplateId": "SMS_460123456",
        "TemplateParamSet": ["张三", "12"],
    }


def test_NOTIF_002_wechat_receives_only_the_openid_link_and_template_values(server):
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json=WECHAT_OK)
    WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    assert server.received[-1].json() == {
        "touser": OPENID,
        "template_id": "tmpl-Birthday-001",
        "url": "https://dangjian.example.cn/inbox/1/",
        "data": {"thing1": {"value": "张三"}, "number2": {"value": "12"}},
    }


# --- Alibaba Cloud ----------------------------------------------------------------------------------

# Alibaba Cloud's worked SendSms example ("HTTP协议及签名", SMS API 2017-05-25), fixed nonce and time;
# the docs give Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D for AccessKey secret "testSecret".
ALIYUN_DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_signature_matches_the_documented_sendsms_example():
    # given the documented parameters and secret
    # when signed
    result = aliyun.signature(ALIYUN_DOC_PARAMS, "testSecret")
    # then the documented signature
    assert result == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_string_to_sign_matches_the_documented_example():
    # given the SMS "signature method" page's SendMessageToGlobe request: its "*" and ":" are encoded
    # once in the query and again in StringToSign (%252A, %253A)
    params = {
        "AccessKeyId": "testid",
        "Action": "SendMessageToGlobe",
        "Format": "XML",
        "From": "Alicloud",
        "Message": "Hello",
        "RegionId": "ap-southeast-1",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "57acef20-c1d8-11eb-8c08-db81fda24dcc",
        "SignatureVersion": "1.0",
        "Timestamp": "2021-05-31T06:20:49Z",
        "To": "861245567****",
        "Version": "2018-05-01",
    }
    # then the documented StringToSign, character for character
    assert aliyun.string_to_sign(params) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DSendMessageToGlobe%26Format%3DXML%26From%3DAlicloud"
        "%26Message%3DHello%26RegionId%3Dap-southeast-1%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D57acef20-c1d8-11eb-8c08-db81fda24dcc%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2021-05-31T06%253A20%253A49Z%26To%3D861245567%252A%252A%252A%252A%26Version%3D2018-05-01"
    )


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (" ", "%20"),
        ("*", "%2A"),
        ("~", "~"),
        ("+", "%2B"),
        ("/", "%2F"),
        ("-_.", "-_."),
        ("党", "%E5%85%9A"),
        ('{"a":1}', "%7B%22a%22%3A1%7D"),
    ],
)
def test_aliyun_percent_encoding_follows_rfc_3986(raw, encoded):
    assert aliyun.percent_encode(raw) == encoded


def test_aliyun_success_sends_a_signed_get_and_returns_the_biz_id(server):
    # given Aliyun answering OK
    server.reply("/", json=ALIYUN_OK)
    provider = AliyunSmsProvider(aliyun_config(server.url))
    # when the birthday SMS is sent
    result = provider.send(BIRTHDAY_SMS)
    # then one GET / with the SendSms parameters, signed so that the secret's owner can verify it
    (request,) = server.received
    assert (request.method, request.path) == ("GET", "/")
    q = request.query
    assert q["Action"] == "SendSms"
    assert q["Version"] == "2017-05-25"
    assert q["Format"] == "JSON"
    assert q["RegionId"] == "cn-hangzhou"
    assert (q["SignatureMethod"], q["SignatureVersion"]) == ("HMAC-SHA1", "1.0")
    assert q["AccessKeyId"] == ALIYUN_KEY_ID
    assert q["SignName"] == "某区党建"
    assert q["TemplateCode"] == "SMS_460123456"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", q["Timestamp"])
    assert re.fullmatch(r"[0-9a-f-]{36}", q["SignatureNonce"])
    assert aliyun_signature_is_valid(q, ALIYUN_SECRET)
    assert not aliyun_signature_is_valid(q, "another-secret")
    # and the BizId is the provider's message id
    assert result.provider_message_id == "900619746936498440^0"
    assert not result.delivered


def test_aliyun_uses_a_new_nonce_for_every_request(server):
    server.reply("/", json=ALIYUN_OK)
    server.reply("/", json=ALIYUN_OK)
    provider = AliyunSmsProvider(aliyun_config(server.url))
    provider.send(BIRTHDAY_SMS)
    provider.send(BIRTHDAY_SMS)
    first, second = server.received
    assert first.query["SignatureNonce"] != second.query["SignatureNonce"]


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (200, "isv.MOBILE_NUMBER_ILLEGAL", "手机号"),
        (200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少参数"),
        (200, "isv.SMS_TEMPLATE_ILLEGAL", "模板编号"),
        (200, "isv.SMS_SIGNATURE_ILLEGAL", "ALIYUN_SMS_SIGN_NAME"),
        (404, "InvalidAccessKeyId.NotFound", "ALIYUN_ACCESS_KEY_ID"),
        (400, "SignatureDoesNotMatch", "ALIYUN_ACCESS_KEY_SECRET"),
        (200, "isv.SOMETHING_NEW", "错误码文档"),
    ],
)
def test_aliyun_refusals_that_cannot_succeed_later_are_permanent_with_a_chinese_reason(server, status, code, words):
    # given Aliyun refusing with the code (the message may echo the request: it must not reach the reason)
    server.reply("/", status=status, json={"RequestId": "R1", "Code": code, "Message": f"echo {PHONE} {ALIYUN_SECRET}"})
    # when sent
    with pytest.raises(PermanentError) as error:
        AliyunSmsProvider(aliyun_config(server.url)).send(BIRTHDAY_SMS)
    # then a permanent error naming the code and saying what to do, in Chinese
    reason = error.value.reason
    assert code in reason and words in reason
    assert re.search(r"[\u4e00-\u9fff]", reason)
    assert PHONE not in reason and ALIYUN_SECRET not in reason


@pytest.mark.parametrize(
    ("status", "code"),
    [(200, "isv.BUSINESS_LIMIT_CONTROL"), (400, "Throttling.User"), (503, "ServiceUnavailable"), (200, "isp.SYSTEM_ERROR")],
)
def test_aliyun_throttling_and_outages_are_retryable(server, status, code):
    server.reply("/", status=status, json={"RequestId": "R1", "Code": code, "Message": "busy"})
    with pytest.raises(RetryableError) as error:
        AliyunSmsProvider(aliyun_config(server.url)).send(BIRTHDAY_SMS)
    assert "重试" in error.value.reason


def test_aliyun_refuses_an_unusable_phone_before_any_request_without_showing_it(server):
    with pytest.raises(PermanentError) as error:
        AliyunSmsProvider(aliyun_config(server.url)).send(dataclasses.replace(BIRTHDAY_SMS, phone="0108888777"))
    assert "手机号格式不正确" in error.value.reason
    assert "0108888777" not in error.value.reason
    assert server.received == []


@pytest.mark.parametrize("phone", ["+86 138 1234 5678", "8613812345678", "138-1234-5678"])
def test_sms_providers_send_the_plain_11_digit_number_whatever_its_spelling(server, phone):
    server.reply("/", json=ALIYUN_OK)
    AliyunSmsProvider(aliyun_config(server.url)).send(dataclasses.replace(BIRTHDAY_SMS, phone=phone))
    assert server.received[0].query["PhoneNumbers"] == PHONE


@pytest.mark.parametrize("cls", [AliyunSmsProvider, TencentSmsProvider])
def test_sms_without_an_approved_template_code_is_refused(server, cls):
    config = aliyun_config(server.url) if cls is AliyunSmsProvider else tencent_config(server.url)
    with pytest.raises(PermanentError, match="短信模板编号"):
        cls(config).send(dataclasses.replace(BIRTHDAY_SMS, template_code=""))
    assert server.received == []


def test_aliyun_missing_key_is_a_permanent_error_naming_the_variable(server):
    # given the secret configured but not the AccessKey ID
    provider = AliyunSmsProvider(aliyun_config(server.url, aliyun_access_key_id=""))
    # when sent
    with pytest.raises(PermanentError) as error:
        provider.send(BIRTHDAY_SMS)
    # then the variable is named, the secret is not shown, and nothing was sent
    assert error.value.reason.startswith("短信服务未配置：缺少 ALIYUN_ACCESS_KEY_ID")
    assert ALIYUN_SECRET not in error.value.reason
    assert server.received == []


def test_every_missing_variable_is_named_at_once():
    provider = AliyunSmsProvider(ProviderSettings(sms_provider="aliyun"))
    with pytest.raises(PermanentError) as error:
        provider.send(BIRTHDAY_SMS)
    assert "ALIYUN_ACCESS_KEY_ID、ALIYUN_ACCESS_KEY_SECRET、ALIYUN_SMS_SIGN_NAME" in error.value.reason


# --- Tencent Cloud ----------------------------------------------------------------------------------

# Tencent Cloud's worked example in "签名方法 v3" (CVM DescribeInstances in ap-guangzhou, timestamp
# 1551113065 = 2019-02-25 UTC), with the documentation's masked placeholder keys.
TENCENT_DOC_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******"
TENCENT_DOC_KEY = "Gu5t9xGARNpq86cd98joQYCN3*******"
TENCENT_DOC_PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'


def test_tencent_signature_matches_the_documented_example():
    # given the documented request
    canonical = tencent.canonical_request(host="cvm.tencentcloudapi.com", payload=TENCENT_DOC_PAYLOAD)
    to_sign = tencent.string_to_sign(service="cvm", timestamp=1551113065, canonical=canonical)
    # then every documented intermediate value, and the Authorization header
    assert tencent.sha256_hex(TENCENT_DOC_PAYLOAD) == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
        "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert to_sign == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    header = tencent.authorization(
        secret_id=TENCENT_DOC_ID,
        secret_key=TENCENT_DOC_KEY,
        service="cvm",
        host="cvm.tencentcloudapi.com",
        payload=TENCENT_DOC_PAYLOAD,
        timestamp=1551113065,
    )
    assert header == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )


def test_tencent_success_posts_signed_json_and_returns_the_serial_no(server):
    # given Tencent answering OK
    server.reply("/", json=TENCENT_OK)
    provider = TencentSmsProvider(tencent_config(server.url), clock=lambda: 1767225600.7)
    # when the birthday SMS is sent
    result = provider.send(BIRTHDAY_SMS)
    # then one POST / with the API headers and a TC3 signature that the key's owner can verify
    (request,) = server.received
    assert (request.method, request.path) == ("POST", "/")
    h = request.headers
    assert h["x-tc-action"] == "SendSms"
    assert h["x-tc-version"] == "2021-01-11"
    assert h["x-tc-region"] == "ap-guangzhou"
    assert h["x-tc-timestamp"] == "1767225600"
    assert h["content-type"] == "application/json; charset=utf-8"
    assert h["authorization"].startswith(
        f"TC3-HMAC-SHA256 Credential={TENCENT_ID}/2026-01-01/sms/tc3_request, SignedHeaders=content-type;host, "
    )
    assert tencent_signature_is_valid(request, TENCENT_ID, TENCENT_KEY)
    assert not tencent_signature_is_valid(request, TENCENT_ID, "another-key")
    assert request.json()["PhoneNumberSet"] == ["+8613812345678"]
    # and the SerialNo is the provider's message id
    assert result.provider_message_id == "5000:1045710669157053657849499619"


def test_tencent_template_values_are_positional_in_number_order():
    assert tencent.template_param_set({"2": "b", "10": "c", "1": "a"}) == ["a", "b", "c"]
    assert tencent.template_param_set({"name": "张三", "years": "12"}) == ["张三", "12"]
    assert tencent.template_param_set({}) == []


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        ("AuthFailure.SignatureFailure", PermanentError, "TENCENT_SECRET_KEY"),
        ("AuthFailure.SecretIdNotFound", PermanentError, "TENCENT_SECRET_ID"),
        ("AuthFailure.InvalidAuthorization", PermanentError, "错误码文档"),
        ("InvalidParameterValue.IncorrectPhoneNumber", PermanentError, "手机号"),
        ("FailedOperation.TemplateIncorrectOrUnapproved", PermanentError, "模板编号"),
        ("FailedOperation.SignatureIncorrectOrUnapproved", PermanentError, "TENCENT_SMS_SIGN_NAME"),
        ("InternalError.Timeout", RetryableError, "重试"),
        ("InternalError", RetryableError, "重试"),
        ("RequestLimitExceeded", RetryableError, "重试"),
        ("LimitExceeded.PhoneNumberDailyLimit", RetryableError, "重试"),
    ],
)
def test_tencent_request_errors_are_permanent_or_retryable_by_code(server, code, error, words):
    server.reply("/", json={"Response": {"Error": {"Code": code, "Message": f"echo {PHONE}"}, "RequestId": "r-1"}})
    with pytest.raises(error) as raised:
        TencentSmsProvider(tencent_config(server.url)).send(BIRTHDAY_SMS)
    assert type(raised.value) is error
    assert code in raised.value.reason and words in raised.value.reason
    assert PHONE not in raised.value.reason


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("InvalidParameterValue.IncorrectPhoneNumber", PermanentError),
        ("FailedOperation.PhoneNumberInBlacklist", PermanentError),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", RetryableError),
    ],
)
def test_tencent_failure_for_the_number_in_the_send_status_is_classified_too(server, code, error):
    status = {**TENCENT_OK["Response"]["SendStatusSet"][0], "Code": code, "SerialNo": "", "Message": "failed"}
    server.reply("/", json={"Response": {"SendStatusSet": [status], "RequestId": "r-2"}})
    with pytest.raises(error) as raised:
        TencentSmsProvider(tencent_config(server.url)).send(BIRTHDAY_SMS)
    assert type(raised.value) is error
    assert code in raised.value.reason


def test_tencent_answer_without_a_send_status_is_retryable(server):
    server.reply("/", json={"Response": {"RequestId": "r-3"}})
    with pytest.raises(RetryableError, match="SendStatusSet"):
        TencentSmsProvider(tencent_config(server.url)).send(BIRTHDAY_SMS)


# --- WeChat -----------------------------------------------------------------------------------------


def test_wechat_fetches_a_token_then_posts_the_template_message(server):
    # given WeChat answering the token and the message
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json=WECHAT_OK)
    # when sent
    result = WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    # then GET /cgi-bin/token with the app credentials, then POST the message with that token
    token_request, send_request = server.received
    assert (token_request.method, token_request.path) == ("GET", TOKEN_PATH)
    assert token_request.query == {"grant_type": "client_credential", "appid": WECHAT_APP_ID, "secret": WECHAT_SECRET}
    assert (send_request.method, send_request.path) == ("POST", SEND_PATH)
    assert send_request.query == {"access_token": WECHAT_TOKEN}
    assert send_request.json()["touser"] == OPENID
    assert result.provider_message_id == "200228332"


def test_wechat_without_template_values_sends_the_text_as_content(server):
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json=WECHAT_OK)
    message = dataclasses.replace(BIRTHDAY_WECHAT, template_params={}, link="")
    WeChatTemplateProvider(wechat_config(server.url)).send(message)
    body = server.received[-1].json()
    assert body["data"] == {"content": {"value": BIRTHDAY_WECHAT.text}}
    assert "url" not in body


def test_wechat_token_is_cached_for_the_next_messages(server):
    # given a token valid for 7200 s
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json=WECHAT_OK)
    server.reply(SEND_PATH, json=WECHAT_OK)
    # when two messages are sent, by two provider instances (two workers share the cache)
    WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    # then the token was fetched once
    assert [r.path for r in server.received] == [TOKEN_PATH, SEND_PATH, SEND_PATH]


def test_wechat_token_is_kept_until_300_seconds_before_it_expires(server, monkeypatch):
    # given the cache recording how long it keeps the token
    kept: dict[str, int] = {}

    class RecordingCache:
        get = staticmethod(cache.get)
        delete = staticmethod(cache.delete)

        @staticmethod
        def set(key, value, timeout):
            kept[key] = timeout
            cache.set(key, value, timeout)

    monkeypatch.setattr(wechat_module, "cache", RecordingCache)
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json=WECHAT_OK)
    # when a message is sent
    WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    # then the token is kept 7200 − 300 s, under a key that does not spell out the AppID
    assert list(kept.values()) == [6900]
    assert WECHAT_APP_ID not in next(iter(kept))


def test_wechat_token_about_to_expire_is_not_cached(server):
    server.reply(TOKEN_PATH, json={"access_token": WECHAT_TOKEN, "expires_in": 200})
    server.reply(TOKEN_PATH, json={"access_token": WECHAT_TOKEN, "expires_in": 200})
    server.reply(SEND_PATH, json=WECHAT_OK)
    server.reply(SEND_PATH, json=WECHAT_OK)
    WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    assert [r.path for r in server.received].count(TOKEN_PATH) == 2


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_wechat_invalid_or_expired_token_is_refreshed_once_within_the_same_send(server, errcode):
    # given a cached token that WeChat no longer accepts
    server.reply(TOKEN_PATH, json={"access_token": "OLD-TOKEN", "expires_in": 7200})
    server.reply(SEND_PATH, json=WECHAT_OK)
    provider = WeChatTemplateProvider(wechat_config(server.url))
    provider.send(BIRTHDAY_WECHAT)
    server.reply(SEND_PATH, json={"errcode": errcode, "errmsg": "access_token expired"})
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json=WECHAT_OK)
    # when the next message is sent
    result = provider.send(BIRTHDAY_WECHAT)
    # then one new token and one more attempt, inside that send, which succeeds
    paths = [r.path for r in server.received]
    assert paths == [TOKEN_PATH, SEND_PATH, SEND_PATH, TOKEN_PATH, SEND_PATH]
    assert server.received[2].query["access_token"] == "OLD-TOKEN"
    assert server.received[4].query["access_token"] == WECHAT_TOKEN
    assert result.provider_message_id == "200228332"


def test_wechat_token_rejected_again_after_refreshing_is_retryable_not_a_loop(server):
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json={"errcode": 40001, "errmsg": "invalid credential"})
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json={"errcode": 40001, "errmsg": "invalid credential"})
    with pytest.raises(RetryableError, match="access_token"):
        WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    assert len(server.received) == 4


@pytest.mark.parametrize(
    ("errcode", "error", "words"),
    [
        (43004, PermanentError, "未关注公众号"),
        (40003, PermanentError, "OpenID 无效"),
        (40037, PermanentError, "微信模板编号无效"),
        (-1, RetryableError, "系统繁忙"),
        (45009, RetryableError, "上限"),
        (99999, PermanentError, "全局返回码"),
    ],
)
def test_wechat_errcodes_are_permanent_or_retryable(server, errcode, error, words):
    server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
    server.reply(SEND_PATH, json={"errcode": errcode, "errmsg": f"rid: 1 {OPENID}"})
    with pytest.raises(error) as raised:
        WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    assert type(raised.value) is error
    assert words in raised.value.reason and str(errcode) in raised.value.reason
    assert OPENID not in raised.value.reason


@pytest.mark.parametrize(("errcode", "words"), [(40125, "WECHAT_APP_SECRET"), (40013, "WECHAT_APP_ID"), (40164, "白名单")])
def test_wechat_refused_credentials_are_permanent_and_name_what_to_fix(server, errcode, words):
    server.reply(TOKEN_PATH, json={"errcode": errcode, "errmsg": f"invalid appsecret {WECHAT_SECRET}"})
    with pytest.raises(PermanentError) as raised:
        WeChatTemplateProvider(wechat_config(server.url)).send(BIRTHDAY_WECHAT)
    assert words in raised.value.reason and "access_token" in raised.value.reason
    assert WECHAT_SECRET not in raised.value.reason


def test_wechat_member_without_openid_is_refused_permanently(server):
    with pytest.raises(PermanentError) as raised:
        WeChatTemplateProvider(wechat_config(server.url)).send(dataclasses.replace(BIRTHDAY_WECHAT, wechat_openid=""))
    assert raised.value.reason == "该党员未绑定微信"
    assert server.received == []


# --- the shared HTTP client -------------------------------------------------------------------------


def test_https_requests_verify_the_certificate_and_the_host_name():
    # given the opener used for a vendor's https URL
    opener = http._opener("https://dysmsapi.aliyuncs.com/")
    (https,) = [h for h in opener.handlers if isinstance(h, urllib.request.HTTPSHandler)]
    # then certificates are required and the host name checked
    context = https._context
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_a_redirect_is_not_followed(server):
    # given a server that answers with a redirect elsewhere
    server.reply("/", status=302, body=b"", headers={"Location": server.url + "elsewhere"})
    server.reply("/elsewhere", json={"Code": "OK"})
    # when requested
    response = http.request("GET", server.url, service="测试", timeout=TIMEOUT)
    # then the redirect comes back as the answer; nothing else is asked
    assert response.status == 302
    assert len(server.received) == 1


# --- faults every HTTP provider handles alike ------------------------------------------------------


def test_a_5xx_is_retryable_and_the_next_attempt_succeeds(server, vendor):
    # given the vendor failing once with 502, then answering OK
    vendor.prepare(server)
    server.reply(vendor.path, status=502, body=b"<html>Bad Gateway</html>")
    server.reply(vendor.path, json=vendor.ok)
    provider = vendor.build(server.url)
    # when the dispatcher sends, and sends again later
    with pytest.raises(RetryableError) as first:
        provider.send(vendor.message)
    result = provider.send(vendor.message)
    # then the first attempt is retryable (HTTP status named), the second succeeds
    assert "502" in first.value.reason
    assert result.provider_message_id == vendor.expected_id
    assert len(vendor.sends(server)) == 2


def test_a_timeout_is_retryable_and_does_not_wait_for_the_server(server, vendor):
    # given the vendor answering only after 1.5 s, the client waiting 0.4 s
    vendor.prepare(server)
    server.reply(vendor.path, json=vendor.ok, delay=1.5)
    provider = vendor.build(server.url)
    started = time.monotonic()
    # when sent
    with pytest.raises(RetryableError) as error:
        provider.send(vendor.message)
    # then retryable, given up after about the timeout
    assert "超时" in error.value.reason
    assert time.monotonic() - started < 1.4


def test_a_refused_connection_is_retryable(vendor):
    with pytest.raises(RetryableError) as error:
        vendor.build(refused_url()).send(vendor.message)
    assert "连接被拒绝" in error.value.reason


def test_a_malformed_answer_is_retryable(server, vendor):
    vendor.prepare(server)
    server.reply(vendor.path, body=b'{"Code": "OK", "BizId": ')
    with pytest.raises(RetryableError) as error:
        vendor.build(server.url).send(vendor.message)
    assert "无法解析" in error.value.reason


def test_an_oversized_answer_is_refused_without_reading_it_all(server, vendor):
    vendor.prepare(server)
    server.reply(vendor.path, body=b"x" * (300 * 1024))
    with pytest.raises(RetryableError, match="响应过大"):
        vendor.build(server.url).send(vendor.message)


def test_a_missing_variable_is_permanent_names_it_and_shows_no_secret(server, vendor):
    # given one variable of the vendor left empty (the secret itself is set)
    provider = PROVIDER_CLASSES[vendor.name](CONFIGS[vendor.name](server.url, **vendor.missing))
    # when sent
    with pytest.raises(PermanentError) as error:
        provider.send(vendor.message)
    # then the reason names the variable, contains no secret, and nothing went out
    assert vendor.missing_name in error.value.reason
    assert "未配置" in error.value.reason
    assert not any(secret in error.value.reason for secret in SECRETS)
    assert server.received == []


def test_secrets_never_reach_the_log_or_an_error_reason(server, vendor, caplog, provider_log):
    # given a successful send and each kind of failure, with every log record captured
    reasons: list[str] = []
    scripts = [
        {"json": vendor.ok},
        {
            "status": 400,
            "json": {"Code": "SignatureDoesNotMatch", "Response": {"Error": {"Code": "AuthFailure.SignatureFailure"}}, "errcode": 40001},
        },
        {"status": 503, "body": b"down"},
        {"json": vendor.ok, "delay": 1.0},
    ]
    with caplog.at_level(logging.DEBUG):
        for script in scripts:
            cache.clear()
            server.reset()
            vendor.prepare(server)
            server.reply(vendor.path, **script)
            if vendor.name == "wechat":
                server.reply(TOKEN_PATH, json=WECHAT_TOKEN_OK)
                server.reply(vendor.path, **script)
            try:
                vendor.build(server.url).send(vendor.message)
            except ProviderError as exc:
                reasons.append(exc.reason)
        try:
            vendor.build(refused_url()).send(vendor.message)
        except ProviderError as exc:
            reasons.append(exc.reason)
    # then no secret (nor the WeChat token, nor the phone) appears anywhere
    assert len(reasons) == 4
    assert provider_log, "the providers log their outcomes"
    logged = "\n".join([caplog.text, *provider_log, *reasons])
    for secret in SECRETS:
        assert secret not in logged
    assert PHONE not in logged and OPENID not in logged
