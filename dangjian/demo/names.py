"""Word lists for the demo district: surnames, given names by generation, places, employers.

Everything here is fictional. The district 示范区 does not exist; ID region codes come from one real
city (成都, 5101xx) so the numbers look like those on a real roster, and mobile prefixes are the
real 13x/15x/18x/19x ranges.
"""

from __future__ import annotations

# Common surnames with rough population weights (per mille); the long tail is cut.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71),
    ("李", 70),
    ("张", 67),
    ("刘", 54),
    ("陈", 45),
    ("杨", 31),
    ("黄", 22),
    ("赵", 20),
    ("吴", 19),
    ("周", 19),
    ("徐", 15),
    ("孙", 14),
    ("马", 13),
    ("朱", 12),
    ("胡", 12),
    ("郭", 11),
    ("何", 11),
    ("高", 10),
    ("林", 10),
    ("罗", 9),
    ("郑", 9),
    ("梁", 8),
    ("谢", 8),
    ("宋", 7),
    ("唐", 7),
    ("许", 7),
    ("韩", 6),
    ("冯", 6),
    ("邓", 6),
    ("曹", 6),
    ("彭", 6),
    ("曾", 5),
    ("肖", 5),
    ("田", 5),
    ("董", 5),
    ("袁", 5),
    ("潘", 4),
    ("于", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("余", 4),
    ("杜", 4),
    ("叶", 4),
    ("程", 4),
    ("苏", 3),
    ("魏", 3),
    ("吕", 3),
    ("丁", 3),
    ("任", 3),
    ("沈", 3),
    ("姚", 3),
    ("卢", 3),
    ("姜", 3),
    ("崔", 3),
    ("钟", 3),
    ("谭", 3),
    ("陆", 3),
    ("汪", 2),
    ("范", 2),
    ("金", 2),
    ("石", 2),
    ("廖", 2),
    ("贾", 2),
    ("夏", 2),
    ("韦", 2),
    ("付", 2),
    ("方", 2),
    ("白", 2),
    ("邹", 2),
    ("孟", 2),
    ("熊", 2),
    ("秦", 2),
    ("邱", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("侯", 2),
    ("龙", 2),
    ("史", 2),
    ("陶", 2),
    ("黎", 2),
    ("贺", 2),
    ("顾", 1),
    ("毛", 1),
    ("郝", 1),
    ("龚", 1),
    ("邵", 1),
    ("万", 1),
    ("钱", 1),
    ("严", 1),
    ("覃", 1),
    ("武", 1),
    ("戴", 1),
    ("莫", 1),
    ("孔", 1),
    ("向", 1),
    ("汤", 1),
    # compound surnames: rare, but every real roster of a thousand people has one or two
    ("欧阳", 1.5),
    ("司马", 0.6),
    ("上官", 0.5),
    ("诸葛", 0.3),
    ("皇甫", 0.3),
    ("令狐", 0.2),
)

# Given names by birth cohort and sex. Two-character given names make three-character full names;
# the one-character lists make two-character names (张伟, 李静), common in the 1960s-80s cohorts.
GIVEN_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    # born up to 1955
    "old": {
        "male2": (
            "建国 国庆 建华 德明 志华 永福 长生 振华 国华 树林 文华 明德 福生 玉山 宝山 国栋 家祥 光明 德胜 卫国 "
            "解放 援朝 正清 绍华 成林 全福 守仁 世昌 开明 炳文"
        ).split(),
        "female2": (
            "秀英 桂兰 淑珍 玉兰 秀兰 桂英 凤英 素珍 玉珍 淑华 秀珍 桂珍 凤兰 玉英 翠兰 秀芳 惠珍 兰英 金凤 素芬 "
            "淑芬 桂芳 月英 玉梅 素华 秀云"
        ).split(),
        "male1": "军 华 明 林 忠 福 海 成 山 清 信 贵".split(),
        "female1": "英 兰 珍 芳 华 凤 梅 琴 秀 云".split(),
    },
    # born 1956-1979
    "mid": {
        "male2": (
            "卫东 建军 志强 建平 国强 红兵 卫华 建新 小平 立新 晓东 志刚 海涛 永强 建伟 向东 国平 新民 长江 胜利 "
            "跃华 东升 振国 卫民 宏伟 志勇 德华 少华 剑锋 建林"
        ).split(),
        "female2": (
            "红梅 丽华 秀梅 海燕 丽萍 春梅 爱华 桂香 美玲 晓红 红英 建英 小红 丽娟 春兰 玉洁 雪梅 素琴 文静 红霞 亚琴 晓燕 慧敏 建芳"
        ).split(),
        "male1": "伟 军 勇 强 斌 刚 平 辉 涛 杰 波 峰 东".split(),
        "female1": "敏 静 丽 燕 红 霞 萍 娟 玲 芳 艳 英".split(),
    },
    # born 1980-1994
    "young": {
        "male2": (
            "志伟 海波 晓明 俊杰 建波 文博 振宇 鹏飞 晓峰 明辉 建宇 宏亮 伟杰 海峰 志鹏 家豪 天宇 立伟 俊峰 文涛 嘉伟 宇航 子健 晓龙"
        ).split(),
        "female2": (
            "丽娜 晓婷 婷婷 静怡 雪莹 佳丽 晓丽 思雨 倩倩 欣然 丹丹 晶晶 亚楠 文婷 雅婷 梦琪 晓雪 佳慧 玉婷 春燕 婉婷 丽君 思琪 晓琳"
        ).split(),
        "male1": "浩 鹏 磊 超 亮 健 宇 博 洋 凯 晨 帅".split(),
        "female1": "婷 娜 倩 丹 琳 莹 颖 洁 蕾 璐 瑶 佳".split(),
    },
    # born 1995 and later
    "new": {
        "male2": (
            "浩然 宇轩 子轩 浩宇 梓豪 俊熙 思远 一鸣 博文 子墨 皓轩 嘉懿 天佑 睿哲 明轩 泽宇 俊豪 逸飞 晨阳 子豪 奕辰 锦程 铭泽 煜城"
        ).split(),
        "female2": (
            "欣怡 梓涵 子涵 雨桐 一诺 梓萱 诗涵 可馨 思彤 语嫣 佳琪 雨欣 紫萱 欣妍 梦瑶 心怡 若曦 晨曦 静雯 芷若 雨萱 悦然 佳怡 书瑶"
        ).split(),
        "male1": "昊 轩 睿 哲 铭 航 炜 晗".split(),
        "female1": "萱 妍 彤 琪 悦 涵 瑶 怡".split(),
    },
}

# Share of one-character given names per cohort.
ONE_CHARACTER_SHARE = {"old": 0.25, "mid": 0.35, "young": 0.22, "new": 0.08}


def cohort(birth_year: int) -> str:
    if birth_year <= 1955:
        return "old"
    if birth_year <= 1979:
        return "mid"
    if birth_year <= 1994:
        return "young"
    return "new"


# Tibetan members carry a Tibetan name without a surname (扎西多吉, 次仁卓玛).
TIBETAN_NAMES = {
    "male": "扎西多吉 次仁旺堆 洛桑尼玛 丹增平措 格桑多吉 尼玛次仁 土登 平措扎西".split(),
    "female": "次仁卓玛 格桑拉姆 央金 德吉卓玛 白玛央宗 拉姆 达瓦卓玛 益西卓玛".split(),
}

# Ethnicity weights (per mille) for a Sichuan city roster; names as on ID cards.
ETHNICITY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("汉族", 955),
    ("藏族", 10),
    ("回族", 8),
    ("彝族", 7),
    ("羌族", 5),
    ("满族", 4),
    ("土家族", 4),
    ("苗族", 3),
    ("蒙古族", 2),
    ("壮族", 2),
)

# County-level region codes of 成都 (the first six digits of an ID number) with rough weights.
REGION_CODES: tuple[tuple[str, float], ...] = (
    ("510104", 14),  # 锦江区
    ("510105", 14),  # 青羊区
    ("510106", 14),  # 金牛区
    ("510107", 16),  # 武侯区
    ("510108", 12),  # 成华区
    ("510112", 5),  # 龙泉驿区
    ("510113", 3),  # 青白江区
    ("510114", 5),  # 新都区
    ("510115", 4),  # 温江区
    ("510116", 5),  # 双流区
    ("510117", 4),  # 郫都区
    ("510121", 2),  # 金堂县
    ("510129", 1),  # 大邑县
    ("510131", 1),  # 蒲江县
    ("510181", 2),  # 都江堰市
    ("510182", 2),  # 彭州市
    ("510183", 1),  # 邛崃市
    ("510184", 1),  # 崇州市
    ("510185", 2),  # 简阳市
)
# Codes of former districts still printed on the cards of people born before 1990.
OLD_REGION_CODES: tuple[tuple[str, float], ...] = (
    ("510102", 6),  # 东城区 (until 1990)
    ("510103", 6),  # 西城区 (until 1990)
)

MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "180 181 182 183 184 185 186 187 188 189 191 193 195 196 198 199"
).split()
LANDLINE_AREA_CODE = "028"

DISTRICT_NAME = "示范区"

# The district's streets and communities: (code, name, compound, roads).
STREETS: tuple[tuple[str, str, tuple[tuple[str, str, str, tuple[str, ...]], ...]], ...] = (
    (
        "S01",
        "和平街道",
        (
            ("C01", "和平里社区", "和平里小区", ("和平里路", "和平里东街")),
            ("C02", "光明社区", "光明苑", ("光明路", "光明巷")),
            ("C03", "幸福社区", "幸福家园", ("幸福路", "幸福东路")),
            ("C04", "青年路社区", "青年公寓", ("青年路", "青年路北巷")),
        ),
    ),
    (
        "S02",
        "新华街道",
        (
            ("C01", "新华社区", "新华小区", ("新华大道", "新华西路")),
            ("C02", "东风社区", "东风小区", ("东风路", "东风二巷")),
            ("C03", "团结社区", "团结新村", ("团结路", "团结北街")),
            ("C04", "花园社区", "花园小区", ("花园路", "花园南巷")),
        ),
    ),
)

ORDINALS = "一二三四五六七八九十"

# Employers and posts of community members who work (在职).
COMMUNITY_EMPLOYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("示范区人民医院", ("医生", "护士", "药剂师", "行政科员")),
    ("示范区第二中学", ("教师", "班主任", "后勤主管")),
    ("国网示范区供电公司", ("电力工程师", "抄表员", "调度员")),
    ("蜀通物流有限公司", ("驾驶员", "仓库主管", "调度员")),
    ("锦程百货有限公司", ("店长", "营业员", "财务")),
    ("示范区邮政分公司", ("投递员", "营业员")),
    ("天府银行示范支行", ("客户经理", "柜员", "风控专员")),
    ("示范区市场监督管理局", ("科员", "执法队员")),
    ("示范区城市管理局", ("科员", "网格员")),
    ("个体经营", ("个体工商户",)),
)

WHEREABOUTS = (
    "广东省深圳市南山区（务工）",
    "浙江省杭州市余杭区（经商）",
    "上海市浦东新区（务工）",
    "江苏省苏州市工业园区（务工）",
    "北京市海淀区（务工）",
    "重庆市渝北区（经商）",
    "新疆维吾尔自治区乌鲁木齐市（援疆）",
    "西藏自治区拉萨市（援藏）",
    "广东省广州市天河区（务工）",
)
