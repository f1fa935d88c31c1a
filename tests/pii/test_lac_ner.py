from gateway.pii.nlp import NerSpan, NlpResult
from gateway.pii.recognizers.zh.lac_ner import LacNerRecognizer


def test_maps_lac_labels_and_drops_lone_surnames():
    text = "张伟在北京市的腾讯公司，王说"
    nlp = NlpResult("zh", entities=(NerSpan(0, 2, "PER"), NerSpan(3, 6, "LOC"), NerSpan(7, 11, "ORG"), NerSpan(12, 13, "PER")))
    results = LacNerRecognizer(supported_language="zh").analyze(text, ["PERSON", "LOCATION", "ORGANIZATION"], nlp)
    assert sorted((r.entity_type, text[r.start : r.end]) for r in results) == [
        ("LOCATION", "北京市"),
        ("ORGANIZATION", "腾讯公司"),
        ("PERSON", "张伟"),
    ]


def test_no_nlp_result_means_no_findings():
    assert LacNerRecognizer(supported_language="zh").analyze("张伟", ["PERSON"], None) == []


def test_lac_backend_finds_names(pii_engine):
    findings = pii_engine.analyze("张三在北京市工作", language="zh")
    assert ("PERSON", "张三") in [(f.entity_type, "张三在北京市工作"[f.start : f.end]) for f in findings]


def _lac(text, *spans, **kwargs):
    results = LacNerRecognizer(supported_language="zh", **kwargs).analyze(
        text, ["PERSON", "LOCATION", "ORGANIZATION"], NlpResult("zh", entities=spans)
    )
    return sorted((r.entity_type, text[r.start : r.end], r.score) for r in results)


def test_place_opening_an_organisation_name_is_not_a_location():
    text = "北京公安部门统计"
    assert _lac(text, NerSpan(0, 2, "LOC"), NerSpan(2, 6, "ORG")) == [("ORGANIZATION", "公安部门", 0.85)]


def test_countries_are_demoted_only_on_request():
    text = "我在中国杭州市买的"
    spans = (NerSpan(2, 4, "LOC"), NerSpan(4, 7, "LOC"))
    assert _lac(text, *spans) == [("LOCATION", "中国", 0.85), ("LOCATION", "杭州市", 0.85)]
    assert _lac(text, *spans, demote_countries=True) == [
        ("LOCATION", "中国", LacNerRecognizer.COUNTRY_SCORE),
        ("LOCATION", "杭州市", 0.85),
    ]


def test_place_before_an_organisation_word_is_the_organisation():
    text = "美国军方宣布，中国队获胜"
    assert _lac(text, NerSpan(0, 2, "LOC"), NerSpan(7, 9, "LOC")) == [
        ("ORGANIZATION", "中国队", 0.7),
        ("ORGANIZATION", "美国军方", 0.7),
    ]
    # 政府 is not on the list: MSRA labels the place in "中国政府" as LOC.
    assert _lac("中国政府表示", NerSpan(0, 2, "LOC")) == [("LOCATION", "中国", 0.85)]


def test_places_in_sports_texts_are_clubs_unless_used_as_places():
    text = "本轮曼城主场迎战拉齐奥，赛前球队在斯坦福桥球场训练，来自荷兰的球迷到场"
    spans = tuple(NerSpan(text.index(w), text.index(w) + len(w), "LOC") for w in ("曼城", "拉齐奥", "斯坦福桥", "荷兰"))
    assert _lac(text, *spans) == [
        ("LOCATION", "斯坦福桥球场", 0.85),  # a ground is a place
        ("LOCATION", "荷兰", 0.85),  # "来自荷兰": the country
        ("ORGANIZATION", "拉齐奥", 0.7),
        ("ORGANIZATION", "曼城", 0.7),
    ]
    # The same names outside a sports text stay places.
    assert _lac("我下个月去曼城出差", NerSpan(5, 7, "LOC")) == [("LOCATION", "曼城", 0.85)]
    assert _lac(text, *spans, sports_clubs=False)[0][0] == "LOCATION"
