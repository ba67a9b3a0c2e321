"""A scripted provider for tests of sending: records what it was given, fails as told."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from dangjian.notifications.providers.base import Outgoing, Provider, SendResult

_ids = itertools.count(1)


@dataclass
class RecordingProvider(Provider):
    """Returns a fresh id per send; ``script`` (one entry per call) may raise instead."""

    name: str = "fake"  # type: ignore[misc]
    delivered: bool = False
    script: list[Exception | None] = field(default_factory=list)
    fail_for: Callable[[Outgoing], Exception | None] = lambda outgoing: None
    sent: list[Outgoing] = field(default_factory=list)
    calls: int = 0

    def send(self, message: Outgoing) -> SendResult:
        self.calls += 1
        planned = self.script.pop(0) if self.script else None
        error = planned or self.fail_for(message)
        if error is not None:
            raise error
        self.sent.append(message)
        return SendResult(provider_message_id=f"fake-{next(_ids)}", delivered=self.delivered)


def install_recording_provider(monkeypatch: pytest.MonkeyPatch) -> RecordingProvider:
    """Every channel goes to one RecordingProvider (inbox ones come back delivered=False too).

    Test modules wrap it in their own ``provider`` fixture."""
    fake = RecordingProvider()
    monkeypatch.setattr("dangjian.notifications.services.get_provider", lambda channel: fake)
    return fake
