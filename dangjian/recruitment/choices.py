"""Stages, candidate statuses, decisions and material kinds of the development pipeline (DOMAIN.md §5)."""

from django.db import models


class Stage(models.TextChoices):
    """The stage is derived from the steps done (DOMAIN.md §5: "the stage is derived")."""

    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    TARGET = "target", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"
    CANCELLED = "cancelled", "取消预备党员资格"
    STOPPED = "stopped", "终止培养"


# stages still moving through the pipeline
OPEN_STAGES = (Stage.APPLICANT, Stage.ACTIVIST, Stage.TARGET, Stage.PROBATIONARY)


class Decision(models.TextChoices):
    AGREED = "agreed", "同意／通过"
    REFUSED = "refused", "不同意／未通过"


class Outcome(models.TextChoices):
    """Step 23 (支部大会讨论转正), DEV-023."""

    ON_TIME = "on_time", "按期转正"
    EXTEND = "extend", "延长预备期"
    CANCEL = "cancel", "取消预备党员资格"


class BallotMethod(models.TextChoices):
    SECRET = "secret", "无记名投票"
    SHOW_OF_HANDS = "hands", "举手表决"


class MaterialKind(models.TextChoices):
    APPLICATION = "application", "入党申请书"
    TALK_RECORD = "talk_record", "谈话记录"
    RECOMMENDATION = "recommendation", "推荐（推优）材料"
    THOUGHT_REPORT = "thought_report", "思想汇报"
    REVIEW_RECORD = "review_record", "培养考察登记"
    NOTICE = "notice", "公示材料"
    POLITICAL_REVIEW = "political_review", "政审材料"
    TRAINING_CERTIFICATE = "training_certificate", "培训结业证书"
    APPLICATION_FORM = "application_form", "入党志愿书"
    MINUTES = "minutes", "会议记录"
    APPROVAL = "approval", "审批意见"
    OATH_RECORD = "oath_record", "入党宣誓记录"
    FULL_APPLICATION = "full_application", "转正申请书"
    OTHER = "other", "其他材料"


class MaterialStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "审核通过"
    RETURNED = "returned", "已退回"
