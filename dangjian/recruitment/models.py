"""Development records: the person (Candidate), one row per step (DevelopmentStep), materials, the
district's working-day calendar. The stage is derived from the steps (rules.progress); ``stage``,
``next_step`` and ``next_due`` on the candidate are a cache the services refresh in the same transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.fields import BlindIndexField, EncryptedTextField
from dangjian.core.uploads import UploadTo

from .choices import BallotMethod, Decision, MaterialKind, MaterialStatus, Outcome, Stage


class WorkCalendar(models.Model):
    """The district's working-day calendar of one year: holidays on weekdays and 调休 working weekends."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    holidays = models.JSONField("放假日期", default=list, blank=True)
    workdays = models.JSONField("调休上班日期", default=list, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作日历"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年工作日历"


class Candidate(models.Model):
    """A person in the development pipeline, from application to full membership (or stop)."""

    name = models.CharField("姓名", max_length=50, db_index=True)
    gender = models.CharField("性别", max_length=10, choices=[("male", "男"), ("female", "女")])
    id_number = EncryptedTextField("公民身份号码")
    id_number_hash = BlindIndexField(source="id_number", normaliser="dangjian.core.idnumber.normalise_id_number", unique=True, null=True)
    birth_date = models.DateField("出生日期")
    phone = EncryptedTextField("联系电话", blank=True)
    work_unit = models.CharField("工作（学习）单位", max_length=120, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="candidates", verbose_name="所在党支部"
    )
    stage = models.CharField("阶段", max_length=20, choices=Stage.choices, default=Stage.APPLICANT, db_index=True)
    next_step = models.PositiveSmallIntegerField("下一步", null=True, blank=True)
    next_due = models.DateField("下一期限", null=True, blank=True, db_index=True)
    probation_end = models.DateField("预备期满", null=True, blank=True)
    provisional = models.BooleanField("暂算", default=False)
    stopped_on = models.DateField("终止日期", null=True, blank=True)
    stop_reason = models.CharField("终止原因", max_length=200, blank=True)
    member = models.OneToOneField(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="development", verbose_name="党员记录"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "发展对象档案"
        indexes = [models.Index(fields=["organisation", "stage"])]

    def __str__(self) -> str:
        return self.name


class DevelopmentStep(models.Model):
    """One recorded step (DOMAIN.md §5): date, decision, responsible people, votes, notes, the rule
    version it was judged by, and the warnings kept with it."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField("步骤")
    on = models.DateField("日期")
    decision = models.CharField("决定", max_length=10, choices=Decision.choices, default=Decision.AGREED)
    outcome = models.CharField("转正讨论结果", max_length=10, choices=Outcome.choices, blank=True)
    extension_months = models.PositiveSmallIntegerField("延长预备期（月）", null=True, blank=True)
    responsible = models.CharField("负责人", max_length=200, blank=True)
    basis = models.CharField("推荐情况", max_length=300, blank=True)
    people = models.ManyToManyField("members.Member", blank=True, related_name="development_roles", verbose_name="培养联系人／入党介绍人")
    entitled = models.PositiveSmallIntegerField("应到会有表决权人数", null=True, blank=True)
    present = models.PositiveSmallIntegerField("实到人数", null=True, blank=True)
    votes_yes = models.PositiveSmallIntegerField("赞成", null=True, blank=True)
    votes_no = models.PositiveSmallIntegerField("反对", null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField("弃权", null=True, blank=True)
    written_opinions = models.PositiveSmallIntegerField("书面意见", default=0)
    ballot_method = models.CharField("表决方式", max_length=10, choices=BallotMethod.choices, blank=True)
    training_days = models.PositiveSmallIntegerField("培训天数", null=True, blank=True)
    training_hours = models.PositiveSmallIntegerField("培训学时", null=True, blank=True)
    notice_from = models.DateField("公示开始", null=True, blank=True)
    notice_to = models.DateField("公示结束", null=True, blank=True)
    notes = models.CharField("备注", max_length=500, blank=True)
    rule_version = models.CharField("适用版本", max_length=10)
    warnings = models.JSONField("提示", default=list, blank=True)
    provisional = models.BooleanField("暂算", default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "发展步骤"
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["number", "on"])]
        constraints = [models.CheckConstraint(condition=models.Q(number__gte=1, number__lte=25), name="recruitment_step_number_range")]

    def __str__(self) -> str:
        return f"{self.candidate_id} 第{self.number}步 {self.on}"


class Material(models.Model):
    """A required document of a step: an uploaded file or a paper original, reviewed online by the superior."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="materials")
    step_number = models.PositiveSmallIntegerField("步骤")
    kind = models.CharField("材料", max_length=30, choices=MaterialKind.choices)
    file = models.FileField("文件", upload_to=UploadTo("recruitment"), blank=True)
    original_name = models.CharField("文件名", max_length=200, blank=True)
    is_paper = models.BooleanField("纸质原件", default=False)
    status = models.CharField("审核状态", max_length=10, choices=MaterialStatus.choices, default=MaterialStatus.PENDING)
    review_comment = models.CharField("审核意见", max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # a replaced (re-uploaded) material stays in the dossier, superseded
    is_current = models.BooleanField(default=True)

    class Meta:
        verbose_name = verbose_name_plural = "发展材料"
        ordering = ["step_number", "kind", "-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "step_number", "kind"], condition=models.Q(is_current=True), name="recruitment_one_current_material"
            ),
            models.CheckConstraint(condition=models.Q(is_paper=True) | ~models.Q(file=""), name="recruitment_material_file_or_paper"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（第{self.step_number}步）"
