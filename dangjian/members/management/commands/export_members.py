"""python manage.py export_members --org ORG_CODE -o FILE.xlsx [--unmasked --reason TEXT]: the roster export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core.rules import RuleViolation
from dangjian.core.scope import path_range
from dangjian.members.exporting import export_members_xlsx
from dangjian.members.models import Member
from dangjian.organisations.management.commands.import_orgs import SYSTEM_SCOPE
from dangjian.organisations.models import Organisation


class Command(BaseCommand):
    help = "把组织代码为 ORG_CODE 的组织及其下级的党员导出为名册（.xlsx），默认脱敏；导出记入审计日志。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="ORG_CODE", help="导出哪个组织（含下级组织）的党员")
        parser.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="写入的文件")
        parser.add_argument("--unmasked", action="store_true", help="导出完整的身份证号、电话和住址（须同时用 --reason 说明事由）")
        parser.add_argument("--reason", default="", help="导出事由（不脱敏导出时必填，记入审计日志）")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(code=options["org"].strip()).first()
        if org is None:
            raise CommandError(f"找不到组织代码为“{options['org']}”的组织", returncode=1)
        output = Path(options["output"])
        if output.suffix.lower() != ".xlsx":
            raise CommandError(f"输出文件应以 .xlsx 结尾：“{output}”", returncode=1)
        members = Member.objects.filter(organisation__path__range=path_range(org.path))
        try:
            content = export_members_xlsx(
                actor=None, scope=SYSTEM_SCOPE, members=members, unmasked=options["unmasked"], reason=options["reason"]
            )
        except RuleViolation as exc:
            raise CommandError(exc.message, returncode=1) from exc
        try:
            output.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"无法写入“{output}”：{exc.strerror}", returncode=1) from exc
        masking = "未脱敏" if options["unmasked"] else "已脱敏"
        self.stdout.write(f"已导出“{org.name}”及其下级组织的 {members.count()} 名党员到 {output}（{masking}）。")
