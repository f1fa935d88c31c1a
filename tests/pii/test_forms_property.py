"""Property: values written in odd Unicode forms, inside English, Chinese or mixed text, are found,
and the finding covers exactly the characters the caller wrote (the normaliser's map back).

Values are generated (valid Luhn cards, CN mobiles, CN resident ids with their check code,
e-mail addresses); forms are the ones callers and hostile callers use: full-width and other
Unicode digits, zero-width characters, odd separators, digits spaced one by one, full-width
letters, "＠", "[at]", "%40".
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.pii.recognizers.checksums import luhn_check_digit, resident_id_check_code

DIGIT_SYSTEMS = {"fullwidth": 0xFF10, "arabic_indic": 0x0660, "devanagari": 0x0966}
DIGIT_FORMS = ["plain", "fullwidth", "arabic_indic", "devanagari", "zero_width", "dots", "underscores",
               "slashes", "nbsp", "spaced"]
EMAIL_FORMS = ["plain", "fullwidth_at", "fullwidth_letters", "bracket_at", "percent40"]
CONTEXTS = {
    "en": ("Please refund me, my number is ", " thanks."),
    "zh": ("请帮我退款，我的号码是", "，谢谢。"),
    "mixed": ("你好你好你好你好你好你好你好你好你好你好 my friend wrote ", " 谢谢"),
}


def card(draw) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    body = "4" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=14, max_size=14)))
    return "CREDIT_CARD", body + luhn_check_digit(body)


def mobile(draw) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    prefix = draw(st.sampled_from(["138", "139", "150", "186", "177"]))
    return "PHONE_NUMBER", prefix + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8)))


def resident_id(draw) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    area = draw(st.sampled_from(["110101", "310104", "440305"]))
    birth = f"19{draw(st.integers(50, 99))}{draw(st.integers(1, 12)):02d}{draw(st.integers(1, 28)):02d}"
    first17 = area + birth + f"{draw(st.integers(0, 999)):03d}"
    return "CN_RESIDENT_ID", first17 + resident_id_check_code(first17)


def render_digits(digits: str, form: str) -> str:
    if form in DIGIT_SYSTEMS:
        return "".join(chr(DIGIT_SYSTEMS[form] + int(d)) if d.isdigit() else d for d in digits)
    groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
    return {
        "plain": digits,
        "zero_width": "\u200b".join(digits),
        "dots": ".".join(groups),
        "underscores": "_".join(groups),
        "slashes": "/".join(groups),
        "nbsp": "\u00a0".join(groups),
        "spaced": " ".join(digits),
    }[form]


def render_email(local: str, domain: str, form: str) -> str:
    return {
        "plain": f"{local}@{domain}",
        "fullwidth_at": f"{local}＠{domain}",
        "fullwidth_letters": "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in f"{local}@{domain}"),
        "bracket_at": f"{local} [at] {domain}",
        "percent40": f"{local}%40{domain}",
    }[form]


@st.composite
def written_values(draw):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["card", "mobile", "resident_id", "email"]))
    if kind == "email":
        local = draw(st.from_regex(r"[a-z]{3,8}(\.[a-z]{2,6})?", fullmatch=True))
        domain = draw(st.sampled_from(["example.com", "mail.example.org", "qq.com", "example.co.uk"]))
        form = draw(st.sampled_from(EMAIL_FORMS))
        return "EMAIL_ADDRESS", render_email(local, domain, form)
    entity, digits = {"card": card, "mobile": mobile, "resident_id": resident_id}[kind](draw)
    form = draw(st.sampled_from(DIGIT_FORMS))
    if entity == "CN_RESIDENT_ID" and form in ("dots", "underscores", "slashes", "nbsp"):
        form = "plain"  # an id is never grouped in fours; its own forms are covered by the others
    return entity, render_digits(digits, form)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=written_values(), context=st.sampled_from(sorted(CONTEXTS)))
def test_odd_forms_are_found_exactly_where_they_were_written(pii_engine, value, context) -> None:  # type: ignore[no-untyped-def]
    entity, written = value
    before, after = CONTEXTS[context]
    text = before + written + after
    start, end = len(before), len(before) + len(written)
    findings = pii_engine.analyze(text)
    covering = [f for f in findings if f.start <= start and f.end >= end]
    assert covering, (entity, written, context, [(f.entity_type, text[f.start:f.end]) for f in findings])
    # The span maps back onto the characters written: it does not swallow the context words.
    assert all(text[f.start:f.end].strip() == written.strip() for f in covering[:1]) or any(
        f.start == start and f.end == end for f in covering), [(f.entity_type, f.start, f.end) for f in covering]
