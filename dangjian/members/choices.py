"""Member registry code lists (STAT-005 where it names them)."""

from django.db import models


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", "研究生"
    BACHELOR = "bachelor", "大学本科"
    JUNIOR_COLLEGE = "junior_college", "大学专科"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中等专科"
    HIGH_SCHOOL = "high_school", "高中"
    JUNIOR_HIGH = "junior_high", "初中"
    PRIMARY = "primary", "小学及以下"


class Category(models.TextChoices):
    """人员类别 (occupation, STAT-005), plus 在岗职工 as rosters usually write it."""

    WORKER = "worker", "工人"
    FARMER = "farmer", "农牧渔民"
    PROFESSIONAL = "professional", "专业技术人员"
    MANAGER = "manager", "管理人员"
    CIVIL_SERVANT = "civil_servant", "党政机关工作人员"
    EMPLOYEE = "employee", "在岗职工"
    STUDENT = "student", "学生"
    RETIRED = "retired", "离退休人员"
    UNEMPLOYED = "unemployed", "无固定职业"
    OTHER = "other", "其他"


class ExemptionReason(models.TextChoices):
    """LIFE-010: category only, never a diagnosis (PII-003)."""

    AGE = "age", "年老"
    FRAILTY = "frailty", "体弱"
    ILLNESS = "illness", "患病"


class ExitReason(models.TextChoices):
    """Why a record left the registry's current members; records are never deleted."""

    TRANSFERRED_OUT = "transferred_out", "转出本区"
    DECEASED = "deceased", "去世"
    SUSPENDED = "suspended", "停止党籍"
    LAPSED = "lapsed", "自行脱党"
    REMOVED = "removed", "除名"
    EXPELLED = "expelled", "开除党籍"
    WITHDRAWN = "withdrawn", "退党"
    PROBATION_CANCELLED = "probation_cancelled", "取消预备党员资格"


class PartyRepLevel(models.TextChoices):
    DISTRICT = "district", "区党代表"
    CITY = "city", "市党代表"
    PROVINCE = "province", "省党代表"
    NATIONAL = "national", "全国党代表"


# The 56 ethnic groups (民族), as written on ID cards; rosters write them with or without 族.
ETHNICITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 "
    "毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 "
    "塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()
ETHNICITY_CHOICES = [(e, e) for e in ETHNICITIES]
