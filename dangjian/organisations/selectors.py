"""Reads of the organisation tree, always from a Scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from dangjian.core.scope import Scope, path_range, subtree_q

from .choices import MEMBER_HOLDING_KINDS, CommitteePost
from .models import CommitteeSeat, Organisation, OrganisationEvent


def organisations_visible_to(scope: Scope, *, include_dissolved: bool = True) -> QuerySet[Organisation]:
    """Every organisation in the caller's subtrees (the one scoping helper for organisations)."""
    qs = Organisation.objects.filter(scope.orgs_q())
    if not include_dissolved:
        qs = qs.filter(dissolved_on__isnull=True)
    return qs


def get_organisation_for(scope: Scope, pk: int) -> Organisation:
    """One organisation in scope, or 404 (the same answer as for one that does not exist)."""
    org = organisations_visible_to(scope).filter(pk=pk).first()
    if org is None:
        raise Http404("未找到该组织")
    return org


def branches_visible_to(scope: Scope) -> QuerySet[Organisation]:
    """Member-holding organisations (ORG-017) in scope, live only: choices for member forms."""
    return organisations_visible_to(scope, include_dissolved=False).filter(kind__in=[k.value for k in MEMBER_HOLDING_KINDS])


def subtree(org: Organisation, *, include_self: bool = True) -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(path__range=path_range(org.path))
    return qs if include_self else qs.exclude(pk=org.pk)


def children_of(org: Organisation) -> QuerySet[Organisation]:
    return Organisation.objects.filter(path__range=path_range(org.path), depth=org.depth + 1).order_by("path")


def ancestors_of(org: Organisation) -> list[Organisation]:
    paths = [org.path[:i] for i in range(Organisation.steplen, len(org.path), Organisation.steplen)]
    return list(Organisation.objects.filter(path__in=paths).order_by("depth"))


def parent_of(org: Organisation) -> Organisation | None:
    if org.depth <= 1:
        return None
    return Organisation.objects.filter(path=org.path[: -Organisation.steplen]).first()


def tree_rows(
    scope: Scope, *, root: Organisation | None = None, max_depth: int | None = None, include_dissolved: bool = False
) -> list[Organisation]:
    """Organisations of a (sub)tree in path order, with their direct member counts, in two queries."""
    qs = organisations_visible_to(scope, include_dissolved=include_dissolved)
    if root is not None:
        qs = qs.filter(path__range=path_range(root.path))
    if max_depth is not None:
        qs = qs.filter(depth__lte=max_depth)
    rows = list(qs.order_by("path"))
    counts = direct_member_counts([o.pk for o in rows if o.kind in MEMBER_HOLDING_KINDS])
    for org in rows:
        org.member_total, org.member_full = counts.get(org.pk, (0, 0))  # type: ignore[attr-defined]
    return rows


TREE_NODE_BUDGET = 300  # organisations the tree page renders at most before it folds a level


def tree_root_paths(scope: Scope) -> list[str]:
    """The roots of the caller's tree: the outermost subtrees of their roles (every top organisation for a superuser)."""
    if scope.is_superuser:
        return list(Organisation.objects.filter(depth=1).order_by("path").values_list("path", flat=True))
    return list(scope.subtree_paths)


def tree_window(root_paths: list[str], *, budget: int | None = None) -> tuple[list[Organisation], list[tuple[str, int]]]:
    """The live organisations the tree page shows, in path order, and per root the path length it shows.

    Levels are taken whole from the top (breadth first) while they fit in ``budget`` organisations;
    every root shows at least its children. One query (two when a root's children alone exceed the
    budget). Deeper organisations are only counted, through ``health.rollup_by_prefix``.
    """
    if not root_paths:
        return [], []
    budget = budget or TREE_NODE_BUDGET
    step = Organisation.steplen
    live = Organisation.objects.filter(subtree_q(root_paths), dissolved_on__isnull=True)
    rows = list(live.order_by("depth", "path")[: budget + 1])
    if len(rows) <= budget:
        deepest = max((o.depth for o in rows), default=0)
        spans = [(root, max(deepest * step, len(root))) for root in root_paths]
        return sorted(rows, key=lambda o: o.path), spans
    cut = rows[-1].depth  # this level did not fit whole: show the levels above it
    spans = [(root, max(cut - 1, len(root) // step + 1) * step) for root in root_paths]
    if all(length < cut * step for _, length in spans):
        shown = [o for o in rows if o.depth < cut]
    else:
        query = Q(pk__in=[])
        for root, length in spans:
            query |= Q(path__range=path_range(root), depth__lte=length // step)
        shown = list(live.filter(query))
    return sorted(shown, key=lambda o: o.path), spans


def live_children_of(org: Organisation) -> list[Organisation]:
    return list(children_of(org).filter(dissolved_on__isnull=True))


def direct_member_counts(org_ids: list[int]) -> dict[int, tuple[int, int]]:
    """org id -> (all members, full members) held directly by that organisation."""
    from django.apps import apps

    if not org_ids:
        return {}
    member_model = apps.get_model("members", "Member")
    rows = (
        member_model.objects.filter(organisation_id__in=org_ids)
        .values("organisation_id")
        .annotate(total=Count("id"), full=Count("id", filter=Q(status="full")))
    )
    return {r["organisation_id"]: (r["total"], r["full"]) for r in rows}


def current_seats(org_ids: list[int]) -> dict[int, list[CommitteeSeat]]:
    seats: dict[int, list[CommitteeSeat]] = {pk: [] for pk in org_ids}
    for seat in CommitteeSeat.objects.filter(organisation_id__in=org_ids, ended_on__isnull=True).select_related("member"):
        seats[seat.organisation_id].append(seat)
    return seats


def secretary_of(seats: list[CommitteeSeat]) -> CommitteeSeat | None:
    return next((s for s in seats if s.post == CommitteePost.SECRETARY), None)


def organisation_history(org: Organisation) -> QuerySet[OrganisationEvent]:
    return org.events.select_related("actor").all()


def search_organisations(scope: Scope, text: str, *, limit: int = 30) -> list[Organisation]:
    text = text.strip()
    if not text:
        return []
    qs = organisations_visible_to(scope).filter(Q(name__icontains=text) | Q(code__iexact=text)).order_by("path")
    return list(qs[:limit])


def organisation_choices(scope: Scope, **filters: Any) -> list[tuple[int, str]]:
    """(pk, indented name) for select boxes, in tree order, limited to the caller's subtree."""
    rows = organisations_visible_to(scope, include_dissolved=False).filter(**filters).order_by("path").values_list("pk", "name", "depth")
    return [(pk, "　" * max(depth - 1, 0) + name) for pk, name, depth in rows]


def subtree_member_totals(orgs: list[Organisation]) -> dict[int, int]:
    """org id -> members held anywhere in its subtree, in one GROUP BY (organisation path)."""
    from django.apps import apps

    if not orgs:
        return {}
    member_model = apps.get_model("members", "Member")
    rows = (
        member_model.objects.filter(subtree_q([o.path for o in orgs], prefix="organisation__"))
        .values_list("organisation__path")
        .annotate(n=Count("id"))
    )
    return rollup_by_path(orgs, dict(rows))


def rollup_by_path(orgs: list[Organisation], counts_by_path: dict[str, int]) -> dict[int, int]:
    """Sum counts held at paths up to each of ``orgs`` whose subtree contains them (pure, no query)."""
    pk_by_path = {o.path: o.pk for o in orgs}
    totals = dict.fromkeys(pk_by_path.values(), 0)
    step = Organisation.steplen
    for path, n in counts_by_path.items():
        for end in range(step, len(path) + 1, step):
            pk = pk_by_path.get(path[:end])
            if pk is not None:
                totals[pk] += n
    return totals
