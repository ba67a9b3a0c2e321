"""Reads of the member registry, always from a Scope (the one subtree helper)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.core.fields import BlindIndexField
from dangjian.core.idnumber import normalise_id_number
from dangjian.core.masking import mask_address, mask_id_number, mask_phone
from dangjian.core.scope import Scope, path_range

from .choices import Gender
from .models import Member
from .normalise import normalise_phone


def members_visible_to(scope: Scope) -> QuerySet[Member]:
    """Members in the caller's subtrees, plus the caller's own record."""
    if scope.is_superuser:
        return Member.objects.all()
    query = scope.orgs_q(prefix="organisation__")
    if scope.member_id:
        query |= Q(pk=scope.member_id)
    return Member.objects.filter(query)


def members_with_org(scope: Scope) -> QuerySet[Member]:
    return members_visible_to(scope).select_related("organisation", "group")


def get_member_for(scope: Scope, pk: int) -> Member:
    member = members_with_org(scope).filter(pk=pk).first()
    if member is None:
        raise Http404("未找到该党员")
    return member


def blind_lookup(field: str, raw: str) -> str | None:
    model_field = Member._meta.get_field(f"{field}_hash")
    assert isinstance(model_field, BlindIndexField)
    return model_field.index_for(Member, raw)


def member_by_id_number(id_number: str) -> Member | None:
    """Exact match through the blind index, across the whole registry (uniqueness checks only)."""
    digest = blind_lookup("id_number", normalise_id_number(id_number))
    if not digest:
        return None
    return Member.objects.select_related("organisation").filter(id_number_hash=digest).first()


@dataclass
class MemberFilters:
    q: str = ""
    org_id: int | None = None
    status: str = ""
    category: str = ""
    gender: str = ""
    flags: tuple[str, ...] = ()
    sort: str = "name"
    # members who left (left_on set: transferred out, died, 停止党籍…) are not current members;
    # their records stay and are found with include_left
    include_left: bool = False


SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "join_date": ("join_date", "pk"),
    "-join_date": ("-join_date", "-pk"),
    "birth_date": ("birth_date", "pk"),
    "-birth_date": ("-birth_date", "-pk"),
    "organisation": ("organisation__path", "name", "pk"),
    "-organisation": ("-organisation__path", "name", "pk"),
}
FLAG_FILTERS: dict[str, Q] = {
    "in_service": Q(is_in_service=True),
    "flowing": Q(is_flowing=True),
    "lost_contact": Q(lost_contact_since__isnull=False),
    "party_rep": Q(is_party_rep=True),
    "part_time_committee": Q(is_part_time_committee=True),
    "exempt": Q(is_exempt=True),
}
FLAG_LABELS = {
    "in_service": "在职党员",
    "flowing": "流动党员",
    "lost_contact": "失联党员",
    "party_rep": "党代表",
    "part_time_committee": "兼职委员",
    "exempt": "不作硬性要求",
}


def filter_members(scope: Scope, filters: MemberFilters) -> QuerySet[Member]:
    """Search and filter inside the caller's scope: name contains, or exact ID number / phone."""
    qs = members_with_org(scope)
    if not filters.include_left:
        qs = qs.filter(left_on__isnull=True)
    text = filters.q.strip()
    if text:
        qs = qs.filter(_text_query(text))
    if filters.org_id:
        from django.apps import apps

        org = apps.get_model("organisations", "Organisation").objects.filter(pk=filters.org_id).values_list("path", flat=True).first()
        qs = qs.filter(organisation__path__range=path_range(org)) if org else qs.none()
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.gender:
        qs = qs.filter(gender=filters.gender)
    for flag in filters.flags:
        if flag in FLAG_FILTERS:
            qs = qs.filter(FLAG_FILTERS[flag])
    return qs.order_by(*SORTS.get(filters.sort, SORTS["name"]))


def _text_query(text: str) -> Q:
    compact = normalise_id_number(text)
    query = Q(name__icontains=text)
    if len(compact) == 18:
        digest = blind_lookup("id_number", compact)
        if digest:
            query |= Q(id_number_hash=digest)
    digits = normalise_phone(text)
    if len(digits) >= 7 and digits == text.replace(" ", "").replace("-", "").lstrip("+"):
        digest = blind_lookup("phone", digits)
        if digest:
            query |= Q(phone_hash=digest)
    return query


# the encrypted L3 columns (PII-001)
ENCRYPTED_FIELDS = ("id_number", "phone", "address")


def masked(member: Member) -> dict[str, str]:
    """The three L3 fields as every list, page, export and API shows them by default (PII-004)."""
    return {
        "id_number": mask_id_number(member.id_number),
        "phone": mask_phone(member.phone),
        "address": mask_address(member.address),
    }


# what the member list page shows of each row (members/list.html), read as values: the rest of the
# record stays in the database, the address is neither read nor decrypted, no model instances are built
_GENDER_LABELS = dict(Gender.choices)
# flag -> the field that sets it (FLAG_FILTERS' columns), in the order the pages show the flags
FLAG_KEYS = {
    "in_service": "is_in_service",
    "flowing": "is_flowing",
    "lost_contact": "lost_contact_since",
    "party_rep": "is_party_rep",
    "part_time_committee": "is_part_time_committee",
    "exempt": "is_exempt",
}
FLAG_FIELDS = tuple(FLAG_KEYS.values())
LIST_PAGE_FIELDS = (
    *("id", "name", "gender", "birth_date", "id_number", "phone", "status", "join_date"),
    *FLAG_FIELDS,
    *("organisation__name", "group__name"),
)


def member_flags(member: Member) -> list[str]:
    """The labels of the flags set on ``member`` (FLAG_KEYS order)."""
    return [FLAG_LABELS[flag] for flag, key in FLAG_KEYS.items() if getattr(member, key)]


def for_list_page(members: QuerySet[Member]) -> QuerySet[Any]:
    """``members`` as the values the list page shows (``LIST_PAGE_FIELDS``); each becomes a row by ``list_row``."""
    return members.values(*LIST_PAGE_FIELDS)


def list_row(values: dict[str, Any]) -> dict[str, Any]:
    """One row of the member list: ID number and phone masked (PII-004), labels, flags."""
    return {
        "pk": values["id"],
        "name": values["name"],
        "gender_label": _GENDER_LABELS.get(values["gender"], ""),
        "birth_date": values["birth_date"],
        "id_number": mask_id_number(values["id_number"]),
        "phone": mask_phone(values["phone"]),
        "status": values["status"],
        "join_date": values["join_date"],
        "organisation_name": values["organisation__name"],
        "group_name": values["group__name"] or "",
        "flags": [FLAG_LABELS[flag] for flag, key in FLAG_KEYS.items() if values[key]],
    }


def member_history(member: Member) -> QuerySet[Any]:
    return member.events.select_related("actor").all()
