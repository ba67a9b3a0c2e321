"""Who a notification goes to, as the calling module describes them (notifications imports no member code)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipient:
    name: str
    user_id: int | None = None
    member_id: int | None = None
    phone: str = ""  # plain, decrypted by the caller's selector; stored encrypted on the Message
    org_path: str = ""
    # preferences, resolved by the caller from NotificationPreference or defaults
    channel_choice: str = "sms"
    opted_out: bool = False
    wechat_openid: str = ""
    # a reason to record the message as skipped instead of sending it (e.g. "已不是党员")
    skip_reason: str = ""
