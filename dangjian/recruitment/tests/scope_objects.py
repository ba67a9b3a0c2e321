"""Objects of recruitment for tests/test_scope_isolation.py: outside (street B) and inside (branch A1-1)."""

from __future__ import annotations

from datetime import date
from typing import Any

from dangjian.recruitment.choices import MaterialKind
from dangjian.recruitment.tests.factories import register

KWARG_KINDS = {
    ("recruitment", "pk"): "candidate",
    ("recruitment", "material_pk"): "material",
    ("recruitment", "member_pk"): "member",
    ("api", "candidate_id"): "candidate",
    ("api", "material_id"): "material",
}


def build(world: Any) -> dict[str, tuple[list[int], int]]:
    outside = register(world, name="乙侧党员申请人", org=world.branch_b1_1, applied=date(2024, 3, 1))
    inside = register(world, name="甲侧申请人", applied=date(2024, 3, 1))
    return {
        "candidate": ([outside.pk], inside.pk),
        "material": (
            [outside.materials.get(kind=MaterialKind.APPLICATION).pk],
            inside.materials.get(kind=MaterialKind.APPLICATION).pk,
        ),
    }
