"""The one attachment a study topic may carry: at most 10 MB, and a document or picture type checked
by its extension and by its first bytes, so a renamed program is refused."""

from __future__ import annotations

import zipfile
from typing import IO, Any

from dangjian.core.rules import RuleViolation

MAX_BYTES = 10 * 1024 * 1024
TYPE_NAMES = {
    "pdf": "PDF 文档",
    "docx": "Word 文档",
    "xlsx": "Excel 表格",
    "pptx": "PowerPoint 演示文稿",
    "jpg": "JPEG 图片",
    "jpeg": "JPEG 图片",
    "png": "PNG 图片",
}
ALLOWED_TEXT = "PDF、Word（.docx）、Excel（.xlsx）、PowerPoint（.pptx）、JPG 或 PNG"
# the folder inside an Office Open XML package that holds the main part of each kind
_OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
}


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _problem(message: str) -> RuleViolation:
    return RuleViolation(None, message, field="attachment")


def check_attachment(upload: Any) -> str:
    """Refuse a file that is too large, of a type not allowed, or whose content is not what its
    name says; returns the (lower-case) extension. ``upload`` is a Django UploadedFile/File."""
    name = str(getattr(upload, "name", "") or "")
    shown = name.rsplit("/", 1)[-1]
    size = int(getattr(upload, "size", 0) or 0)
    ext = extension(shown)
    if ext not in TYPE_NAMES:
        raise _problem(f"附件“{shown}”的类型不能上传；只能上传 {ALLOWED_TEXT} 文件。")
    if size == 0:
        raise _problem(f"附件“{shown}”是空文件，请检查后重新选择。")
    if size > MAX_BYTES:
        raise _problem(f"附件“{shown}”有 {size / 1024 / 1024:.1f} MB，超过 10 MB 的上限；请压缩或拆分后再上传，也可以改为填写链接。")
    if not _content_matches(upload, ext):
        raise _problem(f"附件“{shown}”的内容不是{TYPE_NAMES[ext]}（文件名是 .{ext}，内容却不是）；请用原始文件重新上传。")
    return ext


def _content_matches(upload: Any, ext: str) -> bool:
    stream: IO[bytes] = upload.file if hasattr(upload, "file") else upload
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    try:
        if ext == "pdf":
            return head.startswith(b"%PDF-")
        if ext in ("jpg", "jpeg"):
            return head.startswith(b"\xff\xd8\xff")
        if ext == "png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(stream) as package:
                names = package.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        return "[Content_Types].xml" in names and any(n.startswith(_OOXML_PART[ext]) for n in names)
    finally:
        stream.seek(0)
