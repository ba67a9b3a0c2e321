"""JSON API of recruitment under /api/v1/recruitment (scoped per ADR 0004)."""

from ninja import Router

router = Router(tags=["发展党员"])
