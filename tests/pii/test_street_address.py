import pytest

from gateway.pii.recognizers.en.street_address import StreetAddressRecognizer


def _found(text):
    return [text[r.start : r.end] for r in StreetAddressRecognizer().analyze(text, ["ADDRESS"])]


@pytest.mark.parametrize(
    "text,address",
    [
        ("I moved to 742 Evergreen Terrace, Springfield, IL 62704 last month", "742 Evergreen Terrace, Springfield, IL 62704"),
        ("ship to 1600 Pennsylvania Ave NW Apt 4 please", "1600 Pennsylvania Ave NW Apt 4"),
        ("write to PO Box 255", "PO Box 255"),
        ("Floridusgasse 89", "Floridusgasse 89"),
    ],
)
def test_addresses(text, address):
    assert address in _found(text)


def test_lowercase_words_are_not_streets():
    assert _found("3 cats run across the road") == []
    assert _found("my card 4111 1111 1111 1111") == []
