"""The channel contract: a provider sends one message or raises a permanent or retryable error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ProviderError(Exception):
    """Base of provider failures; ``reason`` is shown to admins (never contains secrets or the phone)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentError(ProviderError):
    """Retrying cannot help (bad number, template rejected, misconfiguration)."""


class RetryableError(ProviderError):
    """Timeouts, 5xx, throttling: try again later with backoff."""


@dataclass(frozen=True)
class Outgoing:
    """What a provider receives: only phone/openid and text, nothing else of the member."""

    channel: str
    text: str
    phone: str = ""
    wechat_openid: str = ""
    title: str = ""
    link: str = ""
    template_code: str = ""  # the provider's pre-approved template id, where the provider needs one
    template_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""
    delivered: bool = False  # True when the channel confirms delivery at once (inbox)
    raw: dict[str, Any] = field(default_factory=dict)


class Provider:
    """One channel implementation. Subclasses implement ``send``; ``is_noop`` marks providers that send nowhere."""

    name = "base"

    def send(self, message: Outgoing) -> SendResult:
        raise NotImplementedError

    def is_noop(self) -> bool:
        return False


# --- delivery reports (callbacks) -------------------------------------------------------------------


class MalformedReport(ValueError):
    """A delivery report body that cannot be read; ``reason`` is Chinese and names no personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Receipt:
    """One delivery report of one message, as a provider's ``parse_delivery_report`` reads it.

    ``error`` is the Chinese reason with the vendor's code (failed reports only); ``at`` the time the
    vendor reports (None: unknown); ``masked_recipient`` the phone or OpenID already masked, for logs.
    """

    provider_message_id: str
    delivered: bool
    error: str = ""
    at: datetime | None = None
    masked_recipient: str = ""
