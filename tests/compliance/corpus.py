"""A labelled corpus for the PI scanner: cells with the PI types a reader of DOMAIN.md §5 would find.

The labels come from how each cell was built, not from the scanner. Negatives that a rule would accept
by chance (a bad-check ID that happens to pass Luhn, an order number that passes the USCC check) are
drawn again, so every label follows the rules.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from compliance.identifiers import (
    RESIDENT_PROVINCES,
    USCC_ALPHABET,
    luhn_is_valid,
    make_resident_id,
    make_uscc,
    resident_id_is_valid,
    uscc_is_valid,
)

Case = tuple[str, frozenset[str]]
TYPES = ("cn_resident_id", "cn_mobile", "bank_card", "uscc", "email")

_CHINESE = ["客户", "联系方式", "备注", "已核实", "请回电", "地址变更", "身份证号", "手机", "邮箱", "订单", "银行卡"]
_PROVINCES = sorted(RESIDENT_PROVINCES)
_NOT_PROVINCES = ["00", "10", "19", "20", "24", "38", "47", "55", "60", "72", "80", "90", "91"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _birth(rng: random.Random) -> date:
    return date(1900, 1, 1) + timedelta(days=rng.randrange((date.today() - date(1900, 1, 1)).days))


def resident_id(rng: random.Random, check: str | None = None) -> str:
    while True:
        born = _birth(rng)
        number = make_resident_id(f"{rng.choice(_PROVINCES)}{_digits(rng, 4)}{born:%Y%m%d}{_digits(rng, 3)}")
        if check is None or number[-1] == check:
            return number


def _luhn_complete(body: str) -> str:
    return next(body + c for c in "0123456789" if luhn_is_valid(body + c))


def card(rng: random.Random, length: int | None = None) -> str:
    length = length or rng.randint(16, 19)
    while True:
        prefix = rng.choice(["62", "4", "5", "3", "6"])
        number = _luhn_complete(prefix + _digits(rng, length - 1 - len(prefix)))
        if len(number) == length and not _other_18(number) and number[:2] not in ("19", "20"):
            return number


def _other_18(number: str) -> bool:
    return len(number) == 18 and (resident_id_is_valid(number) or uscc_is_valid(number))


def mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + _digits(rng, 9)


def uscc(rng: random.Random) -> str:
    while True:
        code = make_uscc("".join(rng.choice(USCC_ALPHABET) for _ in range(17)))
        if not resident_id_is_valid(code) and not (code.isdigit() and luhn_is_valid(code)):
            return code


def email(rng: random.Random) -> str:
    local = rng.choice(["zhang.san", "li_si", "wang+shop", "x", "user2024", "a.b-c", mobile(rng)])
    domain = rng.choice(["example.com", "mail.example.com.cn", "163.com", "qq.com", "sub.dept.example.org"])
    return f"{local}@{domain}"


def _fail(rng: random.Random, make: Callable[[], str], *rules: Callable[[str], bool]) -> str:
    while True:
        value = make()
        if not any(rule(value) for rule in rules):
            return value


def _luhn_card(value: str) -> bool:
    digits = value.replace(" ", "").replace("-", "")
    return digits.isdigit() and 16 <= len(digits) <= 19 and luhn_is_valid(digits)


def _any_rule(value: str) -> bool:
    return resident_id_is_valid(value) or uscc_is_valid(value) or _luhn_card(value)


def _prefixed(value: str) -> bool:
    return value.startswith(("86", "0086")) and value[-11:][:2] in {"13", "14", "15", "16", "17", "18", "19"}


def _in_text(rng: random.Random, value: str) -> str:
    before, after = rng.choice(_CHINESE), rng.choice(_CHINESE)
    return rng.choice([f"{before}{value}{after}", f"{before}：{value}，{after}", f"ID:{value}", f"{before} {value}"])


def _bad_id(rng: random.Random) -> str:
    """An 18-digit number shaped like a resident ID that breaks one rule, and passes no other rule."""
    kind = rng.choice(["check", "feb30", "month13", "future", "province", "before1900"])
    while True:
        number = resident_id(rng)
        body = number[:17]
        if kind == "check":
            wrong = rng.choice([c for c in "0123456789X" if c != number[-1]])
            candidate = body + wrong
        else:
            birth = {
                "feb30": f"{rng.randint(1950, 2000)}0230",
                "month13": f"{rng.randint(1950, 2000)}13{rng.randint(1, 28):02d}",
                "future": f"{date.today().year + rng.randint(1, 50)}0101",
                "before1900": f"18{rng.randint(0, 99):02d}0101",
            }.get(kind)
            if birth:
                body = body[:6] + birth + body[14:]
            else:
                body = rng.choice(_NOT_PROVINCES) + body[2:]
            candidate = make_resident_id(body)
        if not _any_rule(candidate):
            return candidate


def positives(rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    one = frozenset
    for _ in range(300):
        cases.append((resident_id(rng), one({"cn_resident_id"})))
        cases.append((_in_text(rng, resident_id(rng)), one({"cn_resident_id"})))
    for _ in range(60):
        number = resident_id(rng, check="X")
        cases.append((number, one({"cn_resident_id"})))
        cases.append((number[:-1] + "x", one({"cn_resident_id"})))
    # Resident IDs that also pass Luhn (1 in 10) or the USCC check (1 in 31) stay resident IDs.
    found = 0
    while found < 100:
        number = resident_id(rng)
        if luhn_is_valid(number) or uscc_is_valid(number):
            cases.append((number, one({"cn_resident_id"})))
            found += 1
    for _ in range(300):
        m = mobile(rng)
        formatted = rng.choice(
            [
                m,
                f"+86 {m}",
                f"+86{m}",
                f"+86-{m}",
                f"0086 {m}",
                f"0086-{m[:3]}-{m[3:7]}-{m[7:]}",
                f"86 {m}",
                f"86{m}",
                f"(+86){m}",
                f"(+86) {m[:3]} {m[3:7]} {m[7:]}",
                f"{m[:3]} {m[3:7]} {m[7:]}",
                f"{m[:3]}-{m[3:7]}-{m[7:]}",
                f"+86 {m[:3]}-{m[3:7]}-{m[7:]}",
            ]
        )
        cases.append((formatted, one({"cn_mobile"})))
        cases.append((_in_text(rng, formatted), one({"cn_mobile"})))
    for _ in range(300):
        number = card(rng)
        cases.append((number, one({"bank_card"})))
        grouped = rng.choice([" ", "-"]).join(number[i : i + 4] for i in range(0, len(number), 4))
        cases.append((grouped, one({"bank_card"})))
        cases.append((_in_text(rng, number), one({"bank_card"})))
    for _ in range(100):  # 18 digits that pass Luhn only: cards
        cases.append((card(rng, 18), one({"bank_card"})))
    for _ in range(300):
        code = uscc(rng)
        cases.append((code, one({"uscc"})))
        cases.append((_in_text(rng, code), one({"uscc"})))
    for _ in range(300):
        address = email(rng)
        cases.append((address, one({"email"})))
        cases.append((f"{rng.choice(_CHINESE)}{address}{rng.choice(_CHINESE)}", one({"email"})))
        cases.append((f"<{address}>.", one({"email"})))
    for _ in range(200):  # several types in one cell
        cases.append(
            (
                f"姓名张三，身份证{resident_id(rng)}，电话{mobile(rng)}，邮箱{email(rng)}。",
                one({"cn_resident_id", "cn_mobile", "email"}),
            )
        )
        cases.append((f"卡号 {card(rng)}；企业 {uscc(rng)}", one({"bank_card", "uscc"})))
    return cases


def negatives(rng: random.Random) -> list[Case]:
    none: frozenset[str] = frozenset()
    cases: list[Case] = []
    for _ in range(600):
        cases.append((_bad_id(rng), none))
    for _ in range(200):
        number = resident_id(rng)
        cases.append((number[:6] + number[8:17], none))  # 15-digit old-style numbers are not matched
        cases.append((f"订单号 {_digits(rng, rng.randint(1, 6))}{number}{_digits(rng, rng.randint(1, 4))}", none))
        cases.append((f"{_digits(rng, 3)}{number}", none))
        cases.append((f"ID{number}", none))  # glued to letters
        cases.append((f"{number}abc", none))
        cases.append((_fail(rng, lambda: f"{mobile(rng)}{_digits(rng, rng.randint(1, 5))}", _any_rule), none))
        # Digits in front of a mobile, but not the 86 / 0086 country prefix.
        glued = _fail(rng, lambda: f"{_digits(rng, rng.randint(1, 5))}{mobile(rng)}", _any_rule, _prefixed)
        cases.append((glued, none))
        cases.append((f"tel{mobile(rng)}", none))
        cases.append((f"1{rng.choice('012')}{_digits(rng, 9)}", none))  # 10-12 are no mobile prefixes
        cases.append((mobile(rng)[:10], none))
        cases.append((mobile(rng) + _digits(rng, 1), none))  # 12 digits
    for _ in range(300):
        bad = _fail(rng, lambda: card(rng)[:-1] + rng.choice("0123456789"), _any_rule)
        cases.append((bad, none))
        cases.append((_digits(rng, rng.randint(20, 30)), none))  # longer than any card
        code = uscc(rng)
        wrong = rng.choice([c for c in USCC_ALPHABET if c != code[-1]])
        cases.append((_fail(rng, lambda c=code, w=wrong: c[:-1] + w, _any_rule), none))
        cases.append((code.lower(), none))
    for _ in range(300):
        when = date(2000, 1, 1) + timedelta(days=rng.randrange(9000))
        hms = f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"
        cases.append((f"{when:%Y%m%d}{hms}", none))  # 14-digit timestamp
        cases.append((f"{when:%Y%m%d}{hms}{_digits(rng, 3)}", none))  # with milliseconds
        cases.append((f"{when:%Y-%m-%d} {hms[:2]}:{hms[2:4]}:{hms[4:]}", none))
        cases.append((str(rng.randint(1_500_000_000_000, 1_800_000_000_000)), none))  # epoch ms
        cases.append((f"{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}", none))
        cases.append((_fail(rng, lambda: "DD" + _digits(rng, 16), _any_rule), none))
        cases.append((f"{when:%Y%m%d}{_digits(rng, 12)}", none))  # 20-digit order number
    for bad in ["a..b@example.com", "name@localhost", "@example.com", "zhang@", "x@y.c", ".a@example.com"]:
        cases.append((bad, none))
    cases += [("张三", none), ("", none), ("广东省江门市蓬江区", none), ("合计 1,234,567.00 元", none)]
    return cases


def corpus(seed: int = 20240601) -> list[Case]:
    rng = random.Random(seed)
    cases = positives(rng) + negatives(rng)
    rng.shuffle(cases)
    return cases
