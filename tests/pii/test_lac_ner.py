from gateway.pii.nlp.base import NerSpan, NlpResult
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


def _tok(text, *words):
    """NlpResult from (word, tag) pairs covering `text` in order; LOC/ORG/PER words become entities."""
    from gateway.pii.nlp.base import Token

    tokens, pos = [], 0
    for word, tag in words:
        start = text.index(word, pos)
        tokens.append(Token(start, start + len(word), tag))
        pos = start + len(word)
    entities = tuple(NerSpan(t.start, t.end, t.tag) for t in tokens if t.tag in ("PER", "LOC", "ORG"))
    return NlpResult("zh", entities, tuple(tokens))


def _lac_tok(text, *words, entities=("PERSON", "LOCATION", "ORGANIZATION")):
    results = LacNerRecognizer(supported_language="zh").analyze(text, list(entities), _tok(text, *words))
    return sorted((r.entity_type, text[r.start : r.end]) for r in results)


def test_loc_word_ending_with_an_organisation_word_is_the_organisation():
    assert _lac_tok("致电湖南信托", ("致电", "v"), ("湖南信托", "LOC")) == [("ORGANIZATION", "湖南信托")]
    # An address ending with an office keeps its places: "…县公安局" stays LOC.
    assert _lac_tok("永顺县公安局", ("永顺县公安局", "LOC")) == [("LOCATION", "永顺县公安局")]


def test_place_plus_name_words_ending_with_an_organisation_word():
    text = "日本松山海上保安部正在调查"
    words = (("日本", "LOC"), ("松山", "LOC"), ("海上", "s"), ("保安部", "n"), ("正在", "d"), ("调查", "v"))
    assert _lac_tok(text, *words) == [("ORGANIZATION", "日本松山海上保安部"), ("ORGANIZATION", "松山海上保安部")]
    # Generic descriptions and stationed forces stay places.
    assert _lac_tok("北京市有关部门", ("北京市", "LOC"), ("有关部门", "n")) == [("LOCATION", "北京市")]
    assert _lac_tok("驻香港部队", ("驻", "v"), ("香港", "LOC"), ("部队", "n")) == [("LOCATION", "香港")]


def test_place_right_after_an_organisation_is_a_branch():
    assert _lac_tok("汇丰中国表示", ("汇丰", "ORG"), ("中国", "LOC"), ("表示", "v")) == [
        ("ORGANIZATION", "汇丰"),
        ("ORGANIZATION", "汇丰中国"),
    ]
    text = "渣打银行（香港）有限公司"
    words = (("渣打银行", "ORG"), ("（", "w"), ("香港", "LOC"), ("）", "w"), ("有限公司", "n"))
    assert ("LOCATION", "香港") not in _lac_tok(text, *words)
    # A dateline is not a branch.
    text = "新华社北京3月1日电"
    assert ("LOCATION", "北京") in _lac_tok(text, ("新华社", "ORG"), ("北京", "LOC"), ("3月1日", "TIME"), ("电", "n"))
    assert ("LOCATION", "北京") in _lac_tok("新浪科技讯北京时间", ("新浪科技讯", "ORG"), ("北京", "LOC"), ("时间", "n"))


def test_venue_tagged_org_is_a_place_before_a_locative_word():
    text = "在乐成中心下面"
    words = (("在", "p"), ("乐成中心", "ORG"), ("下面", "f"))
    assert _lac_tok(text, *words) == [("LOCATION", "乐成中心")]
    assert _lac_tok(text, *words, entities=("LOCATION",)) == [("LOCATION", "乐成中心")]
    assert _lac_tok("乐成中心的生活", ("乐成中心", "ORG"), ("的", "u"), ("生活", "n")) == [("ORGANIZATION", "乐成中心")]


def test_industry_places_before_a_noun_are_not_locations():
    assert _lac_tok("好莱坞大片", ("好莱坞", "LOC"), ("大片", "n")) == []
    assert _lac_tok("他在好莱坞工作", ("他", "r"), ("在", "p"), ("好莱坞", "LOC"), ("工作", "v")) == [
        ("LOCATION", "好莱坞")
    ]


def test_country_plus_division_word_is_not_a_location():
    assert _lac_tok("代理中国区运营", ("代理", "v"), ("中国", "LOC"), ("区", "n"), ("运营", "v")) == []
    assert _lac_tok("杭州区", ("杭州", "LOC"), ("区", "n")) == [("LOCATION", "杭州")]


def test_more_sports_cues_and_fixtures():
    from gateway.pii.recognizers.zh.lac_ner import is_sports_text

    assert is_sports_text("桑德兰vs博尔顿")
    assert is_sports_text("本轮面对法兰克必须取胜，前锋状态不错")
    assert not is_sports_text("我下个月去曼城出差")
