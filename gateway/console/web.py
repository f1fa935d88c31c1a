"""What every console route shares: who is signed in, what their role may open, CSRF,
the page renderer and the headers every console answer carries.

A page that needs a signed-in user sends the browser to the sign-in form; a JSON route
answers 401. A role that may not open a page gets 403 (a page saying so, or an
OpenAI-style error body). A request carrying an `Authorization` header is refused outright:
callers' API keys never open the console.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from cachetools import LRUCache
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader

from gateway.auth import PreAuthLimiter
from gateway.console.auth import CONSOLE_ROLES, ConsoleAuth
from gateway.console.texts import LANGS, Lang, text

PREFIX = "/console"
SIGN_IN_FAILURES_PER_MINUTE = 20
SIGN_IN_THREADS = 2
# Sign-ins waiting for an argon2 thread beyond which more are answered 429 at once.
SIGN_IN_QUEUE = 8
SESSION_COOKIE = "gg_console"
LOGIN_COOKIE = "gg_console_login"  # the sign-in form's CSRF token (there is no session yet)
TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
# No script anywhere in the console; styles from its own origin (and the audit report's inline ones).
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on forms,
    # and check_origin could no longer tell this console from a sandboxed attacker.
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}

# Which roles may open each part of the console (pages and the JSON routes behind them).
ROLES: dict[str, tuple[str, ...]] = {
    "overview": CONSOLE_ROLES,
    "decisions": CONSOLE_ROLES,
    "audits": ("compliance_officer", "admin"),
    "policies": ("security_admin", "admin"),
    "activity": ("security_admin", "admin"),
}
NAV = ("overview", "decisions", "audits", "policies", "activity")
NAV_PATHS = {"overview": "/console/", "decisions": "/console/decisions", "audits": "/console/audits",
             "policies": "/console/policies", "activity": "/console/activity"}


@dataclass
class Console:
    """The console's parts, built by the app factory (services.py)."""

    auth: ConsoleAuth
    candidates_dir: Path | None
    uploads_dir: Path  # replayed uploads, by bundle hash (an activation installs one of these)
    secure_cookies: bool | None  # None: Secure exactly when the request came over https
    # The console's public origin (scheme://host[:port]) behind a proxy; None: as the request says.
    origin: str | None = None
    templates: Environment = field(default_factory=lambda: Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True))
    # Failed sign-ins per client address (the API's pre-authentication limit, applied here too),
    # and the threads argon2 may use at once: its own few, never the proxy's worker threads.
    sign_in_failures: PreAuthLimiter = field(default_factory=lambda: PreAuthLimiter(SIGN_IN_FAILURES_PER_MINUTE))
    sign_in_slots: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(SIGN_IN_THREADS))
    # Rego test results per bundle hash: a bundle's tests give the same result every time.
    test_reports: LRUCache[str, Any] = field(default_factory=lambda: LRUCache(maxsize=16))


@dataclass(frozen=True)
class Viewer:
    """The signed-in person looking at a page."""

    username: str
    role: str
    lang: Lang
    csrf_token: str
    token: str

    def may(self, part: str) -> bool:
        return self.role in ROLES[part]


class SignInNeeded(Exception):
    def __init__(self, *, as_json: bool, path: str) -> None:
        self.as_json, self.path = as_json, path


class Refused(Exception):
    """403: an API key on a console route, a role that may not, or a bad CSRF token."""

    def __init__(self, message: str, *, as_json: bool, code: str, lang: Lang = "en") -> None:
        super().__init__(message)
        self.as_json, self.code, self.lang = as_json, code, lang


def console_of(request: Request) -> Console:
    return request.app.state.services.console


def _now() -> datetime:
    return datetime.now(UTC)


def refuse_api_keys(request: Request, *, as_json: bool) -> None:
    if "authorization" in request.headers:
        raise Refused("API keys do not open the console; sign in at /console/login", as_json=as_json,
                      code="api_key_not_accepted")


async def viewer(request: Request, part: str, *, as_json: bool = False) -> Viewer:
    """The signed-in viewer, if their role may open `part`; else SignInNeeded or Refused."""
    refuse_api_keys(request, as_json=as_json)
    token = request.cookies.get(SESSION_COOKIE)
    console = console_of(request)
    found = await anyio.to_thread.run_sync(lambda: console.auth.session(token, now=_now())) if token else None
    if found is None or token is None:
        raise SignInNeeded(as_json=as_json, path=request.url.path)
    lang: Lang = found.lang if found.lang in LANGS else "en"  # type: ignore[assignment]
    seen = Viewer(username=found.username, role=found.role, lang=lang, csrf_token=found.csrf_token, token=token)
    if not seen.may(part):
        raise Refused(text(lang, "forbidden"), as_json=as_json, code="insufficient_role", lang=lang)
    return seen


def check_origin(request: Request, *, as_json: bool = False) -> None:
    """A form posted from another site is refused even before its token is read."""
    origin = request.headers.get("origin")  # "null" from a sandboxed or privacy-sensitive context: refused too
    expected = console_of(request).origin or f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != expected:
        raise Refused("the form was not sent from this console", as_json=as_json, code="csrf_failed")


async def posted_form(request: Request, seen: Viewer) -> dict[str, Any]:
    """The form's fields, once its CSRF token matches the session's."""
    check_origin(request)
    form = await request.form(max_files=1, max_fields=50)
    token = form.get("csrf_token")
    if not isinstance(token, str) or not secrets.compare_digest(token, seen.csrf_token):
        raise Refused("the form's CSRF token is missing or wrong; reload the page and try again",
                      as_json=False, code="csrf_failed", lang=seen.lang)
    return dict(form)


def secure(request: Request) -> bool:
    configured = console_of(request).secure_cookies
    return configured if configured is not None else request.url.scheme == "https"


def with_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(request: Request, template: str, *, lang: Lang, seen: Viewer | None = None, status_code: int = 200,
           **values: Any) -> HTMLResponse:
    environment = console_of(request).templates
    nav = [(part, text(lang, part), NAV_PATHS[part]) for part in NAV if seen is not None and seen.may(part)]
    page = environment.get_template(template).render(
        t=lambda key, **kw: text(lang, key, **kw), lang=lang, viewer=seen, nav=nav, path=request.url.path,
        **values)
    return with_headers(HTMLResponse(page, status_code=status_code))  # type: ignore[return-value]


def error_body(message: str, *, code: str, status: int) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "code": code, "param": None}}


def json_response(body: Any, status_code: int = 200) -> JSONResponse:
    return with_headers(JSONResponse(body, status_code=status_code))  # type: ignore[return-value]


def safe_next(value: object) -> str:
    """Where to go after a form: a console path only (never another site, never `//host`)."""
    if isinstance(value, str) and value.startswith(PREFIX + "/") and not value.startswith("//") \
            and "\\" not in value and all(c.isprintable() and not c.isspace() for c in value) and len(value) < 2000:
        return value
    return PREFIX + "/"


def redirect(location: str) -> Response:
    return with_headers(RedirectResponse(location, status_code=303))


def install_handlers(app: Any) -> None:
    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(_request: Request, error: SignInNeeded) -> Response:
        if error.as_json:
            return json_response(error_body("sign in to the console first", code="sign_in_required", status=401),
                                 status_code=401)
        response = redirect(f"{PREFIX}/login?next={error.path}" if error.path != PREFIX + "/" else f"{PREFIX}/login")
        return response

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        if error.as_json or not request.url.path.startswith(PREFIX):
            return json_response(error_body(str(error), code=error.code, status=403), status_code=403)
        return render(request, "error.html", lang=error.lang, status_code=403, message=str(error))
