"""Pages of bases and bookings: list, calendar, booking, the keeper's desk, check-in, statistics.

Every view that takes an id loads the object through ``selectors.get_base_for`` /
``get_booking_for`` (404 outside the caller's reach), then checks the role (403 with the reason).
Views are thin: form → service → redirect; a broken rule comes back as a form error.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.choices import Role
from dangjian.accounts.models import RoleGrant
from dangjian.core.masking import mask_phone
from dangjian.core.rules import RuleViolation
from dangjian.core.scope import subtree_q
from dangjian.core.uploads import IMAGE_TYPES, check_upload, file_response
from dangjian.core.views import paginate
from dangjian.members.models import Member
from dangjian.organisations.selectors import get_organisation_for, organisation_choices

from . import permissions, rules, selectors, services
from .choices import BookingStatus
from .forms import (
    ActivityForm,
    BaseForm,
    BookingForm,
    CancelForm,
    CheckInForm,
    ClosedDateForm,
    CodeForm,
    DeclineForm,
    HoursForm,
    ParticipantsForm,
    PhotoForm,
    StatsForm,
)
from .models import BaseActivity, BasePhoto, Booking, OpenBase

NO_MANAGE = "只有基地所属组织的区委组织部、党（工）委管理员或本基地的基地管理员可以管理该基地。"
NO_REGISTER = "只有区委组织部或党（工）委管理员可以登记开放式组织生活基地。"
NO_BOOK = "只有党支部书记（或上级党组织管理员）可以为党支部预约基地。"
NO_BRANCH_ACTION = "只有预约的党支部书记或其上级党组织管理员可以办理。"
SCAN_SALT = "venues.checkin"


def _require(allowed: bool, reason: str) -> None:
    if not allowed:
        raise PermissionDenied(reason)


def _add_violation(form: forms.Form, exc: RuleViolation) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _scope(request: HttpRequest) -> Any:
    return request.scope  # type: ignore[attr-defined]


# --- bases -----------------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every base the caller may see or book, with the keeper's pending count."""
    scope = _scope(request)
    bases = list(
        selectors.bases_visible_to(scope)
        .filter(Q(is_active=True) | Q(pk__in=selectors.bases_managed_by(scope)))
        .select_related("location")
        .prefetch_related("activities")
        .annotate(pending=Count("bookings", filter=Q(bookings__status=BookingStatus.PENDING)))
        .order_by("name")
    )
    managed = set(selectors.bases_managed_by(scope).values_list("pk", flat=True))
    return render(
        request,
        "venues/index.html",
        {
            "bases": bases,
            "managed": managed,
            "can_register": permissions.can_register_base(scope),
            "can_book": permissions.can_book(scope),
            "can_stats": bool(scope.subtree_paths) or scope.is_superuser,
        },
    )


def _location_choices(scope: Any) -> list[tuple[int, str]]:
    return (
        organisation_choices(scope)
        if scope.is_superuser
        else [(pk, name) for pk, name in organisation_choices(scope) if _covers_admin(scope, pk)]
    )


def _covers_admin(scope: Any, org_id: int) -> bool:
    from dangjian.organisations.models import Organisation

    path = Organisation.objects.filter(pk=org_id).values_list("path", flat=True).first()
    return bool(path) and scope.covers_path(path, roles=permissions.ADMIN_ROLES)


def _keeper_choices(scope: Any) -> list[tuple[int, str]]:
    grants = RoleGrant.objects.filter(role=Role.BASE_KEEPER).select_related("user", "organisation").order_by("user__username")
    if not scope.is_superuser:
        grants = grants.filter(subtree_q(list(scope.paths_for(*permissions.ADMIN_ROLES)), prefix="organisation__"))
    seen: dict[int, str] = {}
    for grant in grants:
        seen.setdefault(grant.user_id, f"{grant.user}（{grant.organisation.name}）")
    return list(seen.items())


@require_http_methods(["GET", "POST"])
def base_create(request: HttpRequest) -> HttpResponse:
    """An admin registers a base in their subtree (BASE-001)."""
    scope = _scope(request)
    _require(permissions.can_register_base(scope), NO_REGISTER)
    form = BaseForm(request.POST or None, locations=_location_choices(scope), keepers=_keeper_choices(scope))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        location = get_organisation_for(scope, data.pop("location"))
        _require(permissions.can_register_base(scope, location), NO_REGISTER)
        keepers = data.pop("keepers")
        try:
            base = services.register_base(actor=request.user, location=location, values=data, keeper_ids=keepers)
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已登记基地“{base.name}”。请接着填写活动菜单和开放时间，党支部才能预约。")
            return redirect("venues:setup", pk=base.pk)
    return render(request, "venues/base_form.html", {"form": form, "title": "登记开放式组织生活基地"})


@require_http_methods(["GET", "POST"])
def base_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    base = selectors.get_base_for(scope, pk)
    _require(permissions.can_manage_base(scope, base), NO_MANAGE)
    admin = permissions.can_change_location_and_keepers(scope, base)
    initial = {f: getattr(base, f) for f in services.BASE_FIELDS}
    initial.update(location=base.location_id, keepers=list(base.keepers.values_list("pk", flat=True)))
    form = BaseForm(request.POST or None, initial=initial, locations=_location_choices(scope), keepers=_keeper_choices(scope), admin=admin)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        keepers = data.pop("keepers", None)
        location_id = data.pop("location", None)
        location = None
        if admin and location_id and location_id != base.location_id:
            location = get_organisation_for(scope, location_id)
            _require(permissions.can_register_base(scope, location), NO_REGISTER)
        try:
            services.update_base(actor=request.user, base_id=base.pk, values=data, keeper_ids=keepers, location=location)
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("venues:detail", pk=base.pk)
    return render(request, "venues/base_form.html", {"form": form, "title": f"修改基地：{base.name}", "base": base})


def _week_start(request: HttpRequest) -> date:
    today = timezone.localdate()
    try:
        chosen = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        chosen = today
    return max(chosen, today - timedelta(days=7))


@require_GET
def base_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Facts, menu, hours, and a 7-day calendar of the chosen activity's slots with free places."""
    scope = _scope(request)
    base = selectors.get_base_for(scope, pk)
    activities = list(base.activities.filter(is_active=True))
    activity = next((a for a in activities if str(a.pk) == request.GET.get("activity")), activities[0] if activities else None)
    first = _week_start(request)
    today = timezone.localdate()
    return render(
        request,
        "venues/base_detail.html",
        {
            "base": base,
            "activities": activities,
            "activity": activity,
            "calendar": selectors.week_calendar(base, activity, first),
            "first": first,
            "prev_week": first - timedelta(days=7) if first > today else None,
            "next_week": first + timedelta(days=7),
            "hours": base.hours.all(),
            "closed": base.closed_dates.filter(day__gte=today)[:20],
            "photos": base.photos.all(),
            "contact_phone": mask_phone(base.contact_phone),
            "can_manage": permissions.can_manage_base(scope, base),
            "can_book": permissions.can_book(scope) and base.is_active,
        },
    )


@require_http_methods(["GET"])
def base_setup(request: HttpRequest, pk: int) -> HttpResponse:
    """The manager's page for the menu, opening hours, closed dates and photos."""
    scope = _scope(request)
    base = selectors.get_base_for(scope, pk)
    _require(permissions.can_manage_base(scope, base), NO_MANAGE)
    return _setup_page(request, base)


def _setup_page(request: HttpRequest, base: OpenBase, **forms_: Any) -> HttpResponse:
    return render(
        request,
        "venues/base_setup.html",
        {
            "base": base,
            "activities": base.activities.all(),
            "hours": base.hours.all(),
            "closed": base.closed_dates.filter(day__gte=timezone.localdate() - timedelta(days=30)),
            "photos": base.photos.all(),
            "activity_form": forms_.get("activity_form") or ActivityForm(initial={"duration_minutes": 120, "capacity": base.capacity}),
            "hours_form": forms_.get("hours_form") or HoursForm(initial={"opens_at": "09:00", "closes_at": "17:00"}),
            "closed_form": forms_.get("closed_form") or ClosedDateForm(),
            "photo_form": forms_.get("photo_form") or PhotoForm(),
        },
        status=422 if forms_ else 200,
    )


def _managed_base(request: HttpRequest, pk: int) -> OpenBase:
    base = selectors.get_base_for(_scope(request), pk)
    _require(permissions.can_manage_base(_scope(request), base), NO_MANAGE)
    return base


@require_POST
def activity_add(request: HttpRequest, pk: int) -> HttpResponse:
    base = _managed_base(request, pk)
    form = ActivityForm(request.POST)
    if form.is_valid():
        try:
            services.save_activity(actor=request.user, base_id=base.pk, values=form.cleaned_data)
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, f"已加入活动菜单：{form.cleaned_data['name']}")
            return redirect("venues:setup", pk=base.pk)
    return _setup_page(request, base, activity_form=form)


@require_POST
def activity_toggle(request: HttpRequest, pk: int, activity_pk: int) -> HttpResponse:
    """Stop or resume taking bookings for one activity (bookings made stay)."""
    base = selectors.get_base_for(_scope(request), pk)
    activity = BaseActivity.objects.filter(base=base, pk=activity_pk).first()
    if activity is None:
        raise Http404("未找到该活动")
    _require(permissions.can_manage_base(_scope(request), base), NO_MANAGE)
    try:
        services.save_activity(actor=request.user, base_id=base.pk, activity_id=activity.pk, values={"is_active": not activity.is_active})
    except RuleViolation as exc:
        messages.error(request, exc.message)
    return redirect("venues:setup", pk=base.pk)


@require_POST
def hours_add(request: HttpRequest, pk: int) -> HttpResponse:
    base = _managed_base(request, pk)
    form = HoursForm(request.POST)
    if form.is_valid():
        try:
            services.add_opening_hours(actor=request.user, base_id=base.pk, **form.cleaned_data)
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, "已添加开放时间。")
            return redirect("venues:setup", pk=base.pk)
    return _setup_page(request, base, hours_form=form)


@require_POST
def hours_delete(request: HttpRequest, pk: int, hours_pk: int) -> HttpResponse:
    base = selectors.get_base_for(_scope(request), pk)
    if not base.hours.filter(pk=hours_pk).exists():
        raise Http404("未找到该开放时间")
    _require(permissions.can_manage_base(_scope(request), base), NO_MANAGE)
    services.remove_opening_hours(actor=request.user, base_id=base.pk, hours_id=hours_pk)
    messages.success(request, "已删除该段开放时间；已有的预约不受影响。")
    return redirect("venues:setup", pk=base.pk)


@require_POST
def closed_add(request: HttpRequest, pk: int) -> HttpResponse:
    base = _managed_base(request, pk)
    form = ClosedDateForm(request.POST)
    if form.is_valid():
        try:
            services.add_closed_date(actor=request.user, base_id=base.pk, **form.cleaned_data)
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            day = form.cleaned_data["day"]
            held = selectors.holding_bookings(base, day, day).count()
            note = f"当天已有{held}个预约，请联系预约的党支部改约或由其取消。" if held else ""
            messages.success(request, f"已登记闭馆日期 {day:%Y-%m-%d}。{note}")
            return redirect("venues:setup", pk=base.pk)
    return _setup_page(request, base, closed_form=form)


@require_POST
def closed_delete(request: HttpRequest, pk: int, closed_pk: int) -> HttpResponse:
    base = selectors.get_base_for(_scope(request), pk)
    if not base.closed_dates.filter(pk=closed_pk).exists():
        raise Http404("未找到该闭馆日期")
    _require(permissions.can_manage_base(_scope(request), base), NO_MANAGE)
    services.remove_closed_date(actor=request.user, base_id=base.pk, closed_id=closed_pk)
    messages.success(request, "已取消该闭馆日期。")
    return redirect("venues:setup", pk=base.pk)


@require_POST
def photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    base = _managed_base(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            check_upload(form.cleaned_data["image"], allowed=IMAGE_TYPES, field="image", what="照片")
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            BasePhoto.objects.create(base=base, image=form.cleaned_data["image"], caption=form.cleaned_data["caption"])
            messages.success(request, "已上传照片。")
            return redirect("venues:setup", pk=base.pk)
    return _setup_page(request, base, photo_form=form)


@require_GET
def photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    base = selectors.get_base_for(_scope(request), pk)
    item = BasePhoto.objects.filter(base=base, pk=photo_pk).first()
    if item is None:
        raise Http404("未找到该照片")
    return file_response(item.image, download_name=f"{base.name}-{item.pk}.{item.image.name.rsplit('.', 1)[-1]}", inline=True)


@require_POST
def photo_delete(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    base = selectors.get_base_for(_scope(request), pk)
    item = BasePhoto.objects.filter(base=base, pk=photo_pk).first()
    if item is None:
        raise Http404("未找到该照片")
    _require(permissions.can_manage_base(_scope(request), base), NO_MANAGE)
    item.image.delete(save=False)
    item.delete()
    messages.success(request, "已删除照片。")
    return redirect("venues:setup", pk=base.pk)


# --- booking ------------------------------------------------------------------------------------------


def _start_choices(base: OpenBase) -> list[str]:
    """Every slot start of the week's opening hours, "HH:MM"."""
    starts: set[str] = set()
    for hours in base.hours.all():
        moment = datetime.combine(date.today(), hours.opens_at)
        end = datetime.combine(date.today(), hours.closes_at)
        while moment < end:
            starts.add(f"{moment:%H:%M}")
            moment += base.slot
    return sorted(starts)


def _member_choices(org_ids: list[int]) -> list[tuple[int, str]]:
    rows = Member.objects.filter(organisation_id__in=org_ids, left_on__isnull=True).order_by("name", "pk").values_list("pk", "name")
    return list(rows)


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, pk: int) -> HttpResponse:
    """A secretary books a slot (or a series) for the branch: free places are checked under the base lock."""
    scope = _scope(request)
    base = selectors.get_base_for(scope, pk)
    _require(permissions.can_book(scope), NO_BOOK)
    branches = selectors.booking_branches(scope, base)
    _require(bool(branches), f"您没有可以预约{base.name}的党支部（基地向“{base.location.name}”及其下级开放）。")
    activities = list(base.activities.filter(is_active=True))
    starts = _start_choices(base)
    initial: dict[str, Any] = {
        "request_key": secrets.token_hex(12),
        "contact_name": getattr(request.user, "display_name", "") or request.user.get_username(),
        "organisation": branches[0].pk,
        "headcount": None,
    }
    try:
        chosen = datetime.fromisoformat(request.GET.get("start", ""))
        chosen = timezone.localtime(chosen) if timezone.is_aware(chosen) else chosen
        initial.update(day=chosen.date(), start=f"{chosen:%H:%M}")
    except ValueError:
        pass
    if request.GET.get("activity", "").isdigit():
        initial["activity"] = int(request.GET["activity"])
    form = BookingForm(
        request.POST or None,
        initial=initial,
        organisations=[(o.pk, o.name) for o in branches],
        activities=[(a.pk, f"{a.name}（{a.duration_minutes}分钟，每批最多{a.capacity}人）") for a in activities],
        starts=starts,
        members=_member_choices([o.pk for o in branches]) if len(branches) == 1 else [],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = next(o for o in branches if o.pk == data["organisation"])
        _require(permissions.can_book_for(scope, org, base), NO_BOOK)
        common = {
            "actor": request.user,
            "base_id": base.pk,
            "activity_id": data["activity"],
            "organisation_id": org.pk,
            "headcount": data["headcount"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "note": data["note"],
            "request_key": data["request_key"],
        }
        if data["repeat"]:
            results = services.book_series(**common, first_start=form.starts_at(), repeat=data["repeat"], until=data["until"])
            return render(
                request, "venues/series_result.html", {"base": base, "results": results, "booked": sum(1 for r in results if r.booking)}
            )
        try:
            booking = services.book_slot(**common, starts_at=form.starts_at(), participant_ids=data["participants"])
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            if not getattr(booking, "replayed", False):
                messages.success(
                    request,
                    f"预约{'已提交，请等待基地管理员审核' if booking.status == BookingStatus.PENDING else '成功'}。签到码：{booking.check_code}",
                )
            return redirect("venues:booking", booking_pk=booking.pk)
    return render(request, "venues/book.html", {"base": base, "form": form, "activities": activities}, status=422 if form.errors else 200)


@require_GET
def bookings(request: HttpRequest) -> HttpResponse:
    """The bookings of the caller's branches, newest first, filterable by status."""
    scope = _scope(request)
    qs = selectors.branch_bookings(scope).select_related("base", "activity", "organisation")
    status = request.GET.get("status", "")
    if status in BookingStatus.values:
        qs = qs.filter(status=status)
    page = paginate(request, qs.order_by("-starts_at", "-id"))
    return render(request, "venues/bookings.html", {"page": page, "status": status, "statuses": BookingStatus.choices})


@require_GET
def desk(request: HttpRequest, pk: int) -> HttpResponse:
    """The keeper's desk: bookings waiting for a decision, today's groups, the next two weeks."""
    scope = _scope(request)
    base = selectors.get_base_for(scope, pk)
    _require(permissions.can_manage_base(scope, base), NO_MANAGE)
    today = timezone.localdate()
    pending = base.bookings.filter(status=BookingStatus.PENDING).select_related("organisation", "activity").order_by("starts_at")
    return render(
        request,
        "venues/desk.html",
        {
            "base": base,
            "pending": pending,
            "today_rows": selectors.holding_bookings(base, today, today).exclude(status=BookingStatus.PENDING),
            "upcoming": selectors.holding_bookings(base, today + timedelta(days=1), today + timedelta(days=14)).exclude(
                status=BookingStatus.PENDING
            ),
            "code_form": CodeForm(),
            "decline_form": DeclineForm(),
        },
    )


@require_POST
def checkin_by_code(request: HttpRequest, pk: int) -> HttpResponse:
    """The keeper types the short code: it opens that booking ready to check in."""
    scope = _scope(request)
    base = selectors.get_base_for(scope, pk)
    _require(permissions.can_manage_base(scope, base), NO_MANAGE)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            booking = services.find_by_code(base=base, code=form.cleaned_data["code"], on=timezone.localdate())
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            return redirect(f"{reverse('venues:booking', kwargs={'booking_pk': booking.pk})}#checkin")
    else:
        messages.error(request, "请填写签到码。")
    return redirect("venues:desk", pk=base.pk)


@require_GET
def scan(request: HttpRequest) -> HttpResponse:
    """The booking's QR code opens this URL on the keeper's phone: the signed id leads to the booking."""
    token = request.GET.get("c", "")
    if not token:
        return render(request, "venues/scan.html", {})
    try:
        booking_id = int(signing.loads(token, salt=SCAN_SALT))
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404("二维码无效") from None
    booking = selectors.get_booking_for(_scope(request), booking_id)
    return redirect(f"{reverse('venues:booking', kwargs={'booking_pk': booking.pk})}#checkin")


def _qr_svg(request: HttpRequest, booking: Booking) -> str:
    url = request.build_absolute_uri(reverse("venues:scan") + "?c=" + signing.dumps(booking.pk, salt=SCAN_SALT))
    return segno.make(url, error="m").svg_inline(scale=4, dark="#1f2328")


@require_GET
def booking_detail(request: HttpRequest, booking_pk: int) -> HttpResponse:
    scope = _scope(request)
    booking = selectors.get_booking_for(scope, booking_pk)
    return render(request, "venues/booking_detail.html", _booking_context(request, booking))


def _booking_context(request: HttpRequest, booking: Booking, **forms_: Any) -> dict[str, Any]:
    scope = _scope(request)
    branch_side = permissions.can_act_for_branch(scope, booking)
    keeper_side = permissions.can_decide(scope, booking)
    live = booking.status in (BookingStatus.PENDING, BookingStatus.APPROVED)
    participants = list(booking.participants.order_by("name").values_list("pk", "name")) if branch_side else []
    opens, closes = rules.checkin_window(booking.starts_at, booking.base.checkin_window_minutes)
    return {
        "booking": booking,
        "branch_side": branch_side,
        "keeper_side": keeper_side,
        "live": live,
        "participants": participants,
        "listed": booking.participants.count() + booking.guest_count,
        "history": selectors.booking_history(booking),
        "contact_phone": mask_phone(booking.contact_phone),
        "qr": _qr_svg(request, booking) if branch_side and booking.status == BookingStatus.APPROVED else "",
        "checkin_opens": opens,
        "checkin_closes": closes,
        "participants_form": forms_.get("participants_form")
        or ParticipantsForm(
            initial={"participants": [pk for pk, _ in participants], "guest_count": booking.guest_count},
            members=_member_choices([booking.organisation_id]),
        ),
        "decline_form": forms_.get("decline_form") or DeclineForm(),
        "cancel_form": CancelForm(),
        "checkin_form": forms_.get("checkin_form") or CheckInForm(),
    }


def _booking_action(request: HttpRequest, booking_pk: int, *, keeper: bool) -> Booking:
    scope = _scope(request)
    booking = selectors.get_booking_for(scope, booking_pk)
    if keeper:
        _require(permissions.can_decide(scope, booking), NO_MANAGE)
    else:
        _require(permissions.can_act_for_branch(scope, booking), NO_BRANCH_ACTION)
    return booking


def _back(booking: Booking) -> HttpResponse:
    return redirect("venues:booking", booking_pk=booking.pk)


@require_POST
def approve(request: HttpRequest, booking_pk: int) -> HttpResponse:
    booking = _booking_action(request, booking_pk, keeper=True)
    try:
        services.approve_booking(actor=request.user, booking_id=booking.pk)
        messages.success(request, "已审核通过，已通知预约的党支部。")
    except RuleViolation as exc:
        messages.error(request, exc.message)
    return redirect(request.POST.get("next") or reverse("venues:booking", kwargs={"booking_pk": booking.pk}))


@require_POST
def decline(request: HttpRequest, booking_pk: int) -> HttpResponse:
    booking = _booking_action(request, booking_pk, keeper=True)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.decline_booking(actor=request.user, booking_id=booking.pk, reason=form.cleaned_data["reason"])
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, "已告知预约的党支部未通过及原因，名额已释放。")
            return _back(booking)
    return render(request, "venues/booking_detail.html", _booking_context(request, booking, decline_form=form), status=422)


@require_POST
def cancel(request: HttpRequest, booking_pk: int) -> HttpResponse:
    booking = _booking_action(request, booking_pk, keeper=False)
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        services.cancel_booking(actor=request.user, booking_id=booking.pk, reason=form.cleaned_data.get("reason", ""))
        messages.success(request, "预约已取消，名额已释放。")
    except RuleViolation as exc:
        messages.error(request, exc.message)
    return _back(booking)


@require_POST
def participants(request: HttpRequest, booking_pk: int) -> HttpResponse:
    booking = _booking_action(request, booking_pk, keeper=False)
    form = ParticipantsForm(request.POST, members=_member_choices([booking.organisation_id]))
    if form.is_valid():
        try:
            services.set_participants(
                actor=request.user,
                booking_id=booking.pk,
                member_ids=form.cleaned_data["participants"],
                guest_count=form.cleaned_data["guest_count"],
            )
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, "已保存参加人员。")
            return _back(booking)
    return render(request, "venues/booking_detail.html", _booking_context(request, booking, participants_form=form), status=422)


@require_POST
def checkin(request: HttpRequest, booking_pk: int) -> HttpResponse:
    booking = _booking_action(request, booking_pk, keeper=True)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            services.check_in(actor=request.user, booking_id=booking.pk, attended=form.cleaned_data["attended"])
        except RuleViolation as exc:
            _add_violation(form, exc)
        else:
            messages.success(request, "签到成功。")
            return _back(booking)
    return render(request, "venues/booking_detail.html", _booking_context(request, booking, checkin_form=form), status=422)


# --- statistics ---------------------------------------------------------------------------------------


@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    """Bookings for any subtree and period in the caller's reach: STAT-009 batches, utilisation, no-shows."""
    scope = _scope(request)
    _require(bool(scope.subtree_paths) or scope.is_superuser, "预约统计仅供党组织管理员和党支部书记查看。")
    choices = organisation_choices(scope)
    today = timezone.localdate()
    data = (
        request.GET
        if "org" in request.GET
        else {"org": choices[0][0] if choices else "", "first": today.replace(month=1, day=1), "last": today}
    )
    form = StatsForm(data, organisations=choices)
    result = None
    if form.is_valid():
        org = get_organisation_for(scope, form.cleaned_data["org"])
        result = selectors.booking_statistics(org, form.cleaned_data["first"], form.cleaned_data["last"])
        result["org"] = org
    return render(request, "venues/stats.html", {"form": form, "result": result})
