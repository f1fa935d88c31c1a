"""Synthetic customer-service messages with known PII spans (valid checksums).

Used by the tests, the Chinese recall check and the latency benchmark. Deterministic for
a given `random.Random`, so a failing case can be replayed. Values are random and fake:
region codes and bank BINs are real prefixes, the rest is noise with a correct check digit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gateway.pii.recognizers.checksums import luhn_check_digit, resident_id_check_code

_REGIONS = ("110101", "310104", "440305", "330106", "510107", "420111", "320102", "500103")
_MOBILE_PREFIXES = ("130", "135", "138", "139", "150", "158", "177", "186", "189", "199")
_BANK_BINS = ("622202", "621700", "622848", "622588", "621483", "623668", "625907")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞")
_ADDRESSES = (
    "北京市海淀区中关村大街27号",
    "上海市浦东新区世纪大道100号",
    "广州市天河区体育西路103号",
    "杭州市西湖区文三路90号",
    "成都市武侯区人民南路四段11号",
    "深圳市南山区科技园南路18号",
)
_FILLERS = (
    "上个月在贵公司网点办理了业务，",
    "最近发现账户被重复扣款两次，金额分别是1200元和980元，",
    "请尽快帮我核实处理，",
    "之前已经打过两次客服电话但一直没有结果，",
    "麻烦帮我查一下订单的物流信息，",
    "另外我想修改一下预留的联系方式，",
    "如果需要补充材料请告诉我，",
)


@dataclass(frozen=True)
class LabelledSpan:
    entity_type: str
    start: int
    end: int


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    spans: tuple[LabelledSpan, ...]


def resident_id(rng: random.Random) -> str:
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = rng.choice(_REGIONS) + birth + f"{rng.randint(0, 999):03d}"
    return body + resident_id_check_code(body)


def mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def bank_card(rng: random.Random) -> str:
    length = rng.choice((16, 19))
    body = rng.choice(_BANK_BINS) + "".join(str(rng.randint(0, 9)) for _ in range(length - 7))
    return body + luhn_check_digit(body)


def zh_message(rng: random.Random, *, target_length: int = 300) -> LabelledMessage:
    """A Chinese support message with a name, ID card, mobile and bank card number.

    Values are sometimes glued to the Chinese text around them ("卡号6222…谢谢"), sometimes
    separated by a colon or a space, as real messages are.
    """
    parts: list[tuple[str, str | None]] = []
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    parts += [("您好，我是", None), (name, "PERSON"), ("，", None), (rng.choice(_FILLERS), None)]
    for label, entity, value in (
        ("身份证号", "CN_RESIDENT_ID", resident_id(rng)),
        ("手机号", "PHONE_NUMBER", mobile(rng)),
        ("银行卡号", "CREDIT_CARD", bank_card(rng)),
    ):
        parts += [(label + rng.choice(("是", "：", "", " ")), None), (value, entity), (rng.choice(("，", "。", "")), None)]
    parts += [("我的地址是", None), (rng.choice(_ADDRESSES), "ADDRESS"), ("。", None)]
    _pad(parts, rng, _FILLERS, target_length - 20)
    parts.append(("谢谢！", None))
    return _assemble(parts)


_EN_NAMES = ("Jennifer Lawson", "Michael Chen", "Priya Raman", "Carlos Mendoza", "Emily Clarke", "David Okafor")
_EN_STREETS = ("742 Evergreen Terrace, Springfield, IL 62704", "1600 Pennsylvania Ave NW", "221 Baker Street")
_EN_FILLERS = (
    "I was charged twice for the same order last week and nobody has answered my emails. ",
    "Could you please check what happened and refund the duplicate payment? ",
    "The delivery was also two days late, which is not what I paid for. ",
    "I have been a customer for years and this is the first time I have had to complain. ",
)


def en_message(rng: random.Random, *, target_length: int = 300) -> LabelledMessage:
    """An English support message with a name, card, phone, e-mail and address."""
    name = rng.choice(_EN_NAMES)
    card = "4" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    card += luhn_check_digit(card)
    phone = f"({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}"
    email = name.lower().replace(" ", ".") + "@example.com"
    parts: list[tuple[str, str | None]] = [
        ("Hi, this is ", None), (name, "PERSON"), (". ", None), (rng.choice(_EN_FILLERS), None),
        ("My card ", None), (card, "CREDIT_CARD"), (" was used. I live at ", None),
        (rng.choice(_EN_STREETS), "ADDRESS"), (". Call me on ", None), (phone, "PHONE_NUMBER"),
        (" or write to ", None), (email, "EMAIL_ADDRESS"), (". ", None),
    ]
    _pad(parts, rng, _EN_FILLERS, target_length - 10)
    parts.append(("Thanks.", None))
    return _assemble(parts)


def _pad(parts: list[tuple[str, str | None]], rng: random.Random, fillers: tuple[str, ...], length: int) -> None:
    """Append unlabelled filler sentences until the message is about `length` characters."""
    text_len = sum(len(p) for p, _ in parts)
    while text_len < length:
        filler = rng.choice(fillers)
        parts.append((filler, None))
        text_len += len(filler)


def _assemble(parts: list[tuple[str, str | None]]) -> LabelledMessage:
    text, spans, pos = [], [], 0
    for piece, entity in parts:
        if entity is not None:
            spans.append(LabelledSpan(entity, pos, pos + len(piece)))
        text.append(piece)
        pos += len(piece)
    return LabelledMessage("".join(text), tuple(spans))
