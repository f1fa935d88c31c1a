"""Payment card numbers of every major scheme in English and Chinese support messages.

Positives: a number of a random scheme (issuer prefix and length drawn from the scheme's
published ranges, check digit by Luhn), written compact, in the scheme's usual grouping
with spaces, or with dashes, in an English or Chinese message, with or without a context
word. UnionPay numbers without a valid Luhn digit (some domestic ranges carry none) come
with a context word, as a customer writes them ("卡号…").

Negatives in the same messages (not labelled): Luhn-invalid numbers of Luhn schemes
(a mistyped or made-up number), order and tracking numbers, amounts, dates, phone numbers.

The scheme table and Luhn are this module's own, written from the schemes' published
ranges, not imported from the recognizer (`gateway.pii.recognizers` is never imported here).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from gateway.benchmarks.pii_sets.build import labelled

# scheme -> (prefix ranges (inclusive, as strings of equal length), lengths, usual grouping by length)
SCHEMES: dict[str, tuple[list[tuple[str, str]], list[int]]] = {
    "visa": ([("4", "4")], [13, 16, 16, 16, 19]),
    "mastercard": ([("51", "55"), ("2221", "2720")], [16]),
    "amex": ([("34", "34"), ("37", "37")], [15]),
    "discover": ([("6011", "6011"), ("644", "649"), ("65", "65")], [16, 16, 19]),
    "jcb": ([("3528", "3589")], [16, 16, 19]),
    "diners": ([("300", "305"), ("36", "36"), ("38", "39")], [14, 14, 16]),
    "unionpay": ([("62", "62")], [16, 19, 19]),
    "maestro": ([("50", "50"), ("56", "59"), ("60", "61"), ("63", "64"), ("66", "69")], [12, 13, 16, 18, 19]),
}

EN_CONTEXT = ["card", "credit card", "debit card", "Visa", "card number", "Mastercard", "Amex"]
ZH_CONTEXT = ["卡号", "银行卡", "信用卡", "银行卡号", "借记卡"]

EN_WITH_CONTEXT = [
    "Hi, my {ctx} is {card} and it was charged twice for order {order}.",
    "Please refund to the {ctx} {card}, the amount was {amount}.",
    "{ctx}: {card}\nExpiry: 04/27\nThanks",
    "I want to update my {ctx} to {card} before {date}.",
    "The {ctx} ending in the number {card} got declined at checkout.",
]
EN_NO_CONTEXT = [
    "Please charge {card} for the renewal.",
    "use {card} exp 09/28 for invoice {order}",
    "Hello, I paid with {card} on {date} but nothing arrived (tracking {tracking}).",
]
ZH_WITH_CONTEXT = [
    "你好，我的{ctx}是{card}，昨天被扣了两次款，订单号{order}。",
    "{ctx}{card}谢谢",
    "请把{amount}退到{ctx}：{card}，麻烦了。",
    "我绑定的{ctx} {card} 一直支付失败。",
]
ZH_NO_CONTEXT = [
    "请用{card}付款，订单{order}。",
    "我在{date}用{card}付的钱，物流单号{tracking}。",
]
NEGATIVE_TEMPLATES = [
    "Your order {order} ships on {date}; reference {bad}.",
    "Ticket {bad} was closed. Call us at {phone} if you need anything.",
    "参考编号{bad}，订单号{order}，金额{amount}。",
    "Invoice {bad} total {amount}, tracking {tracking}.",
]


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def card_number(rng: random.Random, scheme: str, *, luhn: bool = True) -> str:
    ranges, lengths = SCHEMES[scheme]
    lo, hi = rng.choice(ranges)
    prefix = str(rng.randint(int(lo), int(hi))).zfill(len(lo))
    length = rng.choice(lengths)
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    check = luhn_digit(body)
    if not luhn:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    return body + check


def grouped(number: str, sep: str) -> str:
    n = len(number)
    sizes = {15: [4, 6, 5], 14: [4, 6, 4], 13: [4, 4, 5], 12: [4, 4, 4]}.get(n)
    if sizes is None:
        sizes = [4] * (n // 4) + ([n % 4] if n % 4 else [])
    out, pos = [], 0
    for size in sizes:
        out.append(number[pos : pos + size])
        pos += size
    return sep.join(out)


def written(rng: random.Random, number: str) -> str:
    style = rng.random()
    if style < 0.4:
        return number
    return grouped(number, " " if style < 0.8 else "-")


def _fillers(rng: random.Random) -> dict[str, str]:
    return {
        "order": f"{rng.randint(100000, 999999)}",
        "amount": rng.choice([f"${rng.randint(5, 999)}.{rng.randint(0, 99):02d}", f"{rng.randint(5, 999)}元"]),
        "date": rng.choice([f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                            f"{rng.randint(1, 28)}/0{rng.randint(1, 9)}/2023"]),
        "tracking": rng.choice(["1Z999AA10123456784", f"SF{rng.randint(10**11, 10**12 - 1)}",
                                f"9400{rng.randint(10**17, 10**18 - 1)}"]),
        "phone": f"+1 415 555 {rng.randint(1000, 9999)}",
    }


def card_messages(rng: random.Random, n: int) -> list[dict]:
    """`n` messages; about 80% hold a card (every scheme, both languages), the rest only
    look-alike numbers (Luhn-invalid cards, order and tracking numbers)."""
    samples = []
    schemes = sorted(SCHEMES)
    for i in range(n):
        values = _fillers(rng)
        if i % 5 == 4:
            scheme = rng.choice([s for s in schemes if s != "unionpay"])
            values["bad"] = written(rng, card_number(rng, scheme, luhn=False))
            samples.append(labelled(rng.choice(NEGATIVE_TEMPLATES), values, {}))
            continue
        scheme = schemes[i % len(schemes)]
        # One UnionPay number in three without a Luhn digit; those come with a context word.
        luhn = scheme != "unionpay" or rng.random() < 0.67
        values["card"] = written(rng, card_number(rng, scheme, luhn=luhn))
        zh = rng.random() < (0.6 if scheme == "unionpay" else 0.3)
        context = not luhn or rng.random() < 0.6
        if zh:
            template = rng.choice(ZH_WITH_CONTEXT if context else ZH_NO_CONTEXT)
            values["ctx"] = rng.choice(ZH_CONTEXT)
        else:
            template = rng.choice(EN_WITH_CONTEXT if context else EN_NO_CONTEXT)
            values["ctx"] = rng.choice(EN_CONTEXT)
        samples.append(labelled(template, values, {"card": "CREDIT_CARD"}))
    return samples


SETS: dict[str, Callable[[random.Random, int], list[dict]]] = {"cards": card_messages}
