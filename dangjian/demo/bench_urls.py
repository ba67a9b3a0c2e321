"""The platform's URLs plus P7's bare baseline view (``bench_views``); used only by the benchmark's gunicorn."""

from django.urls import path

from config.urls import urlpatterns as platform_urlpatterns

from .bench_views import bare_member_list

# under /api/ so that, like the API, it answers for itself instead of redirecting to the login page
urlpatterns = [path("api/bench-bare/members", bare_member_list), *platform_urlpatterns]
