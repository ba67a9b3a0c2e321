"""python manage.py import_members FILE --org ORG_CODE [--dry-run] [--json]: the roster import, as a system operator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dangjian.members.importing import import_roster
from dangjian.organisations.management.commands.import_orgs import SYSTEM_SCOPE, failed, finish, read_file
from dangjian.organisations.models import Organisation


class Command(BaseCommand):
    help = "把党员名册（.xlsx 或 .csv）导入到组织代码为 ORG_CODE 的组织；所在党支部在该组织及其下级中按名称查找；全部通过才写入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="党员名册文件（.xlsx 或 .csv）")
        parser.add_argument("--org", required=True, metavar="ORG_CODE", help="导入到的组织的组织代码")
        parser.add_argument("--dry-run", action="store_true", help="只检查和预览，不写入")
        parser.add_argument("--json", action="store_true", help='输出一个JSON对象：{"created", "updated", "errors"}')

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run, as_json = options["dry_run"], options["json"]
        org = Organisation.objects.filter(code=options["org"].strip()).first()
        if org is None:
            finish(self, failed(f"找不到组织代码为“{options['org']}”的组织", dry_run=dry_run), as_json=as_json)
            return
        data, problem = read_file(options["file"])
        if data is None:
            finish(self, failed(problem, dry_run=dry_run), as_json=as_json)
            return
        report = import_roster(actor=None, scope=SYSTEM_SCOPE, org=org, data=data, filename=Path(options["file"]).name, dry_run=dry_run)
        finish(self, report, as_json=as_json)
