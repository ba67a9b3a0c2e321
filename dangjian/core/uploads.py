"""Uploaded files (meeting photos and documents, base photos, development materials, study topic
attachments): a size limit, a document or picture type checked by its extension *and* by its first
bytes (a renamed program is refused), and a server-generated storage name.

Files are stored under MEDIA_ROOT with names of the form ``<folder>/<yyyy>/<mm>/<uuid4>.<ext>`` and
are never served from MEDIA_URL: each app serves them through a view that checks the caller's scope
(``file_response``), because a meeting's minutes or a development file is personal data.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django.http import FileResponse
from django.utils import timezone
from django.utils.deconstruct import deconstructible

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


IMAGE_TYPES = frozenset({"jpg", "jpeg", "png"})
ALL_TYPES = frozenset(TYPE_NAMES)


def allowed_text(allowed: Iterable[str]) -> str:
    """“PDF、JPG 或 PNG” for the allowed extensions, in the order of TYPE_NAMES."""
    labels = {"pdf": "PDF", "docx": "Word（.docx）", "xlsx": "Excel（.xlsx）", "pptx": "PowerPoint（.pptx）", "jpg": "JPG", "png": "PNG"}
    names = [labels[ext] for ext in labels if ext in set(allowed)]
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + " 或 " + names[-1]


def _problem(message: str, field: str) -> RuleViolation:
    return RuleViolation(None, message, field=field)


def check_upload(
    upload: Any, *, allowed: Iterable[str] = ALL_TYPES, max_bytes: int = MAX_BYTES, field: str = "attachment", what: str = "附件"
) -> str:
    """Refuse a file that is too large, of a type not allowed, or whose content is not what its
    name says; returns the (lower-case) extension. ``upload`` is a Django UploadedFile/File."""
    allowed = frozenset(allowed)
    if "jpg" in allowed:
        allowed |= {"jpeg"}
    name = str(getattr(upload, "name", "") or "")
    shown = name.rsplit("/", 1)[-1]
    size = int(getattr(upload, "size", 0) or 0)
    ext = extension(shown)
    limit_mb = max_bytes / 1024 / 1024
    if ext not in allowed:
        raise _problem(f"{what}“{shown}”的类型不能上传；只能上传 {allowed_text(allowed)} 文件。", field)
    if size == 0:
        raise _problem(f"{what}“{shown}”是空文件，请检查后重新选择。", field)
    if size > max_bytes:
        raise _problem(f"{what}“{shown}”有 {size / 1024 / 1024:.1f} MB，超过 {limit_mb:g} MB 的上限；请压缩或拆分后再上传。", field)
    if not _content_matches(upload, ext):
        raise _problem(f"{what}“{shown}”的内容不是{TYPE_NAMES[ext]}（文件名是 .{ext}，内容却不是）；请用原始文件重新上传。", field)
    return ext


def storage_name(folder: str, ext: str) -> str:
    """A server-generated name: the uploader's file name never reaches the disk."""
    now = timezone.localdate()
    return f"{folder}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{ext}"


@deconstructible(path="dangjian.core.uploads.UploadTo")
class UploadTo:
    """``FileField(upload_to=UploadTo("meetings"))``: a storage name from the uploaded name's extension."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance: Any, filename: str) -> str:
        return storage_name(self.folder, extension(filename) or "bin")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadTo) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def file_response(field_file: Any, *, download_name: str, inline: bool = False) -> FileResponse:
    """Serve a stored file (after the caller's scope check) with its type, a safe download name and
    no caching by shared proxies."""
    ext = extension(field_file.name)
    response = FileResponse(
        field_file.open("rb"),
        as_attachment=not inline,
        filename=download_name,
        content_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
