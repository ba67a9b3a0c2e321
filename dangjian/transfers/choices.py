"""Transfer states, scopes (kinds), parties and the national 变动类型 codes (DOMAIN.md §6)."""

from django.db import models


class TransferState(models.TextChoices):
    APPLIED = "applied", "已申请，待党支部确认"
    RETURNED = "returned", "已退回申请人修改"
    BRANCH_CONFIRMED = "branch_confirmed", "党支部已确认，待党委审批"
    COMMITTEE_APPROVED = "committee_approved", "党委已审批"
    COMPLETED = "completed", "已完成转接"
    LETTER_ISSUED = "letter_issued", "已开具介绍信，待回执"
    REISSUED = "reissued", "已补开介绍信，待回执"
    EXPIRED = "expired", "介绍信已过期"
    RECEIPT_RETURNED = "receipt_returned", "回执已收回，转接完成"
    WITHDRAWN = "withdrawn", "申请人已撤回"
    REFUSED = "refused", "未予同意"
    REVOKED = "revoked", "已撤销（党员组织关系已恢复）"


# short labels for badges and the member's phone page
STATE_SHORT = {
    TransferState.APPLIED: "待支部确认",
    TransferState.RETURNED: "已退回",
    TransferState.BRANCH_CONFIRMED: "待党委审批",
    TransferState.COMMITTEE_APPROVED: "党委已审批",
    TransferState.COMPLETED: "已完成",
    TransferState.LETTER_ISSUED: "待回执",
    TransferState.REISSUED: "已补开，待回执",
    TransferState.EXPIRED: "介绍信过期",
    TransferState.RECEIPT_RETURNED: "已完成",
    TransferState.WITHDRAWN: "已撤回",
    TransferState.REFUSED: "未同意",
    TransferState.REVOKED: "已撤销",
}

# a member may have at most one transfer in these states (XFER-006)
OPEN_STATES = (
    TransferState.APPLIED,
    TransferState.RETURNED,
    TransferState.BRANCH_CONFIRMED,
    TransferState.COMMITTEE_APPROVED,
    TransferState.LETTER_ISSUED,
    TransferState.REISSUED,
    TransferState.EXPIRED,
)
FINAL_STATES = (
    TransferState.COMPLETED,
    TransferState.RECEIPT_RETURNED,
    TransferState.WITHDRAWN,
    TransferState.REFUSED,
    TransferState.REVOKED,
)
# the states a letter is out (the member is no longer on the sending branch's roll)
LETTER_OUT_STATES = (TransferState.LETTER_ISSUED, TransferState.REISSUED, TransferState.EXPIRED)


class TransferScope(models.TextChoices):
    """XFER-003 TransferScope: where the member goes (the 'kind' of the transfer)."""

    SAME_COMMITTEE = "same_committee", "本党委内转接"
    DISTRICT = "district", "本区内转接"
    CITY_OTHER_DISTRICT = "city_other_district", "转往本市外区"
    SAME_PROVINCE = "same_province", "转往本省外市"
    OTHER_PROVINCE = "other_province", "转往外省（区、市）"
    ABROAD = "abroad", "出国（境）"


INTERNAL_SCOPES = (TransferScope.SAME_COMMITTEE, TransferScope.DISTRICT)
EXTERNAL_SCOPES = (TransferScope.CITY_OTHER_DISTRICT, TransferScope.SAME_PROVINCE, TransferScope.OTHER_PROVINCE)
# what a member or secretary can pick for a destination outside the platform
EXTERNAL_CHOICES = [(s.value, s.label) for s in EXTERNAL_SCOPES] + [(TransferScope.ABROAD.value, TransferScope.ABROAD.label)]


class ArrivalScope(models.TextChoices):
    """Where a member arriving with a paper letter comes from (decides the 转入 code)."""

    CITY_OTHER_DISTRICT = "city_other_district", "本市外区转入"
    SAME_PROVINCE = "same_province", "本省外市转入"
    OTHER_PROVINCE = "other_province", "外省（区、市）转入"


# National 变动类型 codes (XFER-003), after a provincial guide to the 全国党员管理信息系统 [single source]:
# 141 = 从外省（区、市）转入, 151 = 从本省转入, 241 = 转往外省（区、市）, 251 = 转往本省.
# The guide does not say which of 241/251 a transfer inside the province uses; we read 251 as
# "inside the province" and 241 as "to another province" (DOMAIN.md §11 item 9: to verify).
CHANGE_TYPE_SOURCE = "省级党员管理信息系统操作指引（变动类型代码表），DOMAIN.md XFER-003（单一来源，待核实）"
OUT_CODES: dict[str, str] = {
    TransferScope.SAME_COMMITTEE: "251",
    TransferScope.DISTRICT: "251",
    TransferScope.CITY_OTHER_DISTRICT: "251",
    TransferScope.SAME_PROVINCE: "251",
    TransferScope.OTHER_PROVINCE: "241",
}
IN_CODES: dict[str, str] = {
    TransferScope.SAME_COMMITTEE: "151",
    TransferScope.DISTRICT: "151",
    TransferScope.CITY_OTHER_DISTRICT: "151",
    TransferScope.SAME_PROVINCE: "151",
    TransferScope.OTHER_PROVINCE: "141",
}
CODE_LABELS = {"141": "从外省（区、市）转入", "151": "从本省（区、市）转入", "241": "转往外省（区、市）", "251": "转往本省（区、市）"}


class Party(models.TextChoices):
    """Who may take a step (the transition table's 'who')."""

    APPLICANT = "applicant", "申请人"
    OUT_BRANCH = "out_branch", "转出党支部"
    COMMITTEE = "committee", "审批党委"
    RECEIVING = "receiving", "接收党组织"
    DISTRICT = "district", "区委组织部"


class Action(models.TextChoices):
    SUBMIT = "submit", "提交申请"
    RESUBMIT = "resubmit", "修改后重新提交"
    WITHDRAW = "withdraw", "撤回申请"
    CONFIRM = "confirm", "确认"
    APPROVE = "approve", "审批同意"
    ACCEPT = "accept", "接收"
    RETURN = "return", "退回"
    REFUSE = "refuse", "不同意"
    ISSUE_LETTER = "issue_letter", "开具介绍信"
    RECORD_RECEIPT = "record_receipt", "登记回执"
    EXPIRE = "expire", "登记介绍信过期"
    REISSUE = "reissue", "补开介绍信"
    REVOKE = "revoke", "撤销转接"
