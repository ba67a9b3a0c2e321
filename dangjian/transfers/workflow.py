"""The transfer state machine as an explicit transition table (ADR 0005).

``TABLE`` lists every legal (state, action) with the next state, the party who may take it and
whether it applies to transfers inside the platform, outside it, or both. Services look a step up
here and nowhere else; the tests generate every legal and illegal (state, action, party) from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dangjian.core.scope import Scope
from dangjian.organisations.choices import COMMITTEE_KINDS
from dangjian.organisations.models import Organisation

from .choices import Action, Party, TransferScope, TransferState

S, A, P = TransferState, Action, Party
ANY, INTERNAL, EXTERNAL = "any", "internal", "external"


@dataclass(frozen=True)
class Transition:
    state: str
    action: str
    next_state: str
    party: str
    route: str = ANY
    needs_reason: bool = False


TABLE: tuple[Transition, ...] = (
    Transition(S.APPLIED, A.WITHDRAW, S.WITHDRAWN, P.APPLICANT),
    Transition(S.RETURNED, A.WITHDRAW, S.WITHDRAWN, P.APPLICANT),
    Transition(S.RETURNED, A.RESUBMIT, S.APPLIED, P.APPLICANT),
    Transition(S.APPLIED, A.CONFIRM, S.BRANCH_CONFIRMED, P.OUT_BRANCH),
    Transition(S.APPLIED, A.RETURN, S.RETURNED, P.OUT_BRANCH, needs_reason=True),
    Transition(S.APPLIED, A.REFUSE, S.REFUSED, P.OUT_BRANCH, needs_reason=True),
    Transition(S.BRANCH_CONFIRMED, A.APPROVE, S.COMMITTEE_APPROVED, P.COMMITTEE),
    Transition(S.BRANCH_CONFIRMED, A.RETURN, S.APPLIED, P.COMMITTEE, needs_reason=True),
    Transition(S.BRANCH_CONFIRMED, A.REFUSE, S.REFUSED, P.COMMITTEE, needs_reason=True),
    # inside the platform: the receiving organisation accepts; the member moves in the same transaction
    Transition(S.COMMITTEE_APPROVED, A.ACCEPT, S.COMPLETED, P.RECEIVING, INTERNAL),
    Transition(S.COMMITTEE_APPROVED, A.RETURN, S.BRANCH_CONFIRMED, P.RECEIVING, INTERNAL, needs_reason=True),
    Transition(S.COMMITTEE_APPROVED, A.REFUSE, S.REFUSED, P.RECEIVING, INTERNAL, needs_reason=True),
    # outside the platform: the approving committee issues the letter and tracks its receipt
    Transition(S.COMMITTEE_APPROVED, A.ISSUE_LETTER, S.LETTER_ISSUED, P.COMMITTEE, EXTERNAL),
    Transition(S.COMMITTEE_APPROVED, A.RETURN, S.BRANCH_CONFIRMED, P.COMMITTEE, EXTERNAL, needs_reason=True),
    Transition(S.LETTER_ISSUED, A.RECORD_RECEIPT, S.RECEIPT_RETURNED, P.COMMITTEE, EXTERNAL),
    Transition(S.REISSUED, A.RECORD_RECEIPT, S.RECEIPT_RETURNED, P.COMMITTEE, EXTERNAL),
    Transition(S.EXPIRED, A.RECORD_RECEIPT, S.RECEIPT_RETURNED, P.COMMITTEE, EXTERNAL),  # a late receipt still counts
    Transition(S.LETTER_ISSUED, A.EXPIRE, S.EXPIRED, P.COMMITTEE, EXTERNAL),
    Transition(S.REISSUED, A.EXPIRE, S.EXPIRED, P.COMMITTEE, EXTERNAL),
    Transition(S.LETTER_ISSUED, A.REISSUE, S.REISSUED, P.COMMITTEE, EXTERNAL, needs_reason=True),
    Transition(S.REISSUED, A.REISSUE, S.REISSUED, P.COMMITTEE, EXTERNAL, needs_reason=True),
    Transition(S.EXPIRED, A.REISSUE, S.REISSUED, P.COMMITTEE, EXTERNAL, needs_reason=True),
    # the district admin revokes a completed transfer (the member returns)
    Transition(S.COMPLETED, A.REVOKE, S.REVOKED, P.DISTRICT, INTERNAL, needs_reason=True),
    Transition(S.LETTER_ISSUED, A.REVOKE, S.REVOKED, P.DISTRICT, EXTERNAL, needs_reason=True),
    Transition(S.REISSUED, A.REVOKE, S.REVOKED, P.DISTRICT, EXTERNAL, needs_reason=True),
    Transition(S.EXPIRED, A.REVOKE, S.REVOKED, P.DISTRICT, EXTERNAL, needs_reason=True),
)
# No step is taken by the system: an expiry is recorded by the committee after checking with the
# receiver, since a receipt may still be in the post for a month after the letter's last day.


def route_of(transfer) -> str:
    return INTERNAL if transfer.destination_org_id else EXTERNAL


def transition_for(state: str, action: str, route: str) -> Transition | None:
    for row in TABLE:
        if row.state == state and row.action == action and row.route in (ANY, route):
            return row
    return None


def actions_from(state: str, route: str) -> list[Transition]:
    return [row for row in TABLE if row.state == state and row.route in (ANY, route)]


# --- who is which party --------------------------------------------------------------------------


def nearest_committee(branch: Organisation, *, authority: bool) -> Organisation:
    """The nearest committee above ``branch`` (with 审批预备党员权限 when ``authority``); the root otherwise."""
    paths = [branch.path[:i] for i in range(Organisation.steplen, len(branch.path), Organisation.steplen)]
    ancestors = list(Organisation.objects.filter(path__in=paths).order_by("-depth"))
    for org in ancestors:
        if org.kind in COMMITTEE_KINDS and (org.has_approval_authority or not authority):
            return org
    return ancestors[-1] if ancestors else branch


def approver_for(from_org: Organisation, destination: Organisation | None) -> Organisation:
    """XFER-004: within one committee, that committee approves; otherwise the nearest committee
    above the branch with 审批预备党员权限 (ORG-023), or the district committee when none has it."""
    parent = nearest_committee(from_org, authority=False)
    if destination is not None and destination.path.startswith(parent.path):
        return parent
    return nearest_committee(from_org, authority=True)


def scope_for(from_org: Organisation, destination: Organisation) -> str:
    """Kind of an internal transfer: inside the branch's committee, or elsewhere in the district."""
    parent = nearest_committee(from_org, authority=False)
    return TransferScope.SAME_COMMITTEE if destination.path.startswith(parent.path) else TransferScope.DISTRICT


COMMITTEE_ROLES = ("org_admin", "district_admin")
RECEIVING_ROLES = ("branch_secretary", "org_admin", "district_admin")


def parties_of(scope: Scope, transfer) -> set[str]:
    """Every party the caller acts as for this transfer (roles from ``request.scope``)."""
    parties: set[str] = set()
    if scope.member_id and scope.member_id == transfer.member_id:
        parties.add(P.APPLICANT)
    from_path = transfer.from_org.path
    if scope.covers_path(from_path, roles=("branch_secretary",)) and not scope.is_superuser:
        parties.update({P.OUT_BRANCH, P.APPLICANT})
    # XFER-004/XFER-006: only an admin of the approving organisation itself (not above, not below)
    if any(transfer.approver_org_id in scope.role_org_ids.get(role, ()) for role in COMMITTEE_ROLES):
        parties.add(P.COMMITTEE)
    if transfer.destination_org_id and scope.covers_path(transfer.destination_org.path, roles=RECEIVING_ROLES) and not scope.is_superuser:
        parties.add(P.RECEIVING)
    if scope.is_district_admin:
        parties.add(P.DISTRICT)
    return parties


def responsible(transfer) -> tuple[str, str]:
    """(party, organisation name) whose move it is now; ('', '') when the transfer is finished."""
    state = transfer.state
    if state == S.RETURNED:
        return P.APPLICANT, f"申请人（{transfer.member.name}）与{transfer.from_org.name}"
    if state == S.APPLIED:
        return P.OUT_BRANCH, transfer.from_org.name
    if state == S.BRANCH_CONFIRMED:
        return P.COMMITTEE, transfer.approver_org.name
    if state == S.COMMITTEE_APPROVED:
        if transfer.destination_org_id:
            return P.RECEIVING, transfer.destination_org.name
        return P.COMMITTEE, transfer.approver_org.name
    if state in (S.LETTER_ISSUED, S.REISSUED):
        return P.RECEIVING, f"{transfer.external_org_name}（持介绍信报到；回执寄回{transfer.approver_org.name}）"
    if state == S.EXPIRED:
        return P.COMMITTEE, transfer.approver_org.name
    return "", ""
