"""Settings of the benchmark's gunicorn (P7, V1): the platform's own, plus the bare baseline view's URL."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "dangjian.demo.bench_urls"
