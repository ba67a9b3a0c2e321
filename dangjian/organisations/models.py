"""The organisation tree (treebeard materialised path), committees, units and the org history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from treebeard.mp_tree import MP_Node

from .choices import MEMBER_HOLDING_KINDS, Affinity, CommitteePost, OrgKind, Sector


class Organisation(MP_Node):
    """A party organisation: one node of the district tree (区委 down to 党小组)."""

    name = models.CharField("组织名称", max_length=120)
    code = models.CharField("组织代码", max_length=40, unique=True)
    kind = models.CharField("组织类别", max_length=40, choices=OrgKind.choices)
    sector = models.CharField("领域", max_length=40, choices=Sector.choices, default=Sector.COMMUNITY)
    affinity = models.CharField("四缘类型", max_length=20, choices=Affinity.choices, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    term_started_on = models.DateField("本届任期开始", null=True, blank=True)
    term_ends_on = models.DateField("本届任期届满", null=True, blank=True)
    grid_area = models.CharField("网格范围", max_length=200, blank=True)
    address = models.CharField("办公地址", max_length=200, blank=True)
    # ORG-023: committees with 审批预备党员权限
    has_approval_authority = models.BooleanField("具有审批预备党员权限", default=False)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    node_order_by: list[str] = []

    class Meta:
        verbose_name = verbose_name_plural = "党组织"
        indexes = [
            models.Index(fields=["kind"]),
            models.Index(fields=["name"]),
            # the tree page takes whole levels from the top: ORDER BY depth, path LIMIT n (tree_window)
            models.Index(fields=["depth", "path"], name="org_depth_path_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved_on is not None

    @property
    def holds_members(self) -> bool:
        return self.kind in MEMBER_HOLDING_KINDS


class CommitteeSeat(models.Model):
    """A seat on an organisation's committee (支委会/党委), held by a member or a named person."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="seats", verbose_name="组织")
    post = models.CharField("职务", max_length=32, choices=CommitteePost.choices)
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="committee_seats", verbose_name="党员"
    )
    # ORG-021: part-time members from resident units may keep their 组织关系 outside the platform
    person_name = models.CharField("姓名", max_length=50, blank=True)
    is_part_time = models.BooleanField("兼职委员", default=False)
    started_on = models.DateField("任职日期", null=True, blank=True)
    ended_on = models.DateField("离任日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "委员"
        ordering = ["organisation_id", "post", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(member__isnull=False) | ~models.Q(person_name=""), name="seat_has_holder"),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(post="secretary", ended_on__isnull=True),
                name="one_current_secretary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_post_display()} {self.holder_name}"

    @property
    def holder_name(self) -> str:
        return self.person_name or (self.member.name if self.member_id else "")


class Unit(models.Model):
    """A work unit (企业, 社会组织, 机关…) in the area; basis of 应建必建 coverage (ORG-002)."""

    name = models.CharField("单位名称", max_length=120)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    sector = models.CharField("领域", max_length=40, choices=Sector.choices)
    area_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="area_units", verbose_name="属地党组织")
    party_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="units", verbose_name="单位党组织"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        constraints = [models.UniqueConstraint(fields=["credit_code"], condition=~models.Q(credit_code=""), name="unit_credit_code_unique")]

    def __str__(self) -> str:
        return self.name


class OrganisationEvent(models.Model):
    """One change in an organisation's history: who, when, what, before/after."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.organisation_id}"
