"""The one small HTTP client of the providers: timeouts, TLS verification, a size cap, no retries, no redirects.

Retrying is the dispatcher's job (with backoff and bounded attempts), so a failure here is raised once
as ``RetryableError`` with a Chinese reason that names the service, never the URL: URLs can carry
secrets (WeChat's ``secret=`` and ``access_token=``).
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .base import RetryableError

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
MAX_RESPONSE_BYTES = 256 * 1024  # vendor answers are a few hundred bytes
_CHUNK = 16 * 1024
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self, *, service: str) -> Any:
        """The body as JSON; anything else is the vendor's (or a proxy's) fault and worth a retry."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RetryableError(f"{service}接口返回了无法解析的内容（HTTP {self.status}，不是 JSON），稍后自动重试") from exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A vendor API never redirects; following one could send a signed request somewhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener(url: str) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context()  # certificate and host name verification on
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=context), _NoRedirect()]
    if urlsplit(url).hostname in _LOOPBACK:
        handlers.append(urllib.request.ProxyHandler({}))  # the local fake servers of the tests: never via a proxy
    return urllib.request.build_opener(*handlers)


def request(
    method: str,
    url: str,
    *,
    service: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> HttpResponse:
    """Send one request and return the answer whatever its status; raise RetryableError when there is none.

    ``timeout`` bounds the connection and every read; the whole answer must also arrive within twice
    that time, so a server that trickles bytes cannot hold a worker.
    """
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    deadline = time.monotonic() + 2 * timeout
    try:
        with _opener(url).open(req, timeout=timeout) as response:
            return HttpResponse(response.status, _read(response, service, max_bytes, deadline), dict(response.headers.items()))
    except urllib.error.HTTPError as exc:  # 4xx/5xx (and a refused redirect) still carry the vendor's JSON
        try:
            payload = _read(exc, service, max_bytes, deadline)
        except RetryableError:
            payload = b""
        finally:
            exc.close()
        return HttpResponse(exc.code, payload, dict(exc.headers.items()) if exc.headers else {})
    except RetryableError:
        raise
    except TimeoutError as exc:
        raise _failure(service, f"{service}接口超时（{timeout:g} 秒内无响应），稍后自动重试", exc) from exc
    except urllib.error.URLError as exc:
        raise _failure(service, _connection_reason(service, exc.reason), exc) from exc
    except (ConnectionError, OSError) as exc:
        raise _failure(service, _connection_reason(service, exc), exc) from exc


def _read(response: Any, service: str, max_bytes: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = response.read(_CHUNK)
        except TimeoutError as exc:
            raise _failure(service, f"{service}接口响应超时（读取中断），稍后自动重试", exc) from exc
        except (ConnectionError, OSError) as exc:
            raise _failure(service, f"{service}接口连接中断，稍后自动重试", exc) from exc
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise RetryableError(f"{service}接口响应过大（超过 {max_bytes // 1024} KB），已放弃读取，稍后自动重试")
        if time.monotonic() > deadline:
            raise RetryableError(f"{service}接口响应过慢（未在时限内传完），稍后自动重试")
        chunks.append(chunk)


def _connection_reason(service: str, reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return f"{service}接口连接超时，稍后自动重试"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"{service}接口的 TLS 证书校验失败（可能被拦截或服务器时间有误），稍后自动重试"
    if isinstance(reason, ConnectionRefusedError):
        return f"无法连接{service}接口（连接被拒绝），稍后自动重试"
    if isinstance(reason, socket.gaierror):
        return f"无法解析{service}接口的域名（DNS 失败），稍后自动重试"
    return f"无法连接{service}接口（网络错误），稍后自动重试"


def _failure(service: str, reason: str, exc: BaseException) -> RetryableError:
    # the exception class only: its text may hold the URL, which may hold a secret
    logger.warning("%s request failed: %s", service, type(exc).__name__)
    return RetryableError(reason)
