"""The recognizers GovGate runs, per language, as a Presidio `RecognizerRegistry`.

Built in code rather than from Presidio's `default_recognizers.yaml`: the default registry
loads ~30 recognizers (every country's IDs, crypto wallets, dates, URLs…) and each one
costs time on every message. We keep what the policy acts on:

| entity          | en                                    | zh                                  |
|-----------------|---------------------------------------|-------------------------------------|
| EMAIL_ADDRESS   | OfflineEmailRecognizer                | OfflineEmailRecognizer              |
| PHONE_NUMBER    | GenericPhoneRecognizer                | CnPhoneRecognizer                   |
| CREDIT_CARD     | PaymentCardRecognizer (schemes, Luhn) | PaymentCardRecognizer (same class)  |
| SECRET          | SecretRecognizer                      | SecretRecognizer (same class)       |
| IBAN_CODE       | IbanRecognizer                        | IbanRecognizer                      |
| US_SSN          | UsSsnRecognizer                       | —                                   |
| IP_ADDRESS      | IpRecognizer                          | IpRecognizer                        |
| PERSON, LOCATION, ORGANIZATION | SpacyNerRecognizer (+ GivenNameRecognizer for PERSON, PlaceGazetteerRecognizer for LOCATION) | LacNerRecognizer (+ CnNameCueRecognizer for PERSON) |
| ADDRESS         | StreetAddressRecognizer, IntlStreetAddressRecognizer, AddressBlockRecognizer (multi-line) | CnAddressRecognizer  |
| CN_RESIDENT_ID  | CnResidentIdRecognizer (checksummed)  | CnResidentIdRecognizer              |
| CN_USCC, CN_PASSPORT | —                                | CnUsccRecognizer, CnPassportRecognizer |

Presidio's `PhoneRecognizer` is not used: python-phonenumbers scans the text once per
region (3.3 ms of a 5 ms budget for its 8 default regions) and still misses the national
formats `GenericPhoneRecognizer` catches (recall 0.61 alone on presidio-research).

Left out on purpose: DATE_TIME (a date alone identifies nobody, and redacting "yesterday"
or an order date breaks the conversation the gateway forwards), URL / DOMAIN_NAME (company
and product links dominate; the personal part of a URL is usually an e-mail or an ID the
other recognizers already catch), NRP, MEDICAL_LICENSE, crypto wallets and the other
countries' IDs (not our traffic; add a recognizer here when a market needs it).

Every pattern that may see Chinese text uses ASCII word boundaries (`regex.ASCII`, or
explicit `(?<![0-9A-Za-z])` guards) so values glued to Chinese characters are found.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import tldextract
from presidio_analyzer import EntityRecognizer, RecognizerRegistry
from presidio_analyzer.predefined_recognizers import (
    IbanRecognizer,
    IpRecognizer,
    UsSsnRecognizer,
)

from gateway.pii.errors import PiiConfigError
from gateway.pii.findings import Language
from gateway.pii.recognizers.base import ASCII_REGEX_FLAGS
from gateway.pii.recognizers.en.address_block import AddressBlockRecognizer
from gateway.pii.recognizers.en.email import OfflineEmailRecognizer, offline_tld_extractor
from gateway.pii.recognizers.en.first_name import GivenNameRecognizer
from gateway.pii.recognizers.en.name_lists import load_english_words, load_given_names
from gateway.pii.recognizers.en.intl_address import IntlStreetAddressRecognizer
from gateway.pii.recognizers.en.phone_pattern import GenericPhoneRecognizer
from gateway.pii.recognizers.en.places import PlaceGazetteerRecognizer, load_places
from gateway.pii.recognizers.en.spacy_ner import SpacyNerRecognizer
from gateway.pii.recognizers.en.street_address import StreetAddressRecognizer
from gateway.pii.recognizers.payment_card import PaymentCardRecognizer
from gateway.pii.recognizers.secrets import SecretRecognizer
from gateway.pii.recognizers.zh.address import CnAddressRecognizer
from gateway.pii.recognizers.zh.lac_ner import LacNerRecognizer
from gateway.pii.recognizers.zh.name_cues import CnNameCueRecognizer
from gateway.pii.recognizers.zh.passport import CnPassportRecognizer
from gateway.pii.recognizers.zh.phone import CnPhoneRecognizer
from gateway.pii.recognizers.zh.resident_id import CnResidentIdRecognizer
from gateway.pii.recognizers.zh.uscc import CnUsccRecognizer

DEFAULT_LANGUAGES: tuple[Language, ...] = ("en", "zh")

# Chinese context words for Presidio's own recognizers when they run on Chinese text.
ZH_CONTEXT: dict[str, list[str]] = {
    "EMAIL_ADDRESS": ["邮箱", "邮件", "电邮", "email", "e-mail"],
    "IBAN_CODE": ["iban", "账号", "账户", "国际银行"],
    "IP_ADDRESS": ["ip", "ip地址", "服务器"],
}


@dataclass(frozen=True)
class RegistryConfig:
    """What `build_registry` needs to know; the defaults are GovGate's production set."""

    languages: tuple[Language, ...] = DEFAULT_LANGUAGES
    tld_extractor: tldextract.TLDExtract | None = field(default=None, compare=False)
    # Lower-case given names for GivenNameRecognizer; None loads gender-guesser's list.
    given_names: frozenset[str] | None = field(default=None, compare=False, repr=False)
    # Lower-case English words (lower-case name evidence); None loads the spaCy model's WordNet index.
    english_words: frozenset[str] | None = field(default=None, compare=False, repr=False)
    # (place names, ambiguous place names) for the gazetteer; None loads gateway/pii/data/places_en.txt.
    places: tuple[frozenset[str], frozenset[str]] | None = field(default=None, compare=False, repr=False)


def english_recognizers(config: RegistryConfig) -> list[EntityRecognizer]:
    tld = config.tld_extractor or offline_tld_extractor()
    places, ambiguous_places = config.places if config.places is not None else load_places()
    given = GivenNameRecognizer(
        config.given_names if config.given_names is not None else load_given_names(),
        english_words=config.english_words if config.english_words is not None else load_english_words(),
        places=places,
    )
    return [
        OfflineEmailRecognizer(supported_language="en", tld_extractor=tld),
        GenericPhoneRecognizer(supported_language="en"),
        PaymentCardRecognizer(supported_language="en"),
        SecretRecognizer(supported_language="en"),
        IbanRecognizer(supported_language="en", regex_flags=ASCII_REGEX_FLAGS),
        _ascii(UsSsnRecognizer(supported_language="en")),
        _ascii(IpRecognizer(supported_language="en")),
        # The model's PERSON spans are judged with the same given-name list ("Marks & Spencer").
        SpacyNerRecognizer(supported_language="en", is_name=given.is_name),
        given,
        StreetAddressRecognizer(supported_language="en"),
        IntlStreetAddressRecognizer(supported_language="en", known_places=places),
        AddressBlockRecognizer(supported_language="en", known_places=places),
        PlaceGazetteerRecognizer(places, ambiguous_places, supported_language="en"),
        # Checksummed, so safe to run on English text too (a Chinese customer writing English).
        CnResidentIdRecognizer(supported_language="en"),
    ]


def chinese_recognizers(config: RegistryConfig) -> list[EntityRecognizer]:
    tld = config.tld_extractor or offline_tld_extractor()
    return [
        OfflineEmailRecognizer(supported_language="zh", tld_extractor=tld, context=ZH_CONTEXT["EMAIL_ADDRESS"]),
        PaymentCardRecognizer(supported_language="zh"),
        SecretRecognizer(supported_language="zh"),
        IbanRecognizer(supported_language="zh", context=ZH_CONTEXT["IBAN_CODE"], regex_flags=ASCII_REGEX_FLAGS),
        _ascii(IpRecognizer(supported_language="zh", context=ZH_CONTEXT["IP_ADDRESS"])),
        LacNerRecognizer(supported_language="zh"),
        CnNameCueRecognizer(supported_language="zh"),
        CnAddressRecognizer(supported_language="zh"),
        CnResidentIdRecognizer(supported_language="zh"),
        CnPhoneRecognizer(supported_language="zh"),
        CnUsccRecognizer(supported_language="zh"),
        CnPassportRecognizer(supported_language="zh"),
    ]


RECOGNIZER_FACTORIES: dict[str, Callable[[RegistryConfig], list[EntityRecognizer]]] = {
    "en": english_recognizers,
    "zh": chinese_recognizers,
}


def build_registry(config: RegistryConfig | None = None) -> RecognizerRegistry:
    """A registry holding exactly the recognizers above for `config.languages`."""
    config = config or RegistryConfig()
    unknown = set(config.languages) - RECOGNIZER_FACTORIES.keys()
    if unknown or not config.languages:
        raise PiiConfigError(f"no recognizers defined for languages {sorted(unknown) or '[]'}")
    registry = RecognizerRegistry(supported_languages=list(config.languages), global_regex_flags=ASCII_REGEX_FLAGS)
    for language in config.languages:
        for recognizer in RECOGNIZER_FACTORIES[language](config):
            registry.add_recognizer(recognizer)
    return registry


def check_languages(registry: RecognizerRegistry, languages: Collection[str]) -> None:
    """Stop startup when the engine and the registry disagree on languages."""
    registry_languages = set(registry.supported_languages)
    if registry_languages != set(languages):
        raise PiiConfigError(
            f"engine languages {sorted(languages)} != registry languages {sorted(registry_languages)}"
        )
    for language in languages:
        if not any(r.supported_language == language for r in registry.recognizers):
            raise PiiConfigError(f"registry has no recognizer for language {language!r}")
    strays = {r.supported_language for r in registry.recognizers} - registry_languages
    if strays:
        raise PiiConfigError(f"registry holds recognizers for undeclared languages {sorted(strays)}")


def _ascii(recognizer):
    # Presidio's built-ins take no flags argument; the attribute is public and read per call.
    recognizer.global_regex_flags = ASCII_REGEX_FLAGS
    return recognizer
