"""The JSON API under /api/v1: one NinjaAPI, routers from the apps (ADR 0004 scoping applies)."""

from ninja import Swagger

from dangjian.accounts.api import api_auth
from dangjian.accounts.api import router as accounts_router
from dangjian.core.api import DangjianAPI, install_error_handlers
from dangjian.meetings.api import router as meetings_router
from dangjian.members.api import router as members_router
from dangjian.notifications.api import router as inbox_router
from dangjian.organisations.api import router as organisations_router
from dangjian.recruitment.api import router as recruitment_router
from dangjian.transfers.api import router as transfers_router
from dangjian.venues.api import router as venues_router

DESCRIPTION = """组织与党员数据接口。

- **范围**：所有数据按调用者的组织范围（所授角色所在组织及其全部下级）过滤；范围外的对象与不存在的对象一样返回 404。
- **认证**：浏览器登录会话（修改数据须在请求头 `X-CSRFToken` 中带上 csrftoken Cookie 的值），或 API 令牌
  （`Authorization: Bearer <令牌>` 或 `X-API-Key: <令牌>`；令牌在 `/api/v1/accounts/tokens` 新建，或由管理员用
  `python manage.py create_api_token 用户名` 生成）。未认证返回 401。
- **个人信息**：公民身份号码、联系电话、家庭住址一律脱敏返回；有权角色可调用 `POST /members/{id}/unmask`
  并说明事由查看完整值，每次调用记入审计日志。
- **错误**：401/403/404 返回 `{"detail": "原因"}`；数据不符合规则返回 422
  `{"rule": "规则编号", "message": "原因", "field": "字段", "errors": [...]}`。
- **分页**：列表接口用 `limit`（默认 20，最大 200）和 `offset`，返回 `{"items": [...], "count": 总数}`。
"""

api = DangjianAPI(
    title="党建服务平台 API",
    version="1",
    description=DESCRIPTION,
    auth=api_auth,
    urls_namespace="api",
    # Swagger UI from ninja's own static files (no CDN); no validator badge (it calls validator.swagger.io)
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
install_error_handlers(api)
api.add_router("/accounts", accounts_router)
api.add_router("/organisations", organisations_router)
api.add_router("/members", members_router)
api.add_router("/inbox", inbox_router)
api.add_router("/meetings", meetings_router)
api.add_router("/transfers", transfers_router)
api.add_router("/bases", venues_router)
api.add_router("/development", recruitment_router)
