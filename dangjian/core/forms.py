"""Form parts every app's forms share: the date input and the spreadsheet upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings


class DateInput(forms.DateInput):
    """A native date picker (``type=date``), which phones show as a calendar."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AccessibleForm(forms.Form):
    """A form whose invalid inputs say so to screen readers (aria-invalid, aria-describedby).

    ``add_error`` is where both field validation and the views' service errors arrive, so the
    markers are set there.
    """

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[arg-type]
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                described = [f"{bound.auto_id}_error"]
                if bound.help_text:
                    described.append(f"{bound.auto_id}_helptext")
                self.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(described)})


class UploadForm(AccessibleForm):
    """One .xlsx or .csv file for an import; the import service reads and judges its contents."""

    file = forms.FileField(label="Excel 或 CSV 文件", help_text="支持 .xlsx 和 .csv 格式")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError(
                f"文件“{upload.name}”不是 .xlsx 或 .csv 格式；.xls 等旧格式请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再上传。"
            )
        if upload.size == 0:
            raise forms.ValidationError(f"文件“{upload.name}”是空文件，请检查后重新上传。")
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(f"文件“{upload.name}”大于 {limit // (1024 * 1024)} MB，请拆分后分批导入。")
        return upload
