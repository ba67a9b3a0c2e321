"""Delivery-status callbacks: Alibaba Cloud and Tencent Cloud SMS reports and WeChat template-message
results move a sent message to delivered or failed, once; bad tokens, bodies and sizes change nothing."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from dangjian.notifications import callbacks
from dangjian.notifications.choices import Channel, MessageStatus
from dangjian.notifications.models import Message
from dangjian.notifications.providers import aliyun, tencent, wechat
from dangjian.notifications.providers.base import MalformedReport

from .message_rows import make_message

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
TOKEN = "cb-Secret-7f3a9d"
PHONE = "13912345678"
WECHAT_TOKEN = "wx-server-token"


@pytest.fixture(autouse=True)
def callback_settings(settings: Any) -> Any:
    settings.SMS_CALLBACK_TOKEN = TOKEN
    settings.WECHAT_SERVER_TOKEN = WECHAT_TOKEN
    return settings


def sent_sms(provider: str, message_id: str, **extra: Any) -> Message:
    return make_message(
        channel=Channel.SMS if provider != "wechat" else Channel.WECHAT,
        status=MessageStatus.SENT,
        provider=provider,
        provider_message_id=message_id,
        phone=PHONE if provider != "wechat" else "",
        **extra,
    )


def aliyun_item(biz_id: str, *, success: bool = True, code: str = "DELIVERED", msg: str = "用户接收成功") -> dict[str, Any]:
    return {
        "phone_number": PHONE,
        "send_time": "2027-03-01 09:00:01",
        "report_time": "2027-03-01 09:00:05",
        "success": success,
        "err_code": code,
        "err_msg": msg,
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": "",
    }


def tencent_item(sid: str, *, ok: bool = True, errmsg: str = "DELIVRD", description: str = "用户短信送达成功") -> dict[str, Any]:
    return {
        "user_receive_time": "2027-03-01 09:00:06",
        "nationcode": "86",
        "mobile": PHONE,
        "report_status": "SUCCESS" if ok else "FAIL",
        "errmsg": errmsg,
        "description": description,
        "sid": sid,
    }


def post(provider: str, body: Any, *, token: str = TOKEN, raw: bytes | None = None) -> Any:
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    return Client().post(f"/notifications/callbacks/{provider}/{token}/", data=data, content_type="application/json")


def snapshot(message: Message) -> tuple[Any, ...]:
    message.refresh_from_db()
    return (message.status, message.delivered_at, message.last_error)


# --- Alibaba Cloud -------------------------------------------------------------------------------------


def test_an_aliyun_success_report_marks_the_message_delivered_at_the_report_time():
    # given an SMS sent through Alibaba Cloud
    message = sent_sms("aliyun", "932702304080415357^0")
    # when Alibaba Cloud pushes its status report
    response = post("aliyun", [aliyun_item("932702304080415357^0")])
    # then it is answered as Alibaba Cloud expects, and the message is delivered at the reported time
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "成功"}
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at == datetime(2027, 3, 1, 9, 0, 5, tzinfo=SH)


def test_an_aliyun_failure_report_marks_the_message_failed_with_the_code_and_a_chinese_reason():
    # given a sent SMS
    message = sent_sms("aliyun", "biz-fail")
    # when the report says the carrier could not deliver it
    response = post("aliyun", [aliyun_item("biz-fail", success=False, code="UNDELIV", msg="UNDELIV")])
    # then the message failed, with the vendor code and what it means
    assert response.json() == {"code": 0, "msg": "成功"}
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.delivered_at is None
    assert "UNDELIV" in message.last_error
    assert "运营商无法投递" in message.last_error
    assert PHONE not in message.last_error


def test_a_duplicate_aliyun_callback_changes_nothing():
    # given a message delivered by a first report
    message = sent_sms("aliyun", "biz-dup")
    post("aliyun", [aliyun_item("biz-dup")])
    first = snapshot(message)
    # when the same report comes again, a later one, and a contradicting failure report
    later = aliyun_item("biz-dup")
    later["report_time"] = "2027-03-01 10:00:00"
    counts = [
        callbacks.apply_receipts("aliyun", aliyun.parse_delivery_report(json.dumps(body).encode()))
        for body in ([aliyun_item("biz-dup")], [later], [aliyun_item("biz-dup", success=False, code="UNDELIV")])
    ]
    # then the message is exactly as after the first report: one transition, same delivered_at, no regress
    assert snapshot(message) == first
    assert first[0] == MessageStatus.DELIVERED
    assert [c["changed"] for c in counts] == [0, 0, 0]
    assert [c["unchanged"] for c in counts] == [1, 1, 1]


def test_the_same_report_twice_in_one_batch_counts_one_transition():
    # given a sent message
    message = sent_sms("aliyun", "biz-twice")
    # when one push holds its report twice
    counts = callbacks.apply_receipts("aliyun", aliyun.parse_delivery_report(json.dumps([aliyun_item("biz-twice")] * 2).encode()))
    # then it moved once
    assert counts == {"received": 2, "changed": 1, "unchanged": 1, "unknown": 0}
    assert snapshot(message)[0] == MessageStatus.DELIVERED


def test_an_aliyun_report_for_an_unknown_id_is_ignored_and_counted():
    # given a sent message and a report naming another id (and one of another vendor's ids)
    message = sent_sms("aliyun", "biz-known")
    tencent_message = sent_sms("tencent", "biz-other-vendor")
    before = snapshot(message), snapshot(tencent_message)
    # when the report arrives
    counts = callbacks.apply_receipts(
        "aliyun", aliyun.parse_delivery_report(json.dumps([aliyun_item("biz-unknown"), aliyun_item("biz-other-vendor")]).encode())
    )
    response = post("aliyun", [aliyun_item("biz-unknown")])
    # then nothing changes, the reports are counted as unknown, and the vendor is told it was received
    assert counts["unknown"] == 2
    assert (snapshot(message), snapshot(tencent_message)) == before
    assert response.json() == {"code": 0, "msg": "成功"}


@pytest.mark.parametrize("token", ["wrong-token", TOKEN[:-1], TOKEN + "x"])
def test_a_wrong_token_answers_404_and_writes_nothing(token):
    # given a sent message
    message = sent_sms("aliyun", "biz-token")
    before = snapshot(message)
    # when a report arrives with a token that is not ours
    response = post("aliyun", [aliyun_item("biz-token")], token=token)
    # then 404, as for an unknown address, and the message is unchanged
    assert response.status_code == 404
    assert snapshot(message) == before


@pytest.mark.parametrize("configured", ["", None])
def test_without_a_configured_token_every_callback_answers_404(callback_settings, configured):
    # given no SMS_CALLBACK_TOKEN (empty, or not set at all)
    if configured is None:
        del callback_settings.SMS_CALLBACK_TOKEN
    else:
        callback_settings.SMS_CALLBACK_TOKEN = configured
    message = sent_sms("aliyun", "biz-unset")
    before = snapshot(message)
    # when reports arrive, even with an empty or a guessed token
    responses = [post(p, [aliyun_item("biz-unset")], token=t) for p in ("aliyun", "tencent", "wechat") for t in (TOKEN, "-")]
    # then all answer 404 and nothing is written
    assert [r.status_code for r in responses] == [404] * 6
    assert snapshot(message) == before


def test_the_callbacks_need_no_login_and_no_csrf_token():
    # given an anonymous client that enforces CSRF like a browser would
    message = sent_sms("aliyun", "biz-csrf")
    client = Client(enforce_csrf_checks=True)
    # when the vendor posts
    response = client.post(
        f"/notifications/callbacks/aliyun/{TOKEN}/", data=json.dumps([aliyun_item("biz-csrf")]), content_type="application/json"
    )
    # then it is accepted (not redirected to the login page, not refused for CSRF)
    assert response.status_code == 200
    assert snapshot(message)[0] == MessageStatus.DELIVERED


def test_a_get_is_refused_with_405():
    # when a report URL is opened with GET
    response = Client().get(f"/notifications/callbacks/aliyun/{TOKEN}/")
    # then 405 (POST only)
    assert response.status_code == 405


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"biz_id": "x", "success": ',
        b'"a string"',
        b"[1, 2]",
        json.dumps([{"biz_id": "biz-bad", "phone_number": PHONE}]).encode(),  # no success: outcome unknown
        b"\xff\xfe",
    ],
)
def test_a_malformed_aliyun_body_answers_400_with_a_json_error_and_writes_nothing(raw):
    # given a sent message
    message = sent_sms("aliyun", "biz-bad")
    before = snapshot(message)
    # when a body that cannot be read arrives (together with a valid report in the same body where possible)
    response = post("aliyun", None, raw=raw)
    # then 400 with a Chinese reason in Alibaba Cloud's shape, and nothing changed
    assert response.status_code == 400
    assert response.json()["code"] != 0
    assert "状态报告" in response.json()["msg"]
    assert snapshot(message) == before


def test_one_bad_item_refuses_the_whole_batch():
    # given a sent message
    message = sent_sms("aliyun", "biz-batch")
    before = snapshot(message)
    # when its valid report comes in one body with an item whose outcome cannot be told
    response = post("aliyun", [aliyun_item("biz-batch"), {"biz_id": "other"}])
    # then nothing of the batch is written
    assert response.status_code == 400
    assert snapshot(message) == before


def test_an_oversized_body_answers_413_and_writes_nothing():
    # given a sent message
    message = sent_sms("aliyun", "biz-big")
    before = snapshot(message)
    padding = "x" * (callbacks.MAX_BODY_BYTES + 1)
    # when a body above the limit arrives (with a valid report in it)
    response = post("aliyun", [{**aliyun_item("biz-big"), "out_id": padding}])
    # then 413 and nothing changed
    assert response.status_code == 413
    assert response.json()["code"] != 0
    assert snapshot(message) == before


def test_too_many_reports_in_one_call_answer_413(monkeypatch):
    # given a limit of 3 reports per call
    monkeypatch.setattr(callbacks, "MAX_RECEIPTS", 3)
    message = sent_sms("aliyun", "biz-many")
    before = snapshot(message)
    # when 4 arrive
    response = post("aliyun", [aliyun_item("biz-many")] * 4)
    # then 413 and nothing changed
    assert response.status_code == 413
    assert snapshot(message) == before


# --- Tencent Cloud -------------------------------------------------------------------------------------


def test_a_tencent_success_callback_marks_the_message_delivered():
    # given an SMS sent through Tencent Cloud
    message = sent_sms("tencent", "2640:1234567890123456789")
    # when Tencent Cloud calls back
    response = post("tencent", [tencent_item("2640:1234567890123456789")])
    # then it is answered as Tencent Cloud expects, and the message is delivered at the receive time
    assert response.status_code == 200
    assert response.json() == {"result": 0, "errmsg": "OK"}
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at == datetime(2027, 3, 1, 9, 0, 6, tzinfo=SH)


def test_a_tencent_failure_callback_marks_the_message_failed_with_the_code():
    # given a sent SMS
    message = sent_sms("tencent", "sid-fail")
    # when Tencent reports that the phone was off for too long
    post("tencent", [tencent_item("sid-fail", ok=False, errmsg="EXPIRED", description="用户手机关机超时")])
    # then it failed with the code, our reason and Tencent's description
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "EXPIRED" in message.last_error
    assert "手机长时间关机" in message.last_error
    assert "用户手机关机超时" in message.last_error


def test_a_duplicate_tencent_callback_changes_nothing():
    # given a message delivered by a first callback
    message = sent_sms("tencent", "sid-dup")
    post("tencent", [tencent_item("sid-dup")])
    first = snapshot(message)
    # when the callback is repeated, and then a failure for the same sid arrives
    post("tencent", [tencent_item("sid-dup")])
    post("tencent", [tencent_item("sid-dup", ok=False, errmsg="UNDELIV")])
    # then nothing changed
    assert snapshot(message) == first
    assert first[0] == MessageStatus.DELIVERED


def test_a_tencent_callback_for_an_unknown_sid_is_ignored():
    # given a message sent through Alibaba Cloud with the same id
    message = sent_sms("aliyun", "sid-shared")
    before = snapshot(message)
    # when Tencent reports that id
    response = post("tencent", [tencent_item("sid-shared")])
    # then Tencent gets its OK and the Alibaba Cloud message is untouched
    assert response.json() == {"result": 0, "errmsg": "OK"}
    assert snapshot(message) == before


def test_a_wrong_token_on_the_tencent_url_answers_404_and_writes_nothing():
    message = sent_sms("tencent", "sid-token")
    before = snapshot(message)
    # when called with another token
    response = post("tencent", [tencent_item("sid-token")], token="nope")
    # then 404, nothing written
    assert response.status_code == 404
    assert snapshot(message) == before


@pytest.mark.parametrize("raw", [b"{]", b"42", json.dumps([tencent_item("sid-bad") | {"report_status": "MAYBE"}]).encode()])
def test_a_malformed_tencent_body_answers_400_in_tencents_shape(raw):
    message = sent_sms("tencent", "sid-bad")
    before = snapshot(message)
    # when an unreadable body arrives
    response = post("tencent", None, raw=raw)
    # then 400 with a result code other than 0 and a Chinese reason; nothing written
    assert response.status_code == 400
    assert response.json()["result"] != 0
    assert "腾讯云短信" in response.json()["errmsg"]
    assert snapshot(message) == before


def test_an_oversized_tencent_body_answers_413():
    message = sent_sms("tencent", "sid-big")
    before = snapshot(message)
    response = post("tencent", None, raw=b" " * (callbacks.MAX_BODY_BYTES + 1))
    assert response.status_code == 413
    assert response.json()["result"] != 0
    assert snapshot(message) == before


# --- no phone numbers in logs ------------------------------------------------------------------------------


def test_phone_numbers_never_appear_in_the_logs(caplog):
    # given sent messages and reports carrying the phone number in clear
    sent_sms("aliyun", "biz-log")
    sent_sms("tencent", "sid-log")
    caplog.set_level(logging.DEBUG)
    # caplog's handler also on our logger itself: records are seen before the root handler's masking filter
    app_logger = logging.getLogger("dangjian.notifications")
    app_logger.addHandler(caplog.handler)
    try:
        # when known, unknown, failed and malformed reports arrive
        post("aliyun", [aliyun_item("biz-log"), aliyun_item("biz-nobody", success=False, code="UNDELIV", msg=f"{PHONE} 停机")])
        post("tencent", [tencent_item("sid-log"), tencent_item("sid-nobody")])
        post("aliyun", None, raw=json.dumps([{"phone_number": PHONE, "biz_id": "biz-log"}]).encode())
        post("tencent", None, raw=f'[{{"mobile": "{PHONE}", "report_status": "SUCCESS", "sid": '.encode())
    finally:
        app_logger.removeHandler(caplog.handler)
    # then the log tells what happened, with the numbers masked
    assert "delivery report" in caplog.text
    assert "139****5678" in caplog.text
    assert PHONE not in caplog.text


def test_the_secret_token_never_appears_in_the_logs(caplog):
    # given a sent message
    sent_sms("aliyun", "biz-secret")
    caplog.set_level(logging.DEBUG)
    # when refused (malformed, oversized, wrong method) and accepted reports arrive on the right URL
    post("aliyun", None, raw=b"not json")
    post("aliyun", None, raw=b" " * (callbacks.MAX_BODY_BYTES + 1))
    Client().get(f"/notifications/callbacks/tencent/{TOKEN}/")
    post_wechat(b"<", query=signed_query(token="forged"))
    post("aliyun", [aliyun_item("biz-secret")])
    # then the refusals are logged, without the path that holds the secret
    assert "refused" in caplog.text
    assert TOKEN not in caplog.text


# --- WeChat ----------------------------------------------------------------------------------------------


def wechat_event(msg_id: str, status: str = "success") -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
        "<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>"
        "<CreateTime>1395658920</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>"
        f"<MsgID>{msg_id}</MsgID><Status><![CDATA[{status}]]></Status></xml>"
    ).encode()


def signed_query(token: str = WECHAT_TOKEN, **extra: str) -> str:
    timestamp, nonce = str(int(time.time())), "1514711492"
    query = {"timestamp": timestamp, "nonce": nonce, "signature": wechat.server_signature(token, timestamp, nonce), **extra}
    return "&".join(f"{k}={v}" for k, v in query.items())


def post_wechat(body: bytes, *, query: str | None = None, token: str = TOKEN) -> Any:
    url = f"/notifications/callbacks/wechat/{token}/?{query if query is not None else signed_query()}"
    return Client().post(url, data=body, content_type="text/xml")


def test_the_wechat_server_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce():
    # given WeChat's documented inputs; then the sha1 of their sorted concatenation
    import hashlib

    expected = hashlib.sha1(b"".join(sorted([b"token", b"1409304348", b"2082334371"]))).hexdigest()
    assert wechat.server_signature("token", "1409304348", "2082334371") == expected
    assert wechat.server_signature("token", "1409304348", "2082334371") == wechat.server_signature("token", "1409304348", "2082334371")
    assert wechat.server_signature("token", "1409304348", "2082334372") != expected


def test_wechats_url_check_echoes_echostr_only_with_a_valid_signature():
    # when WeChat checks the server URL with a valid, then a wrong signature
    good = Client().get(f"/notifications/callbacks/wechat/{TOKEN}/?{signed_query(echostr='6543210')}")
    bad = Client().get(f"/notifications/callbacks/wechat/{TOKEN}/?{signed_query(token='other', echostr='6543210')}")
    # then only the valid one is echoed
    assert good.status_code == 200 and good.content == b"6543210"
    assert bad.status_code == 403


def test_a_wechat_template_result_marks_the_message_delivered_once():
    # given a template message sent through WeChat
    message = sent_sms("wechat", "200163836")
    # when WeChat reports success twice
    first = post_wechat(wechat_event("200163836"))
    after_first = snapshot(message)
    post_wechat(wechat_event("200163836"))
    # then it is delivered once
    assert first.status_code == 200 and first.content == b"success"
    assert after_first[0] == MessageStatus.DELIVERED
    assert snapshot(message) == after_first


def test_a_wechat_user_block_marks_the_message_failed_with_the_reason():
    message = sent_sms("wechat", "200163840")
    # when WeChat reports the member blocks template messages
    post_wechat(wechat_event("200163840", "failed:user block"))
    # then failed, with the status and a Chinese reason
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "拒收" in message.last_error and "user block" in message.last_error


def test_a_wechat_event_with_a_wrong_signature_or_token_writes_nothing():
    message = sent_sms("wechat", "200163841")
    before = snapshot(message)
    # when the event comes with a wrong signature, without one, or with a wrong path token
    responses = [
        post_wechat(wechat_event("200163841"), query=signed_query(token="forged")),
        post_wechat(wechat_event("200163841"), query=""),
        post_wechat(wechat_event("200163841"), token="nope"),
    ]
    # then it is refused and nothing changed
    assert [r.status_code for r in responses] == [403, 403, 404]
    assert snapshot(message) == before


def test_wechat_answers_404_while_its_server_token_is_not_configured(callback_settings):
    callback_settings.WECHAT_SERVER_TOKEN = ""
    response = post_wechat(wechat_event("1"))
    assert response.status_code == 404


def test_other_wechat_events_are_acknowledged_and_ignored():
    message = sent_sms("wechat", "200163842")
    before = snapshot(message)
    body = b"<xml><MsgType>event</MsgType><Event>subscribe</Event><MsgID>200163842</MsgID></xml>"
    response = post_wechat(body)
    assert response.status_code == 200 and response.content == b"success"
    assert snapshot(message) == before


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><MsgID>&a;</MsgID></xml>',
        b"<root><MsgType>event</MsgType></root>",
    ],
)
def test_malformed_or_entity_bearing_wechat_xml_answers_400(body):
    response = post_wechat(body)
    assert response.status_code == 400


def test_the_parsers_refuse_what_they_cannot_read():
    # a parser error is a MalformedReport with a Chinese reason, never another exception
    for parse, body in (
        (aliyun.parse_delivery_report, b"{"),
        (tencent.parse_delivery_report, b"[3]"),
        (wechat.parse_delivery_report, b"<"),
    ):
        with pytest.raises(MalformedReport) as caught:
            parse(body)
        assert caught.value.reason
