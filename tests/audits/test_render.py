"""The report's HTML and PDF: self-contained, escaped, one chart mark per finding, English and
Chinese, the trend with and without a previous audit, the PDF's CJK font, and nothing fetched.

The reports come from real audits of real ledgers (SQLite, written through the ledger), with
group names nobody should send: markup, quotes, bidi overrides, controls, template syntax.
"""

from __future__ import annotations

import re
import threading
import zlib
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from markupsafe import escape
from hypothesis import given, settings
from hypothesis import strategies as st

from audits import AuditConfig, run_audit
from audits.errors import ReportRenderError
from audits.metrics import BY_NAME
from audits.output import write_report
from audits.render import html_to_pdf, render_fragment, render_html, render_pdf, report_css
from audits.report import AuditReport
from audits.status import decide
from audits.texts import TEXT, translate
from gateway.store.db import make_engine, migrate
from gateway.store.decision_log import DecisionLog
from tests.audits.synthetic import SINCE, UNTIL, Population, records, report_outcomes, write

HOSTILE = ['<script>alert(1)</script>', '"onload="alert(2)', "x' onmouseover='alert(3)", "\u202eevil\u202c",
           "{{ 7*7 }}{% raw %}", "</svg><img src=http://127.0.0.1:9/x>", "bell\x07", "女性", "e\u0301\u200b",
           "w" * 300]
FAST = AuditConfig(bootstrap_resamples=199, shap_sample=500, shap_max_iter=20, ecdf_points=41,
                   metrics=("ttft_p50", "ttft_p95", "latency_p90", "blocked_rate", "ttft_faster_share",
                            "resolved_rate"))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> AuditReport:
    """Men, women and ten hostile group names; women and the script tag slower; outcomes reported."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('render') / 'govgate.db'}")
    migrate(engine)
    gender: dict[str | None, float] = {"female": 0.3, "male": 0.3, None: 0.04, **{name: 0.036 for name in HOSTILE}}
    made = write(engine, records(Population(n=2000, gender=gender, slower={"female": 1.4, HOSTILE[0]: 1.6}),
                                 seed=21))
    report_outcomes(engine, made, lambda r: ("resolved" if int(r.decision_id[-3:], 16) % 3 else "escalated", None))
    audited = run_audit(DecisionLog(engine), SINCE, UNTIL, reference={"gender": "male"}, config=FAST)
    engine.dispose()
    return audited


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_the_page_references_nothing_outside_itself(report: AuditReport) -> None:
    for lang in ("en", "zh"):
        html = render_html(report, None, lang)
        tags = tags_of(html)
        names = {tag for tag, _ in tags}
        assert not names & {"script", "link", "img", "iframe", "object", "embed", "image", "use", "base", "meta"
                            } - {"meta"}
        assert {tag for tag, a in tags if tag == "meta" and "http-equiv" in a} == set()
        for tag, attributes in tags:
            assert "src" not in attributes, tag
            assert not any(name.startswith("on") for name in attributes), (tag, attributes)
            href = attributes.get("href")
            assert href is None or href.startswith("#gg-"), href
            assert "url(" not in (attributes.get("style") or "")
        # No attribute names a URL but the SVG namespace (which nothing fetches); a hostile group's
        # "<img src=http://…>" is text on the page, never a tag.
        urls = {value for _, attributes in tags for value in attributes.values() if value and "//" in value}
        assert urls <= {"http://www.w3.org/2000/svg"}, urls
        style = re.search(r"<style>(.*?)</style>", html, re.S)
        assert style is not None and "@import" not in style.group(1) and "url(" not in style.group(1)


def test_every_finding_gets_one_mark_and_every_distribution_one_line(report: AuditReport) -> None:
    html = render_html(report, None, "en")
    groups = re.findall(r'<g class="finding" data-status="(\w+)">(.*?)</g>', html, re.S)
    assert len(groups) == len(report.findings) > 40
    assert sorted(status for status, _ in groups) == sorted(f.status for f in report.findings)
    marks = {"confirmed": "<path d=", "warning": "<path d=", "ok": "<circle", "insufficient_data": "<circle",
             "excluded": "<path d="}
    assert sum(1 for f in report.findings if f.ratio is not None) == sum(
        1 for _, body in groups if "<line" in body)  # a whisker for each estimated ratio
    for status, body in groups:
        assert marks[status] in body
    assert html.count('<g class="curve">') == len(report.latency_distributions) > 0
    assert html.count('class="chart forest"') >= len(report.attributes)
    # One table row per finding, confirmed first and ok last.
    rows = re.findall(r'<tr class="(confirmed|warning|insufficient_data|excluded|ok)">', html)
    order = ["confirmed", "warning", "insufficient_data", "excluded", "ok"]
    assert len(rows) == len(report.findings) and rows == sorted(rows, key=order.index)
    assert rows[0] == "confirmed" and {"excluded", "ok"} <= set(rows)


def test_hostile_group_names_are_escaped_everywhere(report: AuditReport) -> None:
    assert {f.group for f in report.findings} >= set(HOSTILE) - {"bell\x07"}  # stored as sent
    for lang in ("en", "zh"):
        for html in (render_html(report, report, lang), render_fragment(report, report, lang)):
            assert "<script" not in html.lower() and "<img" not in html.lower()
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
            assert "&lt;/svg&gt;&lt;img src=http://127.0.0.1:9/x&gt;" in html
            assert "{{ 7*7 }}{% raw %}" in html and ">49<" not in html  # data, never template
            assert "\x07" not in html and "bell\ufffd" in html
            for _, attributes in tags_of(html):
                assert not any(name.startswith("on") for name in attributes)
                assert all("alert" not in (value or "") or name == "title" or name == "aria-label"
                           for name, value in attributes.items())
            # Inside charts a bidi override cannot reorder the rest: it is dropped, the name isolated.
            charts = "".join(re.findall(r"<svg class=\"chart.*?</svg>", html, re.S))
            assert "\u202e" not in charts and "\u2068evil\u2069" in charts
            shown = re.sub(r"<title>.*?</title>", "", charts, flags=re.S)  # tooltips keep the whole name
            assert "w" * 300 not in shown and "w" * 20 in shown and "w" * 300 in html  # whole in the tables


def test_the_chinese_page(report: AuditReport) -> None:
    html = render_html(report, None, "zh")
    assert '<html lang="zh-Hans">' in html and '<article class="gg-report" lang="zh-Hans">' in html
    for words in ("偏差审计报告", "概要", "发现", "比值与置信区间", "延迟分布", "与上次审计的趋势对比",
                  "纽约市第 144 号地方法", "《个人信息保护法》第二十四条", "无上次审计。", "已确认", "首字节时间 p50"):
        assert words in html, words
    # Every reason this audit wrote reads in Chinese: none falls back to the English sentence.
    assert 'class="original"' not in html
    assert "is within the thresholds" not in html and "counted, not rated" not in html
    english = render_html(report, None, "en")
    assert '<html lang="en">' in english and "偏差审计报告" not in english and "Bias audit report" in english
    with pytest.raises(ValueError, match="lang must be one of: en, zh"):
        render_html(report, None, "fr")


@settings(max_examples=300, deadline=None)
@given(metric=st.sampled_from(["ttft_p50", "resolved_rate", "blocked_rate", "csat_mean"]),
       share=st.floats(0, 1), n=st.integers(0, 5000), reference_n=st.integers(0, 5000),
       min_n=st.none() | st.integers(2, 4000), ratio=st.none() | st.floats(0, 50),
       ci_low=st.none() | st.floats(0, 50), ci_high=st.none() | st.floats(0, 50), q=st.none() | st.floats(0, 1))
def test_every_reason_the_status_can_give_reads_in_chinese(  # type: ignore[no-untyped-def]
        metric, share, n, reference_n, min_n, ratio, ci_low, ci_high, q) -> None:
    _, reason = decide(BY_NAME[metric], share=share, n=n, reference_n=reference_n, min_n=min_n, ratio=ratio,
                       ci_low=ci_low, ci_high=ci_high, q=q, config=AuditConfig())
    said = translate("zh", reason)
    assert said is not None, reason
    assert not re.search(r"[a-z]{4,}", said.replace("unbounded", "")), said  # no English words left over


def test_the_texts_are_complete_in_both_languages() -> None:
    for key, said in TEXT.items():
        assert set(said) == {"en", "zh"}, key
        assert said["zh"], key
        assert said["en"] or key == "english_only", key
    assert translate("zh", "a sentence the audit never wrote") is None
    assert translate("en", "anything") == "anything"


def _trend_rows(html: str) -> list[str]:
    table = re.search(r'<table class="trend">(.*?)</table>', html, re.S)
    assert table is not None
    return re.findall(r"<tr(?: class=\"worse\")?>\s*<td>(.*?)</tr>", table.group(1), re.S)


def test_the_trend_without_and_with_a_previous_audit(report: AuditReport) -> None:
    alone = render_html(report, None, "en")
    assert "No previous audit." in alone and '<table class="trend">' not in alone
    previous = report.model_copy(deep=True)
    dropped = previous.findings.pop(0)  # a comparison this audit made and the last did not
    worse = next(f for f in previous.findings if f.status == "confirmed")
    worse.status, worse.ratio = "ok", 1.01  # it was fine last time
    gone = previous.findings[-1].model_copy(update={"group": "retired-group"})
    previous.findings.append(gone)  # compared last time only
    html = render_html(report, previous, "en")
    rows = _trend_rows(html)
    assert len(rows) == len(report.findings) + 1
    assert sum("new comparison" in r for r in rows) == 1 and sum("not compared this time" in r for r in rows) == 1
    assert sum("status worse" in r for r in rows) == 1 and html.count('<tr class="worse">') == 1
    [new] = [r for r in rows if "new comparison" in r]
    assert str(escape(f"{dropped.attribute} = {dropped.group}")) in new and f'title="{dropped.metric}"' in new
    [worsened] = [r for r in rows if "status worse" in r]
    now = next(f for f in report.findings if (f.attribute, f.group, f.metric) == (worse.attribute, worse.group,
                                                                                   worse.metric))
    assert now.ratio is not None and f"Δ {now.ratio - 1.01:+.3f}" in worsened
    assert "retired-group" in next(r for r in rows if "not compared this time" in r)
    chinese = render_html(report, previous, "zh")
    assert "新增比较" in chinese and "本次未比较" in chinese and "状态变差" in chinese


def _pdf_text(pdf: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated (its objects sit in compressed streams)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            parts.append(zlib.decompressobj().decompress(pdf[match.end():end]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_pdf_embeds_the_cjk_font_and_maps_the_chinese_text(report: AuditReport) -> None:
    pdf = render_pdf(report, None, "zh")
    assert pdf.startswith(b"%PDF-")
    inside = _pdf_text(pdf)
    fonts = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([\w-]+)", inside))
    assert any(name.startswith(b"Noto-Sans-CJK-SC") for name in fonts), fonts
    assert b"/FontFile" in inside  # embedded, not merely named
    # The ToUnicode maps hold the title's characters: the Chinese text is text, extractable.
    mapped = {m.upper() for m in re.findall(rb"<([0-9A-Fa-f]{4})>", inside)}
    assert all(f"{ord(c):04X}".encode() in mapped for c in "偏差审计报告概要发现")


class _Counting(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_pdf_renderer_fetches_nothing() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for page in (f'<img src="{url}/a.png">', f'<link rel="stylesheet" href="{url}/a.css">',
                     f'<p style="background: url({url}/b.png)">x</p>', '<img src="file:///etc/hostname">',
                     f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{url}/c.png"/></svg>'):
            with pytest.raises(ReportRenderError, match="fetches nothing"):
                html_to_pdf(f"<html><body>{page}</body></html>")
        assert _Counting.hits == 0
        assert html_to_pdf("<html><body><p>nothing to fetch</p></body></html>").startswith(b"%PDF")
    finally:
        server.shutdown()
        server.server_close()


def test_write_report_writes_three_files_or_none(report: AuditReport, tmp_path: Path) -> None:
    out = tmp_path / "audit"
    paths = write_report(report, out, previous=report, lang="zh")
    assert set(paths) == {"json", "html", "pdf"}
    assert {p.name for p in out.iterdir()} == {"report.json", "report.html", "report.pdf"}
    assert AuditReport.model_validate_json(paths["json"].read_bytes()) == report
    assert "偏差审计报告" in paths["html"].read_text(encoding="utf-8")
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(ValueError, match="lang"):
        write_report(report, out, lang="de")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing half-written
    with pytest.raises(ValueError):
        write_report(report, tmp_path / "never", lang="de")
    assert not (tmp_path / "never").exists()


def test_the_fragment_embeds_in_another_page(report: AuditReport) -> None:
    fragment = render_fragment(report, None, "en")
    assert fragment.lstrip().startswith('<article class="gg-report" lang="en">')
    assert fragment.rstrip().endswith("</article>")
    assert not {tag for tag, _ in tags_of(fragment)} & {"html", "head", "body", "style", "title"} - {"title"}
    assert fragment in render_html(report, None, "en")
    # Every rule of the fragment's stylesheet is scoped to the report: embedding leaks no style.
    css = re.sub(r"/\*.*?\*/", "", report_css(), flags=re.S)
    css = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)[^{}]*\}", r"\1", css)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{[^{}]*\}", css) for s in block.split(",")]
    assert selectors and all(s.startswith(".gg-report") for s in selectors), [s for s in selectors
                                                                               if not s.startswith(".gg-report")]


def test_an_empty_audit_and_an_older_report_render(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    migrate(engine)
    empty = run_audit(DecisionLog(engine), SINCE, UNTIL, config=FAST)
    engine.dispose()
    old = AuditReport.model_validate({k: v for k, v in empty.model_dump(mode="json").items()
                                      if k != "latency_distributions"})
    for lang, words in (("en", ("No comparisons", "No latency distributions", "No previous audit.")),
                        ("zh", ("无比较", "本报告无延迟分布", "无上次审计。"))):
        html = render_html(old, None, lang)
        assert all(w in html for w in words), lang
        assert render_pdf(old, empty, lang).startswith(b"%PDF-")
