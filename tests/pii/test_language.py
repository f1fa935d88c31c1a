from gateway.pii.language import LanguageChooser


def test_share_of_cjk_letters():
    chooser = LanguageChooser()
    assert chooser.choose("Please call me back") == "en"
    assert chooser.choose("请给我回电话") == "zh"
    assert chooser.choose("邮箱zhangwei@example.com，卡号4111111111111111") == "zh"
    assert chooser.choose("Please call 张伟 back tomorrow morning") == "en"


def test_no_letters_is_english():
    chooser = LanguageChooser()
    assert chooser.choose("1234567890") == "en"
    assert chooser.choose("😀😀😀") == "en"
    assert chooser.choose("") == "en"


def test_cjk_runs():
    text = "Call 张伟 or 李娜娜 today"
    assert [text[r.start : r.end] for r in LanguageChooser.cjk_runs(text)] == ["张伟", "李娜娜"]
