"""JSON API of venues under /api/v1/venues (scoped per ADR 0004)."""

from ninja import Router

router = Router(tags=["开放式组织生活基地"])
