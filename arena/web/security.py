"""What stands between a request and the store: CSRF tokens, capped uploads, strict headers.

- CSRF: a page with a form sets a random `arena_csrf` cookie (SameSite=Strict, HttpOnly) and puts
  HMAC(secret, cookie) in the form; a POST must bring both, matching. The secret lives in the
  store's folder (web-secret, mode 0600) so forms stay valid across a restart.
- Uploads: the request body is counted as it streams in and refused past the cap (413) before
  it is all read; a Content-Length over the cap is refused before anything is read.
- Every response gets a Content-Security-Policy without inline scripts, nosniff and no framing.
- Ids from a URL are checked against a pattern before they reach a query or a path.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

CSRF_COOKIE = "arena_csrf"
CSRF_FIELD = "csrf"
FORM_OVERHEAD = 64 * 1024  # bytes a form may carry beyond the file: the other fields and the multipart framing
MAX_FIELDS = 32
HEX_RE = re.compile(r"^[0-9a-f]{8,64}$")

CSP = ("default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class TooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the upload is larger than {limit // (1024 * 1024)} MB")
        self.limit = limit


class BadForm(Exception):
    """The body is not a form this endpoint can read (malformed multipart, too many fields)."""


def load_secret(folder: Path) -> bytes:
    """The site's CSRF secret: read from <folder>/web-secret, created (0600) on the first start."""
    path = folder / "web-secret"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    data = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return data


def csrf_token(secret: bytes, cookie: str) -> str:
    return hmac.new(secret, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(secret: bytes, cookie: str | None, sent: str | None) -> bool:
    if not cookie or not sent or not isinstance(sent, str):
        return False
    return hmac.compare_digest(csrf_token(secret, cookie), sent)


async def capped_form(request: Request, limit: int) -> FormData:
    """Parse a form body, streaming it, refusing more than `limit` bytes (TooLarge) and anything
    that is not a readable form (BadForm). Files above 1 MB spool to an anonymous temporary file
    (deleted on close, never named on disk)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit)
    seen = 0
    receive = request.receive

    async def counted():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge(limit)
        return message

    capped = Request(request.scope, counted)
    try:
        return await capped.form(max_files=2, max_fields=MAX_FIELDS, max_part_size=FORM_OVERHEAD)
    except MultiPartException as exc:
        raise BadForm(str(exc)) from None
    except HTTPException as exc:  # Request.form() turns the parser's limits (too many fields) into a bare 400
        raise BadForm(str(exc.detail)) from None
    except AssertionError as exc:  # starlette asserts the multipart parser is installed
        raise BadForm(str(exc)) from None


def valid_hex(text: str) -> bool:
    return bool(HEX_RE.match(text))


class SecurityHeaders:
    """Pure ASGI middleware: adds the security headers to every HTTP response."""

    HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
               (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin")]

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + self.HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)
