"""Tests for the identifier validators, check characters and masks."""

import pytest

from compliance.identifiers import (
    USCC_ALPHABET,
    luhn_is_valid,
    make_resident_id,
    make_uscc,
    mask,
    mobile_is_valid,
    normalise_mobile,
    resident_id_check_char,
    resident_id_is_valid,
    uscc_check_char,
    uscc_is_valid,
)


def test_uscc_check_char_worked_by_hand():
    # 9 1 3 5 0 1 0 0 M(21) 0 0 0 1 0 0 Y(30) 4 against the weights gives 1640; 1640 % 31 = 28; 31 - 28 = 3.
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        make_uscc("91440300MA5DC0XX1"),
        make_uscc("11100000000013127"),
        make_uscc("52440000MJL1234XY"),
    ],
)
def test_uscc_valid(code):
    assert uscc_is_valid(code)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y430",  # 19 characters
        "91350100m000100Y43",  # lower case is not in the alphabet
        "91350100I000100Y43",  # I is excluded from the alphabet
        "91350100O000100Y43",  # so is O
        "",
    ],
)
def test_uscc_invalid(code):
    assert not uscc_is_valid(code)


def test_every_single_character_change_breaks_a_uscc():
    code = "91350100M000100Y43"
    for position in range(18):
        for replacement in USCC_ALPHABET:
            if replacement != code[position]:
                changed = code[:position] + replacement + code[position + 1 :]
                assert not uscc_is_valid(changed), changed


@pytest.mark.parametrize("body", ["9135010", "91350100M000100YI", "91350100M000100Y43"])
def test_uscc_check_char_refuses_a_bad_body(body):
    with pytest.raises(ValueError):
        uscc_check_char(body)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the worked example of GB 11643-1999
        "11010519491231002x",  # lower-case x is accepted
        make_resident_id("44070319900101123"),
        make_resident_id("65010120000229001"),  # 29 February in a leap year
        make_resident_id("81000019000101001"),  # earliest accepted birth date
    ],
)
def test_resident_id_valid(number):
    assert resident_id_is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character (X expected)
        make_resident_id("11010519900230001"),  # 30 February
        make_resident_id("11010519900229001"),  # 29 February in a common year
        make_resident_id("11010519901301001"),  # month 13
        make_resident_id("44052418800101001"),  # born before 1900
        make_resident_id("11010529990101001"),  # born in the future
        make_resident_id("01010519900101001"),  # region cannot start with 0
        make_resident_id("91010519900101001"),  # nor with 9
        make_resident_id("19010519900101001"),  # 19 is no province
        make_resident_id("72010519900101001"),  # nor is 72
        "11010519491231002",  # 17 characters
        "11010519491231002XX",
        "1101051949123100AX",
        "",
    ],
)
def test_resident_id_invalid(number):
    assert not resident_id_is_valid(number)


def test_resident_id_check_char_is_x_for_ten():
    assert resident_id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("79927398713", True),  # the textbook example
        ("79927398710", False),
        ("4111111111111111", True),
        ("4111111111111112", False),
        ("6222021234567890128", True),
        ("0", False),  # too short to carry a check digit
        ("", False),
        ("4111 1111 1111 1111", False),  # only bare digits
        ("411111111111111a", False),
        ("４１１１１１１１１１１１１１１１", False),  # full-width digits
    ],
)
def test_luhn(digits, valid):
    assert luhn_is_valid(digits) is valid


@pytest.mark.parametrize(
    ("number", "normalised"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("0086-138-1234-5678", "13812345678"),
        (" 199-0000-1111 ", "19900001111"),
        ("12812345678", None),  # second digit must be 3-9
        ("1381234567", None),  # ten digits
        ("138123456789", None),  # twelve digits
        ("+1 138 1234 5678", None),
        ("86 13812345678", "13812345678"),  # a bare 86 is a country prefix too
        ("8613812345678", "13812345678"),
        ("(+86)138-1234-5678", "13812345678"),
        ("+87 13812345678", None),
        ("", None),
    ],
)
def test_mobile(number, normalised):
    assert normalise_mobile(number) == normalised
    assert mobile_is_valid(number) is (normalised is not None)


@pytest.mark.parametrize(
    ("value", "type_", "masked"),
    [
        ("11010519491231002X", "cn_resident_id", "110***********002X"),
        ("13812345678", "cn_mobile", "138****5678"),
        ("+86 138-1234-5678", "cn_mobile", "138****5678"),
        ("6222021234567890128", "bank_card", "622202*********0128"),
        ("4111 1111 1111 1111", "bank_card", "411111******1111"),
        ("91350100M000100Y43", "uscc", "9135**********0Y43"),
        ("zhang.san@example.com", "email", "z***@example.com"),
        ("1234", "cn_resident_id", "****"),  # too short to keep any end
    ],
)
def test_mask(value, type_, masked):
    assert mask(value, type_) == masked


def test_mask_refuses_an_unknown_type():
    with pytest.raises(ValueError, match="unknown PI type"):
        mask("secret", "passport")


def _luhn_by_the_book(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_check_characters_equal_the_weighted_sums():
    # The validators compute the weighted sums with int() in another base and a precomputed calendar;
    # they must agree with the standards' sums and with a real calendar on every input.
    import random
    from datetime import date

    rng = random.Random(3)
    weights_11643 = [2 ** (17 - i) % 11 for i in range(17)]
    weights_32100 = [3**i % 31 for i in range(17)]
    for _ in range(20_000):
        body = f"{rng.choice(['11', '44', '65', '82'])}{rng.randint(0, 9999):04d}{rng.randint(1890, 2030)}" \
               f"{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}{rng.randint(0, 999):03d}"
        check = rng.choice("0123456789Xx")
        try:
            born = date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
            real = date(1900, 1, 1) <= born <= date.today()
        except ValueError:
            real = False
        by_the_book = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights_11643)) % 11] == check.upper()
        assert resident_id_is_valid(body + check) is (real and by_the_book), body + check
        code = "".join(rng.choice(USCC_ALPHABET) for _ in range(17))
        total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code, weights_32100))
        assert uscc_check_char(code) == USCC_ALPHABET[(31 - total % 31) % 31]
        for last in rng.sample(USCC_ALPHABET, 3):
            assert uscc_is_valid(code + last) is (last == uscc_check_char(code))
        digits = str(rng.randrange(10 ** rng.randint(1, 25)))
        assert luhn_is_valid(digits) is (len(digits) >= 2 and _luhn_by_the_book(digits)), digits
    long_digits = "4" + "0" * 5000 + "4"  # past int()'s digit limit, summed digit by digit
    assert luhn_is_valid(long_digits) is _luhn_by_the_book(long_digits)
