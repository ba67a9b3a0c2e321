"""Member registry: one person = one record, personal data encrypted at rest (PII-001)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.fields import BlindIndexField, EncryptedTextField, MonthDayField

from .choices import ETHNICITY_CHOICES, Category, Education, ExemptionReason, ExitReason, Gender, MemberStatus, PartyRepLevel


class Member(models.Model):
    """A party member's registry record; belongs to exactly one organisation (组织关系)."""

    name = models.CharField("姓名", max_length=50, db_index=True)
    gender = models.CharField("性别", max_length=10, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=20, choices=ETHNICITY_CHOICES, default="汉族")
    id_number = EncryptedTextField("公民身份号码")
    id_number_hash = BlindIndexField(source="id_number", normaliser="dangjian.core.idnumber.normalise_id_number", unique=True, null=True)
    birth_date = models.DateField("出生日期")
    education = models.CharField("学历", max_length=32, choices=Education.choices, blank=True)
    category = models.CharField("人员类别", max_length=32, choices=Category.choices, blank=True)
    join_date = models.DateField("入党日期")
    # month-day of join_date ("MM-DD"), indexed for the daily political-birthday selection
    join_month_day = MonthDayField(source="join_date", db_index=True)
    full_date = models.DateField("转正日期", null=True, blank=True)
    status = models.CharField("党员状态", max_length=20, choices=MemberStatus.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="members", verbose_name="所在党组织"
    )
    group = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_members",
        verbose_name="所在党小组",
    )
    work_unit = models.ForeignKey(
        "organisations.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name="工作单位（登记）"
    )
    phone = EncryptedTextField("联系电话", blank=True)
    phone_hash = BlindIndexField(source="phone", normaliser="dangjian.members.normalise.normalise_phone", null=True, db_index=True)
    address = EncryptedTextField("家庭住址", blank=True)
    employer = models.CharField("工作单位", max_length=120, blank=True)
    post = models.CharField("职务", max_length=60, blank=True)
    is_in_service = models.BooleanField("在职党员", default=False)
    is_flowing = models.BooleanField("流动党员", default=False)
    whereabouts = models.CharField("流动去向", max_length=200, blank=True)
    lost_contact_since = models.DateField("失联日期", null=True, blank=True)
    is_party_rep = models.BooleanField("党代表", default=False)
    party_rep_level = models.CharField("党代表级别", max_length=20, choices=PartyRepLevel.choices, blank=True)
    is_part_time_committee = models.BooleanField("兼职委员", default=False)
    is_exempt = models.BooleanField("不作硬性要求", default=False)
    exemption_reason = models.CharField("不作硬性要求原因", max_length=20, choices=ExemptionReason.choices, blank=True)
    exemption_approved_by = models.CharField("批准人", max_length=50, blank=True)
    exemption_since = models.DateField("批准日期", null=True, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)
    # set when the person stops being a current member here (transfer out, death, 停止党籍…);
    # the record stays and is excluded from current lists and notices
    left_on = models.DateField("减少日期", null=True, blank=True, db_index=True)
    exit_reason = models.CharField("减少原因", max_length=20, choices=ExitReason.choices, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="member", verbose_name="登录账号"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "党员"
        indexes = [
            models.Index(fields=["organisation", "name"]),
            # counts by status per organisation (tree rollups, ORG-001/009) as index-only scans
            models.Index(fields=["organisation", "status"], name="members_org_status_idx"),
            models.Index(fields=["status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(full_date__isnull=True) | models.Q(full_date__gte=models.F("join_date")),
                name="member_full_after_join",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberEvent(models.Model):
    """One change in a member's history (who, when, before/after, masked)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.member_id}"
