from gateway.pii.nlp.base import NlpResult, Token
from gateway.pii.recognizers.zh.address import CnAddressRecognizer


def _found(text, nlp=None):
    return [text[r.start : r.end] for r in CnAddressRecognizer().analyze(text, ["ADDRESS"], nlp)]


def test_pattern_path_trims_leading_words():
    assert _found("我现在住在北京市海淀区中关村大街27号院3号楼1201室，谢谢") == ["北京市海淀区中关村大街27号院3号楼1201室"]


def test_lac_locations_merge_with_number_tail():
    text = "寄到杭州市西湖区文三路90号2单元"
    nlp = NlpResult("zh", tokens=(Token(0, 2, "v"), Token(2, 5, "LOC"), Token(5, 8, "LOC"), Token(8, 14, "LOC")))
    assert _found(text, nlp) == ["杭州市西湖区文三路90号2单元"]


def test_a_city_alone_is_not_an_address():
    text = "我在北京工作"
    assert _found(text, NlpResult("zh", tokens=(Token(0, 2, "r"), Token(2, 4, "LOC"), Token(4, 6, "v")))) == []
