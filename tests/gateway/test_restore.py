"""Pseudonym restoration, including tokens split at every possible chunk boundary."""

from __future__ import annotations

import itertools

from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.pii.restore import StreamRestorer, restore

TOKENS = {"<PERSON_1>": "Alice Chen", "<PERSON_12>": "Bob Li", "<EMAIL_ADDRESS_1>": "a@example.com"}
ANSWER = "Dear <PERSON_1>, we wrote to <EMAIL_ADDRESS_1>; <PERSON_12> will call. 1 < 2 and <PER is not a token."
EXPECTED = "Dear Alice Chen, we wrote to a@example.com; Bob Li will call. 1 < 2 and <PER is not a token."


def stream_through(chunks: list[str], tokens: dict[str, str] = TOKENS) -> tuple[str, list[str]]:
    restorer = StreamRestorer(tokens)
    emitted = [restorer.feed(chunk) for chunk in chunks]
    emitted.append(restorer.flush())
    return "".join(emitted), emitted


def test_restore_whole_text() -> None:
    assert restore(ANSWER, TOKENS) == EXPECTED


def test_longest_token_wins() -> None:
    assert restore("<PERSON_12>", TOKENS) == "Bob Li"


def test_every_single_split_point() -> None:
    for cut in range(len(ANSWER) + 1):
        restored, _ = stream_through([ANSWER[:cut], ANSWER[cut:]])
        assert restored == EXPECTED, cut


def test_every_pair_of_split_points() -> None:
    for first, second in itertools.combinations(range(1, len(ANSWER)), 2):
        chunks = [ANSWER[:first], ANSWER[first:second], ANSWER[second:]]
        restored, emitted = stream_through(chunks)
        assert restored == EXPECTED, (first, second)
        assert not any(token in "".join(emitted) for token in TOKENS)


def test_character_by_character_never_emits_a_token_fragment_that_becomes_a_token() -> None:
    restored, emitted = stream_through(list(ANSWER))
    assert restored == EXPECTED
    # No emitted piece may be the start of a token that is later completed.
    assert "<PERSON" not in "".join(emitted[:-1]).replace("<PER is", "")


def test_holds_back_only_a_possible_token_start() -> None:
    restorer = StreamRestorer(TOKENS)
    assert restorer.feed("Hello there ") == "Hello there "
    assert restorer.feed("<PERS") == ""  # could become <PERSON_1>
    assert restorer.feed("ON_1> ok") == "Alice Chen ok"
    assert restorer.feed("x <B") == "x <B"  # no token starts with <B
    assert restorer.flush() == ""


def test_no_tokens_means_no_buffering() -> None:
    restorer = StreamRestorer({})
    assert restorer.feed("<PERSON_1") == "<PERSON_1"


def test_conversation_tokens_are_consistent() -> None:
    table = ConversationPseudonyms(conversation_key="c1")
    first = table.token_for("PERSON", "Alice Chen")
    assert first == "<PERSON_1>"
    assert table.token_for("PERSON", "Bob Li") == "<PERSON_2>"
    assert table.token_for("PERSON", "Alice Chen") == first
    assert table.token_for("EMAIL_ADDRESS", "a@example.com") == "<EMAIL_ADDRESS_1>"
    assert [token for token, _ in table.take_new()] == ["<PERSON_1>", "<PERSON_2>", "<EMAIL_ADDRESS_1>"]
    assert table.take_new() == []


def test_output_scan_holds_back_only_what_may_still_grow() -> None:
    from gateway.pii.output import _in_progress_start

    def held(text: str) -> str:
        return text[_in_progress_start(text):]

    assert held("Call me at +1 415 555 01") == "+1 415 555 01"
    assert held("Write to maria.") == "maria."
    assert held("Thank you for waiting. ") == ""
    assert held("您好，请拨打1380013") == "请拨打1380013"
    assert held("0 " * 5000 + "and done") == "done"  # bounded, whatever the text
