"""JSON API of transfers under /api/v1/transfers (scoped per ADR 0004)."""

from ninja import Router

router = Router(tags=["组织关系接转"])
