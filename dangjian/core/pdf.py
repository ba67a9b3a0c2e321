"""PDF documents (the transfer introduction letter, the monthly reminder sheet, printable lists):
ReportLab with a Chinese font that ships as a Python package (WenQuanYi Micro Hei in
``paperang-p2-fonts-cjk``), so a fresh machine needs no system font and every PDF carries the
glyphs it uses (ReportLab embeds a subset). ADR 0012.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from importlib import resources

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT = "WenQuanYiMicroHei"
PAGE = A4  # 595.27 x 841.89 points


@cache
def chinese_font() -> str:
    """Register the embedded Chinese font once per process; returns its ReportLab name."""
    path = resources.files("paperang_p2_fonts_cjk").joinpath("fonts/wqy-microhei.ttc")
    with resources.as_file(path) as real:
        pdfmetrics.registerFont(TTFont(FONT, str(real), subfontIndex=0))
    return FONT


def render(draw: Callable[[Canvas], None], *, title: str = "", author: str = "党建服务平台") -> bytes:
    """A4 PDF bytes from ``draw(canvas)``; the canvas' default font is the Chinese font."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("dangjian")
    canvas.setFont(chinese_font(), 12)
    draw(canvas)
    canvas.save()
    return buffer.getvalue()


def pdf_response(content: bytes, *, filename: str, inline: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response
