"""The pipeline as an Excel workbook: one row per person (masked ID), plus the per-stage counts."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from dangjian.core.excel import ColumnSpec, write_xlsx
from dangjian.core.masking import mask_id_number

from . import rules, selectors
from .models import Candidate, DevelopmentStep

COLUMNS = (
    ColumnSpec("姓名", width=10),
    ColumnSpec("性别", width=6),
    ColumnSpec("出生日期", "date", 12),
    ColumnSpec("公民身份号码（脱敏）", "text", 22),
    ColumnSpec("所在党支部", width=28),
    ColumnSpec("工作（学习）单位", width=24),
    ColumnSpec("阶段", width=12),
    ColumnSpec("递交申请书", "date", 12),
    ColumnSpec("列为积极分子", "date", 12),
    ColumnSpec("确定为发展对象", "date", 12),
    ColumnSpec("支部大会接收", "date", 12),
    ColumnSpec("上级批准", "date", 12),
    ColumnSpec("预备期满", "date", 12),
    ColumnSpec("转正批准", "date", 12),
    ColumnSpec("下一步", width=24),
    ColumnSpec("下一期限", "date", 12),
    ColumnSpec("期限状态", width=10),
)
KEY_STEPS = (1, 3, 7, 15, 17)


def pipeline_xlsx(candidates: QuerySet[Candidate], *, scope: Any, org_path: str, today: date) -> tuple[bytes, int]:
    people = list(candidates.defer(None))  # the export shows the (masked) ID number
    ids = [c.pk for c in people]
    dates: dict[tuple[int, int], date] = {}
    rows_q = DevelopmentStep.objects.filter(candidate_id__in=ids, number__in=[*KEY_STEPS, 24]).exclude(decision="refused")
    for candidate_id, number, on in rows_q.values_list("candidate_id", "number", "on").order_by("on", "id"):
        dates[(candidate_id, number)] = on
    rows = []
    for c in people:
        state = ""
        if c.next_due:
            state = "已逾期" if c.next_due < today else ("即将到期" if (c.next_due - today).days <= rules.DUE_SOON_DAYS else "")
        rows.append(
            [
                c.name,
                c.get_gender_display(),
                c.birth_date,
                mask_id_number(c.id_number),
                c.organisation.name,
                c.work_unit,
                c.get_stage_display(),
                *[dates.get((c.pk, n)) for n in KEY_STEPS],
                c.probation_end,
                dates.get((c.pk, 24)),
                f"第{c.next_step}步 {rules.STEPS[c.next_step].label}" if c.next_step else "",
                c.next_due,
                state,
            ]
        )
    summary = selectors.pipeline_summary(scope, org_path=org_path, today=today)
    stats = [("统计日期", today.isoformat())]
    stats += [(str(stage.label), count) for stage, count in summary["stages"]]
    stats += [("已逾期", summary["overdue"]), (f"{rules.DUE_SOON_DAYS}天内到期", summary["soon"])]
    stats += [(f"{summary['year']}年{label}", count) for label, count in summary["annual"]]
    data = write_xlsx(title="发展党员工作台账", columns=COLUMNS, rows=rows, extra_sheets=[("统计", stats)])
    return data, len(rows)
