"""The JSON API under /api/v1: one NinjaAPI, routers from the apps (ADR 0004 scoping applies)."""

from ninja import NinjaAPI

from dangjian.accounts.api import api_auth
from dangjian.accounts.api import router as accounts_router
from dangjian.core.api import install_error_handlers
from dangjian.members.api import router as members_router
from dangjian.organisations.api import router as organisations_router

api = NinjaAPI(
    title="党建服务平台 API",
    version="1",
    description="组织与党员数据接口。所有数据按调用者的组织范围过滤，个人信息默认脱敏。",
    auth=api_auth,
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/accounts", accounts_router)
api.add_router("/organisations", organisations_router)
api.add_router("/members", members_router)
