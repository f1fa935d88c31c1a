"""The audit report as HTML (a whole page, or the fragment the web console embeds) and as PDF.

    render_fragment(report, previous=None, lang="en") -> str   <article class="gg-report">…</article>
    render_html(report, previous=None, lang="en") -> str       the page: CSS inline, charts inline SVG
    render_pdf(report, previous=None, lang="en") -> bytes      the same page through WeasyPrint
    report_css() -> str                                        the fragment's stylesheet (scoped)

The templates (audits/templates/) lay out what audits/report_view.py prepares; Jinja escapes
every value (group names are caller text), and the charts are Markup built by audits/svg.py,
which escapes on its own. Nothing is fetched: the page has no external reference, and the PDF
is rendered with a URL fetcher that refuses every URL (a reference would fail the rendering,
never reach the network).
"""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from audits.errors import ReportRenderError
from audits.report import AuditReport
from audits.report_view import FONTS, report_view
from audits.texts import LANG_ERROR, LANGS, Lang

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _finalize(value: object) -> object:
    """Every `{{ … }}`: None shows as a dash; control characters in text become U+FFFD."""
    if value is None:
        return "—"
    if isinstance(value, str) and not isinstance(value, Markup):
        return _CONTROL.sub("\ufffd", value)
    return value


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Built once: the templates are package data and never change while the process runs.
    # Every HTML template ends in .j2 and is escaped; the stylesheets hold no caller text.
    return Environment(loader=PackageLoader("audits", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("j2",), default_for_string=True),
                       finalize=_finalize, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _checked(lang: str) -> Lang:
    if lang not in LANGS:
        raise ValueError(LANG_ERROR)
    return lang  # type: ignore[return-value]


def report_css() -> str:
    return _environment().get_template("report.css").render(fonts=FONTS)


def render_fragment(report: AuditReport, previous: AuditReport | None = None, lang: str = "en") -> str:
    """The report's body, embeddable in another page (styles: report_css(), scoped to .gg-report)."""
    view = report_view(report, previous, _checked(lang))
    return _environment().get_template("report_body.html.j2").render(v=view)


def render_html(report: AuditReport, previous: AuditReport | None = None, lang: str = "en") -> str:
    """The whole page, self-contained."""
    checked = _checked(lang)
    environment = _environment()
    return environment.get_template("report_page.html.j2").render(
        v=report_view(report, previous, checked), css=Markup(report_css()),
        page_css=Markup(environment.get_template("page.css").render(lang=checked)))


def render_pdf(report: AuditReport, previous: AuditReport | None = None, lang: str = "en") -> bytes:
    return html_to_pdf(render_html(report, previous, lang))


def html_to_pdf(html: str) -> bytes:
    """A self-contained page as PDF bytes; any URL in it fails the rendering with ReportRenderError."""
    from weasyprint import HTML  # loads Pango and the fonts: only when a PDF is asked for
    from weasyprint.urls import FatalURLFetchingError

    fetcher = _refusing_fetcher()
    try:
        pdf = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    except FatalURLFetchingError as exc:  # a BaseException in WeasyPrint: made an ordinary error here
        raise ReportRenderError(str(exc.__cause__ or exc)) from None
    if fetcher.asked:  # refused where WeasyPrint swallows errors (an image inside an SVG)
        raise ReportRenderError(f"the audit report fetches nothing (asked for {fetcher.asked[0][:80]!r})")
    return pdf


def _refusing_fetcher():  # type: ignore[no-untyped-def]
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class RefusingFetcher(URLFetcher):
        """Fetches nothing: a report that needs a file or the network is a bug, not a download."""

        def __init__(self) -> None:
            super().__init__()
            self.asked: list[str] = []

        def fetch(self, url: str, headers: object = None) -> None:  # type: ignore[override]
            self.asked.append(url)
            raise FatalURLFetchingError(f"the audit report fetches nothing (asked for {url[:80]!r})")

    return RefusingFetcher()
