"""Rule machinery: every domain rule carries its DOMAIN.md ID, source and Chinese message.

Apps declare their rules in their own ``rules.py`` with ``Rule(...)``; each rule registers itself in
``REGISTRY`` so the rule list page and the coverage tool see one catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"
    REMIND = "remind"
    FLAG = "flag"
    COUNT = "count"


REGISTRY: dict[str, Rule] = {}


RULE_ID_PATTERN = re.compile(r"^[A-Z]{2,5}-\d{3}$")


@dataclass(frozen=True, eq=False)
class Rule:
    """A DOMAIN.md rule: ``id`` exactly as DOMAIN.md spells it, never invented here.

    Compared and hashed by identity (each rule object is declared once, in its app's rules.py).
    """

    id: str
    source: str
    message: str
    severity: Severity = Severity.BLOCK
    params: dict[str, Any] = field(default_factory=dict)
    # one DOMAIN.md rule may have several checks (e.g. ORG-014 "due soon" and "overdue")
    variant: str = ""

    def __post_init__(self) -> None:
        if not RULE_ID_PATTERN.match(self.id):
            raise ValueError(f"rule id {self.id!r} is not a DOMAIN.md id like ORG-001")
        key = self.key
        existing = REGISTRY.get(key)
        if existing is not None and existing._content() != self._content():
            raise ValueError(f"rule {key} is declared twice with different content; give one a variant")
        REGISTRY[key] = self

    @property
    def key(self) -> str:
        """Registry key: the id, or ``id:variant`` for a second check of the same DOMAIN.md rule."""
        return f"{self.id}:{self.variant}" if self.variant else self.id

    def _content(self) -> tuple[Any, ...]:
        return (self.id, self.variant, self.source, self.message, self.severity, tuple(sorted(self.params.items())))

    def format(self, **context: Any) -> str:
        """The Chinese message with its context filled in, naming the rule and its basis."""
        text = self.message.format(**{**self.params, **context})
        return f"{text}（依据{self.source}，{self.id}）"

    def violation(self, field: str | None = None, **context: Any) -> RuleViolation:
        return RuleViolation(self, self.format(**context), field=field)

    def finding(self, **context: Any) -> Finding:
        return Finding(rule=self, message=self.format(**context))


class RuleViolation(Exception):
    """A broken rule. Views turn it into a form error; the API into 422 {rule, message, field}."""

    def __init__(self, rule: Rule | None, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.field = field

    @property
    def rule_id(self) -> str:
        return self.rule.id if self.rule else ""


@dataclass(frozen=True)
class Finding:
    """A health or compliance finding: the rule and the reason, shown on org pages."""

    rule: Rule
    message: str

    @property
    def rule_id(self) -> str:
        return self.rule.id

    @property
    def severity(self) -> str:
        return self.rule.severity.value
