import pytest

from gateway.pii.engine import PiiEngine
from gateway.pii.errors import PiiConfigError
from gateway.pii.nlp.base import BlankNlpBackend
from gateway.pii.recognizers.en.email import OfflineEmailRecognizer
from gateway.pii.registry import RegistryConfig, build_registry, check_languages

CONFIG = RegistryConfig(given_names=frozenset())


def test_registry_serves_both_languages_with_the_agreed_entities():
    registry = build_registry(CONFIG)
    assert set(registry.supported_languages) == {"en", "zh"}
    en = {e for r in registry.recognizers if r.supported_language == "en" for e in r.supported_entities}
    zh = {e for r in registry.recognizers if r.supported_language == "zh" for e in r.supported_entities}
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS", "PERSON", "ADDRESS"} <= en
    assert {"CN_RESIDENT_ID", "PHONE_NUMBER", "CREDIT_CARD", "CN_USCC", "CN_PASSPORT", "ADDRESS", "PERSON", "EMAIL_ADDRESS", "IBAN_CODE", "IP_ADDRESS"} <= zh
    assert "DATE_TIME" not in en | zh and "URL" not in en | zh
    assert "SECRET" in en and "SECRET" in zh


def test_one_card_recognizer_class_for_both_languages():
    registry = build_registry(CONFIG)
    card = {type(r).__name__ for r in registry.recognizers if "CREDIT_CARD" in r.supported_entities}
    assert card == {"PaymentCardRecognizer"}


def test_engine_and_registry_must_agree_on_languages():
    registry = build_registry(RegistryConfig(languages=("en",), given_names=frozenset()))
    with pytest.raises(PiiConfigError):
        PiiEngine(registry, {"en": BlankNlpBackend("en"), "zh": BlankNlpBackend("zh")})
    with pytest.raises(PiiConfigError):
        check_languages(build_registry(CONFIG), ["en"])


def test_unknown_language_fails_at_build():
    with pytest.raises(PiiConfigError):
        build_registry(RegistryConfig(languages=("fr",)))


def test_backend_language_must_match_its_slot():
    with pytest.raises(PiiConfigError):
        PiiEngine(build_registry(CONFIG), {"en": BlankNlpBackend("zh"), "zh": BlankNlpBackend("zh")})


def test_every_email_recognizer_is_offline():
    # tldextract's module-level extractor may fetch the public suffix list: no recognizer may use it.
    emails = [r for r in build_registry(CONFIG).recognizers if "EMAIL_ADDRESS" in r.supported_entities]
    assert {r.supported_language for r in emails} == {"en", "zh"}
    assert all(isinstance(r, OfflineEmailRecognizer) and r._tld.suffix_list_urls == () for r in emails)
