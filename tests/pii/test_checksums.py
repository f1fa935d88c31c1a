from gateway.pii.recognizers.checksums import (
    luhn_check_digit,
    luhn_valid,
    resident_id_check_code,
    resident_id_valid,
    uscc_check_char,
    uscc_valid,
)


def test_luhn_known_values():
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert luhn_check_digit("411111111111111") == "1"
    assert not luhn_valid("abc")


def test_resident_id_check_code_gb11643():
    # Example from GB 11643-1999.
    assert resident_id_check_code("11010519491231002") == "X"
    assert resident_id_valid("11010519491231002X")
    assert resident_id_valid("11010519491231002x")
    assert not resident_id_valid("110105194912310021")


def test_uscc_checksum_gb32100():
    assert uscc_valid("91350100M000100Y43")
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert not uscc_valid("91350100M000100Y44")
    assert not uscc_valid("91350100M000100I43")  # I is not in the alphabet
