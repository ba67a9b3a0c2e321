"""The default provider: writes the message to the log and sends nothing anywhere (the embedded install)."""

from __future__ import annotations

import logging
import uuid

from dangjian.core.masking import mask_phone, mask_text

from .base import Outgoing, Provider, SendResult

logger = logging.getLogger(__name__)


def mask_openid(openid: str) -> str:
    """An OpenID is a stable identifier of a person on WeChat: keep only a short head for the log."""
    if not openid:
        return ""
    return openid[:4] + "*" * max(4, len(openid) - 4)


class ConsoleProvider(Provider):
    """Logs ``channel → masked recipient: text`` and returns a made-up message id."""

    name = "console"

    def __init__(self, channel: str = "sms") -> None:
        self.channel = channel

    def send(self, message: Outgoing) -> SendResult:
        recipient = mask_phone(message.phone) or mask_openid(message.wechat_openid) or "-"
        fake_id = f"console-{uuid.uuid4().hex[:16]}"
        # mask_text: a number typed into a template by hand never reaches the log in clear either
        logger.info("console %s → %s: %s [%s]", message.channel or self.channel, recipient, mask_text(message.text), fake_id)
        return SendResult(provider_message_id=fake_id, raw={"provider": self.name})

    def is_noop(self) -> bool:
        return True
