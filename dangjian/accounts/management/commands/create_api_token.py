"""python manage.py create_api_token USERNAME --name NAME: issue a token and print it once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.accounts.services import issue_api_token
from dangjian.core.rules import RuleViolation


class Command(BaseCommand):
    help = "为用户新建 API 令牌；令牌只打印这一次，数据库只保存其哈希值。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="用户名")
        parser.add_argument("--name", default="命令行创建", help="令牌名称（用途说明）")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在，请核对用户名。")
        if not user.is_active:
            raise CommandError(f"用户“{username}”已停用，不能为其新建令牌。")
        try:
            token, key = issue_api_token(user=user, name=name)
        except RuleViolation as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"已为 {username} 新建令牌“{token.name}”（前缀 {token.prefix}）。令牌只显示这一次，请立即保存：")
        self.stdout.write(key)
