"""Meeting kinds (DOMAIN.md glossary ``MeetingKind``), record statuses, attendance codes."""

from django.db import models


class MeetingKind(models.TextChoices):
    BRANCH_GENERAL_MEETING = "branch_general_meeting", "支部党员大会"
    COMMITTEE_MEETING = "committee_meeting", "支委会"
    GROUP_MEETING = "group_meeting", "党小组会"
    PARTY_LECTURE = "party_lecture", "党课"
    THEMED_DAY = "themed_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    MEMBER_APPRAISAL = "member_appraisal", "民主评议党员"
    TALK = "talk", "谈心谈话"


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已通过"
    AMENDED = "amended", "已通过（有更正）"


# statuses whose records count as held for compliance (submitted to the superior, or reviewed)
COUNTED_STATUSES = frozenset({MeetingStatus.SUBMITTED, MeetingStatus.APPROVED, MeetingStatus.AMENDED})
# statuses in which the secretary may still edit the record freely
EDITABLE_STATUSES = frozenset({MeetingStatus.DRAFT, MeetingStatus.RETURNED})
# approved records are locked; a correction is an Amendment
LOCKED_STATUSES = frozenset({MeetingStatus.APPROVED, MeetingStatus.AMENDED})


class Presence(models.TextChoices):
    PRESENT = "present", "出席"
    ABSENT = "absent", "缺席"


class AbsenceReason(models.TextChoices):
    SICK = "sick", "病假"
    PERSONAL = "personal", "事假"
    BUSINESS = "business", "公差"
    FLOWING = "flowing", "流动在外"
    EXEMPT = "exempt", "年老体弱（不作硬性要求）"
    OTHER = "other", "其他"


class AttendanceSource(models.TextChoices):
    CHECKIN = "checkin", "扫码签到"
    PROXY = "proxy", "代签到"
    MANUAL = "manual", "书记登记"


class FileKind(models.TextChoices):
    PHOTO = "photo", "照片"
    DOCUMENT = "document", "文件"


class LectureFrequency(models.IntegerChoices):
    """LIFE-004: a district may set 党课 more often than the national floor of once a year."""

    MONTHLY = 1, "每月一次"
    BIMONTHLY = 2, "每两个月一次"
    QUARTERLY = 3, "每季度一次"
    HALF_YEARLY = 6, "每半年一次"
    YEARLY = 12, "每年一次"


class EventAction(models.TextChoices):
    CREATED = "created", "新建"
    UPDATED = "updated", "修改"
    SUBMITTED = "submitted", "提交审核"
    RESUBMITTED = "resubmitted", "重新提交"
    RETURNED = "returned", "退回"
    APPROVED = "approved", "审核通过"
    AMENDED = "amended", "更正"
    CHECKIN_OPENED = "checkin_opened", "开启扫码签到"
    FILE_ADDED = "file_added", "上传附件"


class AttendanceAction(models.TextChoices):
    CHECKIN = "checkin", "扫码签到"
    PROXY = "proxy", "代签到"
    SET = "set", "登记"
    CORRECT = "correct", "更正"
    AMEND = "amend", "审核后更正"
