"""Resident ID numbers (GB 11643): form, birth date and the ISO 7064 mod 11-2 check character."""

import pytest

from services.accounts.identity import id_check_character, normalize_id_number
from services.core.errors import DomainError, ErrorCode


def test_published_examples_have_the_right_check_character():
    assert id_check_character("11010519491231002") == "X"
    assert id_check_character("44052418800101001") == "4"


def test_normalises_case_and_spaces():
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "11010519491231002",  # 17 characters
        "110105194912310021X",  # 19
        "1101051949123100XX",  # X not last
        "11010519491231002Y",
        "110105194913310026",  # month 13
        "110105189912310026",  # before 1900
        "110105209912310026",  # born in the future
        "110105194912310021",  # wrong check digit (X expected)
    ],
)
def test_rejects(raw):
    with pytest.raises(DomainError) as caught:
        normalize_id_number(raw)
    assert caught.value.code is ErrorCode.INVALID_ID_NUMBER and caught.value.field == "idNumber"


def test_every_wrong_last_character_is_caught():
    first17 = "11010119900307123"
    right = id_check_character(first17)
    for last in "0123456789X":
        if last != right:
            with pytest.raises(DomainError):
                normalize_id_number(first17 + last)
    assert normalize_id_number(first17 + right) == first17 + right
