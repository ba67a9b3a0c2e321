"""Who may do what with bases and bookings, always inside the caller's reach.

- district and street (党工委) admins register bases in their subtree and manage them;
- a base keeper (基地管理员) manages only the bases they are assigned to (``OpenBase.keepers``);
- branch secretaries (and admins above them) book for branches in their subtree, cancel and
  list participants for those branches' bookings.
"""

from __future__ import annotations

from dangjian.accounts.choices import Role
from dangjian.core.scope import Scope
from dangjian.organisations.choices import MEMBER_HOLDING_KINDS
from dangjian.organisations.models import Organisation

from .models import Booking, OpenBase

ADMIN_ROLES = (str(Role.DISTRICT_ADMIN), str(Role.ORG_ADMIN))
BOOKING_ROLES = (str(Role.DISTRICT_ADMIN), str(Role.ORG_ADMIN), str(Role.BRANCH_SECRETARY))


def can_register_base(scope: Scope, location: Organisation | None = None) -> bool:
    """District or street/community admins, under ``location`` when given."""
    if location is None:
        return scope.is_superuser or bool(scope.paths_for(*ADMIN_ROLES))
    return scope.covers_path(location.path, roles=ADMIN_ROLES)


def is_keeper(scope: Scope, base: OpenBase) -> bool:
    return scope.user_id is not None and base.keepers.filter(pk=scope.user_id).exists()


def can_manage_base(scope: Scope, base: OpenBase) -> bool:
    """Edit the base's menu, hours, closed dates and rules; approve, decline and check in its bookings."""
    return scope.covers_path(base.location.path, roles=ADMIN_ROLES) or is_keeper(scope, base)


def can_change_location_and_keepers(scope: Scope, base: OpenBase) -> bool:
    """Only admins move a base on the tree or assign its keepers (a keeper manages its base only)."""
    return scope.covers_path(base.location.path, roles=ADMIN_ROLES)


def can_book_for(scope: Scope, org: Organisation, base: OpenBase | None = None) -> bool:
    """A branch in the caller's reach (secretary or admin) and, with ``base``, inside the base's area."""
    if org.kind not in MEMBER_HOLDING_KINDS or not scope.covers_path(org.path, roles=BOOKING_ROLES):
        return False
    return base is None or org.path.startswith(base.location.path) or base.location.depth == 1


def can_book(scope: Scope) -> bool:
    return scope.is_superuser or bool(scope.paths_for(*BOOKING_ROLES))


def can_act_for_branch(scope: Scope, booking: Booking) -> bool:
    """Cancel and list participants: the booking branch's secretary or an admin above it."""
    return scope.covers_path(booking.organisation.path, roles=BOOKING_ROLES)


def can_decide(scope: Scope, booking: Booking) -> bool:
    return can_manage_base(scope, booking.base)
