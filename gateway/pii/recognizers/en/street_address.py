"""English street addresses (ADDRESS). Presidio ships no recognizer for them."""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern

from gateway.pii.recognizers.base import GovPatternRecognizer

_SUFFIX = (
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|terrace|ter|way|"
    r"place|pl|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|crescent|cres|alley|plaza|"
    r"loop|row|walk|pike|ridge|mews|close|gardens|grove|heights|park|port|point|run|view|"
    r"strasse|straße|gasse|weg|laan|straat|plein|rue|via|calle|avenida|vej|gata|gatan|utca|út)"
)
# Street types written glued to the name in German, Dutch, Nordic and Hungarian addresses.
_GLUED_SUFFIX = r"(?i:strasse|straße|gasse|weg|laan|straat|plein|vej|gade|gata|gatan|utca|väg|vägen|veien)"
_NAME_WORD = r"[\p{Lu}][\p{L}'.-]*"
_DIRECTION = r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\.?(?![\w]))?"
_UNIT = r"(?:,?\s*(?i:apt|apartment|suite|ste|unit|floor|fl|room|rm)\.?\s*#?\s*\w+|\s*#\s*\w+)"
_CITY_STATE_ZIP = r"(?:,?\s*[\p{Lu}][\p{L}]+(?:\s[\p{Lu}][\p{L}]+){0,2},?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?)"


class StreetAddressRecognizer(GovPatternRecognizer):
    """House number + capitalised street name + street type, then unit and city/state/ZIP.

    Scores: a full "number name suffix" 0.6, raised to 0.75 when a US city/state/ZIP or a
    unit follows; post-office boxes 0.6; a lone "Apt. 4B"/"Suite 414" 0.3 (context needed).
    Street names are capitalised in English, which is what keeps "3 cats run" out.
    """

    ENTITY = "ADDRESS"
    PATTERNS = [
        Pattern(
            "street_full",
            r"(?<![\w-])\d{1,6}[A-Za-z]?\s+(?:" + _NAME_WORD + r"\s+){0,4}?" + _SUFFIX + r"\.?(?![\w])" + _DIRECTION
            + r"(?:" + _UNIT + r"|" + _CITY_STATE_ZIP + r")+",
            0.75,
        ),
        Pattern(
            "street",
            r"(?<![\w-])\d{1,6}[A-Za-z]?\s+(?:" + _NAME_WORD + r"\s+){0,4}?" + _SUFFIX + r"\.?(?![\w])",
            0.6,
        ),
        Pattern(
            "street_name_first",  # European order: "Floridusgasse 89", "Dózsa György út 78."
            r"(?<![\w-])(?:" + _NAME_WORD + r"\s+){0,3}(?:\p{L}+" + _GLUED_SUFFIX + r"|" + _NAME_WORD
            + r"\s+(?i:rue|via|calle|avenida|út|utca|ulica|ul\.))\s+\d{1,5}[a-z]?\b",
            0.5,
        ),
        Pattern("po_box", r"(?<!\w)(?i:p\.?\s?o\.?\s*box|post office box)\s+\d{1,6}\b", 0.6),
        Pattern("military", r"(?<!\w)(?:PSC|Unit|USNS|USS|USNV|USCGC)\s[\w ,]{1,30}\n?\s*[ADF]PO\s+A[AEP]\s+\d{5}\b", 0.6),
        Pattern("unit", r"(?<!\w)(?i:apt|apartment|suite|ste)\.?\s*#?\d{1,5}[A-Za-z]?\b", 0.3),
    ]
    CONTEXT = ["address", "live", "lives", "living", "moved", "ship", "deliver", "mail", "street", "reside"]

    def __init__(self, *, supported_language: str = "en", **kwargs) -> None:
        # Case matters: capitalisation is the main signal that a word is a street name.
        kwargs.setdefault("regex_flags", regex.DOTALL | regex.MULTILINE)
        super().__init__(supported_language=supported_language, **kwargs)
