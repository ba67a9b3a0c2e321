"""JSON API of meetings under /api/v1/meetings (scoped per ADR 0004)."""

from ninja import Router

router = Router(tags=["组织生活"])
