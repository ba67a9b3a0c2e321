"""Transfers of 组织关系 (DOMAIN.md §6): the transfer, its append-only step log, letters and prints, arrivals."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.fields import EncryptedTextField

from .choices import OPEN_STATES, Action, ArrivalScope, Party, TransferScope, TransferState


class Transfer(models.Model):
    """One member's move from a branch to another organisation, inside the platform or outside it."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="transfers", verbose_name="党员")
    from_org = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="transfers_out", verbose_name="转出党支部"
    )
    approver_org = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="transfers_to_approve", verbose_name="审批党委"
    )
    scope = models.CharField("转接类型", max_length=24, choices=TransferScope.choices)
    change_type_code = models.CharField("变动类型代码", max_length=3)
    # inside the platform
    destination_org = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
        verbose_name="转入党组织",
    )
    # outside the platform (the receiving organisation's full name and address, as on the letter)
    external_org_name = models.CharField("接收党组织名称", max_length=120, blank=True)
    external_org_location = models.CharField("接收党组织地址", max_length=200, blank=True)
    reason = models.CharField("转接原因", max_length=200)
    dues_paid_up_to = models.DateField("党费交到（月）")
    contact_phone = EncryptedTextField("联系电话", blank=True)
    # XFER-012: a probationary member's dates travel with the transfer
    is_probationary = models.BooleanField("预备党员", default=False)
    probation_start = models.DateField("预备期开始", null=True, blank=True)
    probation_end = models.DateField("预备期满", null=True, blank=True)
    probation_note = models.CharField("延长预备期等说明", max_length=200, blank=True)
    warnings = models.JSONField("提示", default=list, blank=True)
    state = models.CharField("状态", max_length=24, choices=TransferState.choices, default=TransferState.APPLIED)
    state_since = models.DateTimeField("进入当前状态时间")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name="申请人")
    applied_at = models.DateTimeField("申请时间", auto_now_add=True)
    # when it reached completed / letter_issued (STAT-007 counts by this date)
    done_at = models.DateTimeField("转接办结时间", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "组织关系转接"
        ordering = ["-applied_at", "-id"]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["done_at"])]
        constraints = [
            # XFER-006: one open transfer per member, also under concurrent applications
            models.UniqueConstraint(fields=["member"], condition=Q(state__in=[str(s) for s in OPEN_STATES]), name="one_open_transfer"),
            models.CheckConstraint(condition=Q(destination_org__isnull=False) | ~Q(external_org_name=""), name="transfer_has_destination"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.destination_name}"

    @property
    def is_internal(self) -> bool:
        return self.destination_org_id is not None

    @property
    def destination_name(self) -> str:
        return self.destination_org.name if self.destination_org_id else self.external_org_name


class AppendOnly(models.Model):
    """A log row: written once, never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("transfer logs are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("transfer logs are append-only")


class TransferStep(AppendOnly):
    """The transition log: who, when, as which party, from which state to which, and why."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="steps")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    party = models.CharField(max_length=16, choices=Party.choices)
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    from_state = models.CharField(max_length=24, choices=TransferState.choices, blank=True)
    to_state = models.CharField(max_length=24, choices=TransferState.choices)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.from_state}→{self.to_state}"


class TransferLetter(models.Model):
    """中国共产党党员组织关系介绍信: stub, letter and receipt share ``number`` (XFER-007)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="letters")
    number = models.CharField("介绍信编号", max_length=32, unique=True)
    issued_on = models.DateField("开具日期")
    valid_days = models.PositiveSmallIntegerField("有效期（天）")
    valid_until = models.DateField("有效期至")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    print_count = models.PositiveIntegerField("打印次数", default=0)
    voided_on = models.DateField("作废日期", null=True, blank=True)
    void_reason = models.CharField("作废原因", max_length=200, blank=True)
    receipt_returned_on = models.DateField("回执收回日期", null=True, blank=True)
    receipt_org_name = models.CharField("回执寄回党组织", max_length=120, blank=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["transfer"], condition=Q(voided_on__isnull=True), name="one_live_letter"),
        ]

    def __str__(self) -> str:
        return self.number


class LetterPrint(AppendOnly):
    """Each print of a letter (XFER-007: reprints are logged and counted)."""

    letter = models.ForeignKey(TransferLetter, on_delete=models.PROTECT, related_name="prints")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    copy_number = models.PositiveIntegerField()
    render_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.letter_id} #{self.copy_number}"


class Arrival(models.Model):
    """A member arriving from outside the platform with a paper letter, registered by the receiving branch."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="arrivals", verbose_name="党员")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="arrivals", verbose_name="接收党支部"
    )
    letter_number = models.CharField("介绍信编号", max_length=40)
    from_org_name = models.CharField("转出党组织", max_length=120)
    scope = models.CharField("转入类型", max_length=24, choices=ArrivalScope.choices)
    change_type_code = models.CharField("变动类型代码", max_length=3)
    arrived_on = models.DateField("报到日期")
    reactivated = models.BooleanField("恢复原有党员记录", default=False)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)
    receipt_print_count = models.PositiveIntegerField("回执打印次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "组织关系转入登记"
        ordering = ["-arrived_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["letter_number", "from_org_name"], name="one_arrival_per_letter")]

    def __str__(self) -> str:
        return f"{self.member} ← {self.from_org_name}"
