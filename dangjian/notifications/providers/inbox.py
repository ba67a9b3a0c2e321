"""The in-app inbox: the Message row itself is the inbox item, so sending only confirms it."""

from __future__ import annotations

from .base import Outgoing, Provider, SendResult


class InboxProvider(Provider):
    """No network: the message is delivered the moment it is stored, and read when the user opens it."""

    name = "inbox"

    def send(self, message: Outgoing) -> SendResult:
        return SendResult(delivered=True, raw={"provider": self.name})
