"""A scripted fake HTTP server on 127.0.0.1 for the provider tests, and independent signature checks.

Each test queues replies per path (``server.reply("/", json={...})``); the server records every request
it receives. The signature checks here are written separately from the provider code on purpose, so a
test compares two implementations of the vendor's algorithm rather than one with itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None  # raw bytes instead of JSON (malformed answers)
    delay: float = 0.0  # seconds to wait before answering (timeouts)
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        return json.dumps(self.json, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeServer:
    """ThreadingHTTPServer in a daemon thread on 127.0.0.1:<free port>."""

    received: list[Received] = field(default_factory=list)
    _replies: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.received.append(
                    Received(
                        method=self.command,
                        path=parts.path,
                        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
                queue = server._replies.get(parts.path)
                reply = queue.popleft() if queue else Reply(404, json={"error": f"no reply scripted for {parts.path}"})
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.payload()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            do_GET = _handle
            do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def reply(self, path: str = "/", **kwargs: Any) -> None:
        self._replies[path].append(Reply(**kwargs))

    def reset(self) -> None:
        """Drop the replies still queued (a script that stopped early) and the recorded requests."""
        self._replies.clear()
        self.received.clear()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: the port was free a moment ago and is closed again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# --- independent signature checks ------------------------------------------------------------------


def aliyun_signature_is_valid(query: dict[str, str], secret: str) -> bool:
    """Recompute Alibaba Cloud's RPC signature (HMAC-SHA1 1.0) of a received GET query."""

    def enc(text: str) -> str:
        # RFC 3986: quote() with nothing extra kept, then the three rules spelled out in the docs
        return quote(text, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    params = {k: v for k, v in query.items() if k != "Signature"}
    pairs = [enc(k) + "=" + enc(params[k]) for k in sorted(params)]
    to_sign = "GET&" + enc("/") + "&" + enc("&".join(pairs))
    expected = base64.b64encode(hmac.new((secret + "&").encode("utf-8"), to_sign.encode("utf-8"), "sha1").digest()).decode()
    return hmac.compare_digest(expected, query.get("Signature", ""))


def tencent_signature_is_valid(received: Received, secret_id: str, secret_key: str, service: str = "sms") -> bool:
    """Recompute the TC3-HMAC-SHA256 Authorization header of a received POST from its headers and body."""
    timestamp = int(received.headers["x-tc-timestamp"])
    day = datetime.fromtimestamp(timestamp, UTC).date().isoformat()
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            "content-type:" + received.headers["content-type"].strip().lower(),
            "host:" + received.headers["host"].strip().lower(),
            "",
            "content-type;host",
            hashlib.sha256(received.body).hexdigest(),
        ]
    )
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("TC3" + secret_key).encode()
    for part in (day, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    expected = f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={sig}"
    return hmac.compare_digest(expected, received.headers.get("authorization", ""))
