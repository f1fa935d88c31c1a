"""E-mail addresses, validated against the *bundled* public-suffix snapshot."""

from __future__ import annotations

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from gateway.pii.recognizers.base import ASCII_REGEX_FLAGS


def offline_tld_extractor() -> tldextract.TLDExtract:
    """A `TLDExtract` that never fetches the public suffix list (the snapshot ships with it).

    Presidio's `EmailRecognizer` calls the module-level `tldextract.extract`, whose default
    extractor downloads the list on first use: a gateway must not make a network call
    (or stall for its timeout) on its first e-mail.
    """
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern, with an injected offline TLD extractor and ASCII `\\w`.

    ASCII matters on Chinese text: in Unicode mode `\\w` includes Han characters, so
    `发邮件到zhangwei@example.com` would match from `发`.
    """

    def __init__(
        self,
        *,
        supported_language: str,
        tld_extractor: tldextract.TLDExtract | None = None,
        context: list[str] | None = None,
    ) -> None:
        super().__init__(supported_language=supported_language, context=context)
        self.global_regex_flags = ASCII_REGEX_FLAGS
        self._tld = tld_extractor or offline_tld_extractor()

    def validate_result(self, pattern_text: str) -> bool:
        return self._tld(pattern_text).fqdn != ""
