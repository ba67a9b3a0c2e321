"""P7's baseline (issue 9): a bare Django JSON view giving the same member page as ``GET /api/v1/members``.

Served only by the benchmark's gunicorn (``dangjian.demo.bench_settings``), never by the platform. It
does by hand what the API must do for the same answer, and nothing more: the token (one SQL query),
the caller's subtree roles (one), the page of 50 current members ordered by name (one, explicit
columns), decryption and masking of the three L3 fields, labels and flags, ``JsonResponse``. The
total is counted once per process and kept in memory (the API keeps it in the cache, ADR 0013).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from dangjian.core import crypto
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.core.scope import path_range
from dangjian.members.choices import Category, Gender, MemberStatus

# the same lookups the API answers with (a plain dict each, built once)
_GENDER = dict(Gender.choices)
_STATUS = dict(MemberStatus.choices)
_CATEGORY = dict(Category.choices)
_FLAG_COLUMNS = ("is_in_service", "is_flowing", "lost_contact_since", "is_party_rep", "is_part_time_committee", "is_exempt")
_FLAGS = ("in_service", "flowing", "lost_contact", "party_rep", "part_time_committee", "exempt")
_CONTEXT = {f: f"members.Member.{f}" for f in ("id_number", "phone", "address")}
_TOTALS: dict[tuple[str, ...], int] = {}

_PAGE_SQL = (
    "SELECT m.id, m.name, m.gender, m.birth_date, m.status, m.category, m.join_date, m.id_number, m.phone, m.address, "
    + ", ".join(f"m.{c}" for c in _FLAG_COLUMNS)
    + ", o.id, o.name, o.code FROM members_member m JOIN organisations_organisation o ON o.id = m.organisation_id "
    "WHERE ({paths}) AND m.left_on IS NULL ORDER BY m.name, m.id LIMIT %s OFFSET %s"
)


def _plain(value: str, field: str) -> str:
    return crypto.decrypt(value, context=_CONTEXT[field]) if value else value


def bare_member_list(request: HttpRequest) -> HttpResponse:
    auth = request.headers.get("Authorization", "")
    key = auth[7:].strip() if auth.startswith("Bearer ") else ""
    limit = min(int(request.GET.get("limit", 20)), 200)
    offset = int(request.GET.get("offset", 0))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.user_id FROM accounts_apitoken t JOIN accounts_user u ON u.id = t.user_id "
            "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active",
            [hashlib.sha256(key.encode()).hexdigest()],
        )
        found = cursor.fetchone()
        if found is None:
            return JsonResponse({"detail": "未登录"}, status=401)
        cursor.execute(
            "SELECT o.path FROM accounts_rolegrant g JOIN organisations_organisation o ON o.id = g.organisation_id "
            "WHERE g.user_id = %s AND o.dissolved_on IS NULL AND g.role IN ('district_admin', 'org_admin', 'branch_secretary')",
            [found[0]],
        )
        paths = tuple(sorted(row[0] for row in cursor.fetchall()))
        if not paths:
            return JsonResponse({"items": [], "count": 0})
        ranges = [bound for path in paths for bound in path_range(path)]
        where = " OR ".join(["o.path BETWEEN %s AND %s"] * len(paths))
        cursor.execute(_PAGE_SQL.replace("{paths}", where), [*ranges, limit, offset])
        rows = cursor.fetchall()
        if paths not in _TOTALS:
            cursor.execute(
                "SELECT count(*) FROM members_member m JOIN organisations_organisation o ON o.id = m.organisation_id "
                f"WHERE ({where}) AND m.left_on IS NULL",
                ranges,
            )
            _TOTALS[paths] = cursor.fetchone()[0]
    return JsonResponse({"items": [_item(row) for row in rows], "count": _TOTALS[paths]}, json_dumps_params={"ensure_ascii": False})


def _item(row: tuple[Any, ...]) -> dict[str, Any]:
    pk, name, gender, birth, status, category, joined, id_number, phone, address = row[:10]
    flags = [flag for flag, value in zip(_FLAGS, row[10:16], strict=True) if value not in (None, False)]
    org_id, org_name, org_code = row[16:]
    return {
        "id": pk,
        "name": name,
        "gender": gender,
        "gender_label": _GENDER.get(gender, ""),
        "birth_date": birth.isoformat(),
        "status": status,
        "status_label": _STATUS.get(status, ""),
        "category": category,
        "category_label": _CATEGORY.get(category, "") if category else "",
        "join_date": joined.isoformat(),
        "organisation": {"id": org_id, "name": org_name, "code": org_code},
        "id_number": mask_id_number(_plain(id_number, "id_number")),
        "phone": mask_phone(_plain(phone, "phone")),
        "address": mask_address(_plain(address, "address")),
        "flags": flags,
    }
