from gateway.pii.recognizers.en.email import OfflineEmailRecognizer


class _NoNetworkExtractor:
    """Stands in for tldextract; proves the recognizer uses the injected extractor."""

    class _Result:
        def __init__(self, fqdn):
            self.fqdn = fqdn

    def __call__(self, value):
        return self._Result("example.com" if value.endswith(".com") else "")


def test_email_glued_to_chinese_text():
    rec = OfflineEmailRecognizer(supported_language="zh", tld_extractor=_NoNetworkExtractor())
    text = "发邮件到zhangwei@example.com谢谢"
    [r] = rec.analyze(text, ["EMAIL_ADDRESS"])
    assert text[r.start : r.end] == "zhangwei@example.com"
    assert r.score == 1.0


def test_unknown_tld_fails_validation():
    rec = OfflineEmailRecognizer(supported_language="en", tld_extractor=_NoNetworkExtractor())
    assert rec.analyze("a@b.invalidtld", ["EMAIL_ADDRESS"]) == []


def test_default_extractor_is_offline():
    rec = OfflineEmailRecognizer(supported_language="en")
    assert rec._tld.suffix_list_urls == ()
