"""PERSON names in support messages: English and other languages' names in English
sentences (titles with the surname alone, surnames as the subject, lower case, accented
letters), and Chinese names in Chinese customer-service phrasings.

The title is not part of the span ("Dr. [Okafor]", "[王]先生"): a title identifies nobody;
the name does. Vocabularies are this module's own.
"""

from __future__ import annotations

import random

from gateway.benchmarks.pii_sets.build import assemble, fill, pick

# (given names, surnames) per language; accented letters written as their speakers write them.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Emily", "James", "Olivia", "Thomas", "Hannah", "Daniel", "Chloe", "Samuel", "Megan", "Oliver"),
           ("Thompson", "Walker", "Harrington", "Fletcher", "Whitaker", "Pemberton", "Caldwell", "Holloway")),
    "de": (("Jürgen", "Käthe", "Lukas", "Anneliese", "Jörg", "Sören", "Bärbel", "Matthias", "Hans-Peter"),
           ("Müller", "Schröder", "Lüdenscheidt", "Weißmann", "Hoffmann", "Müller-Lüdenscheidt", "Köhler", "Brandt")),
    "fr": (("Zoë", "Hélène", "François", "Benoît", "Élodie", "Gaëlle", "Jérôme", "Anaïs", "Loïc"),
           ("Lefèvre", "Dubois", "Moreau", "Girard", "Bézier", "Rousseau", "Lemaître", "Chevalier")),
    "es": (("José", "María", "Iñaki", "Begoña", "Jesús", "Ángela", "Raúl", "Lucía", "Álvaro"),
           ("Ñúñez", "García", "Muñoz", "Ibáñez", "Fernández", "Peña", "Gutiérrez", "Zúñiga")),
    "pt": (("João", "Conceição", "Gonçalo", "Inês", "Sebastião", "Luís", "Leonor"),
           ("Gonçalves", "Magalhães", "Araújo", "Conceição", "Simões", "Brandão")),
    "it": (("Niccolò", "Giulia", "Lorenzo", "Chiara", "Gianluca", "Francesca"),
           ("Rossi", "Esposito", "Bianchi", "Colombo", "De Luca", "Ferrara")),
    "pl": (("Łukasz", "Małgorzata", "Wojciech", "Agnieszka", "Paweł"),
           ("Kowalski", "Wiśniewska", "Żeleński", "Dąbrowski", "Błaszczyk")),
    "vi": (("Đặng", "Nguyễn", "Thị", "Minh", "Phương"),
           ("Đặng", "Trần", "Phạm", "Huỳnh", "Võ")),
    "nordic": (("Søren", "Åsa", "Björn", "Sigríður", "Ásgeir", "Mikael"),
               ("Sørensen", "Åkesson", "Lindqvist", "Jóhannsdóttir", "Kärkkäinen", "Nyström")),
    "nl": (("Sanne", "Joost", "Maarten", "Femke"), ("van der Berg", "de Vries", "Jansen", "Bakker", "van Dijk")),
}
_TITLES = {
    "en": ("Mr.", "Mr", "Mrs.", "Ms.", "Ms", "Dr.", "Dr", "Prof.", "Miss"),
    "de": ("Herr", "Frau", "Dr."),
    "fr": ("M.", "Mme", "Mme.", "Mlle"),
    "es": ("Sr.", "Sra.", "Srta."),
    "pt": ("Sr.", "Sra.", "Dona"),
    "it": ("Sig.", "Sig.ra", "Dott."),
}

_FULL_TEMPLATES = (
    "Hi, this is {full}, I have a problem with my last invoice.",
    "My name is {full} and my order never arrived.",
    "Please cc {full} on the reply, she handles our account.",
    "The card holder is {full}.",
    "I'm writing on behalf of my father, {full}.",
    "Could you ask {full} from your billing team to call me back?",
    "Regards,\n{full}",
)
_TITLE_TEMPLATES = (
    "{title} {surname} called me yesterday about the refund.",
    "I spoke with {title} {surname} on the phone, she promised a callback.",
    "Please forward this to {title} {surname}.",
    "Dear {title} {surname}, thank you for the quick answer.",
    "Your colleague {title} {surname} said the parcel was lost.",
    "The delivery is for {title} {surname} at reception.",
)
_SUBJECT_TEMPLATES = (
    "I talked to {full} last week. {surname} said the refund was approved.",
    "{full} handled my ticket. Yesterday {surname} wrote that it was closed.",
    "{surname} told me to wait three days, but nothing happened.",
    "{surname} promised a callback on Monday.",
    "Last time {surname} helped me with the same issue.",
)
_LOWER_TEMPLATES = (
    "hi my name is {full} and i cant log in",
    "hello, this is {full}, my package is late",
    "can you ask {given} to call me back pls",
    "the account is under {full}",
    "i spoke to {given} yesterday and she said it was fixed",
)
# Sentences with capitalised words that are no one's name.
_DECOYS = (
    "The Premium Plan renewal failed on Monday.",
    "My Samsung Galaxy keeps restarting since the update.",
    "Customer Service in Dublin never answered.",
    "I paid with Apple Pay and got charged twice.",
    "The Express Delivery option was greyed out.",
)


def _person(rng: random.Random) -> tuple[str, str, str, str]:
    """(language, given, surname, full name)."""
    language = pick(rng, sorted(_NAMES))
    given, surnames = _NAMES[language]
    first, last = pick(rng, given), pick(rng, surnames)
    if language == "vi":
        return language, first, last, f"{last} {pick(rng, ('Văn', 'Thị', 'Minh'))} {first}"
    return language, first, last, f"{first} {last}"


def generate_names_en(rng: random.Random, n: int) -> list[dict]:
    """English sentences; mix: full names 30%, title + surname 25%, surname as the subject
    20%, lower-case chat 15%, no name 10%."""
    out = []
    for _ in range(n):
        language, given, surname, full = _person(rng)
        roll = rng.random()
        if roll < 0.3:
            pieces = fill(pick(rng, _FULL_TEMPLATES), {"full": (full, "PERSON")})
        elif roll < 0.55:
            title = pick(rng, _TITLES.get(language, _TITLES["en"]))
            pieces = fill(pick(rng, _TITLE_TEMPLATES), {"title": (title, None), "surname": (surname, "PERSON")})
        elif roll < 0.75:
            pieces = fill(pick(rng, _SUBJECT_TEMPLATES), {"full": (full, "PERSON"), "surname": (surname, "PERSON")})
        elif roll < 0.9:
            pieces = fill(pick(rng, _LOWER_TEMPLATES), {"full": (full.lower(), "PERSON"), "given": (given.lower(), "PERSON")})
        else:
            pieces = [(pick(rng, _DECOYS), None)]
        out.append(assemble(pieces))
    return out


_ZH_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭",
                "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹", "袁", "邓", "许", "傅",
                "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎", "余", "潘", "杜", "戴",
                "夏", "钟", "汪", "田", "任", "姜", "范", "方", "石", "姚", "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔",
                "白", "崔", "康", "毛", "邱", "秦", "江", "史", "顾", "侯", "邵", "孟", "龙", "万", "段", "雷", "钱", "汤",
                "欧阳", "司马", "上官", "诸葛", "东方", "皇甫")
_ZH_GIVEN = ("伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
             "秀兰", "霞", "平", "刚", "桂英", "建华", "晓燕", "子涵", "浩然", "一鸣", "梓萱", "思远", "雨桐", "俊杰",
             "欣怡", "志强", "海燕", "文博", "佳琪", "天宇", "婷婷", "振国", "淑珍", "若曦", "嘉懿", "昊天", "沐宸")
_ZH_TITLES = ("先生", "女士", "小姐", "老师", "经理", "师傅", "阿姨")
_ZH_FULL_TEMPLATES = (
    "您好，我叫{name}，上周买的电视一直没有发货。",
    "你好，我是{name}，想查询一下退款进度。",
    "联系人：{name}，电话稍后发给您。",
    "收件人{name}，麻烦尽快安排配送。",
    "我的名字是{name}，会员卡绑定的手机号换了。",
    "请转告{name}，合同已经寄出了。",
    "订单是{name}下的，我是他的家人。",
    "我叫{name}，是这个账户的持有人。",
    "麻烦帮我把发票抬头改成{name}个人。",
    "姓名：{name}\n问题：账户被冻结",
)
_ZH_TITLE_TEMPLATES = (
    "上次接待我的{surname}{title}说三天内会回电话。",
    "请帮我转给{surname}{title}，他负责我们的订单。",
    "{surname}{title}您好，附件是发票的照片。",
    "昨天和{surname}{title}通过电话了，还是没有解决。",
    "你们的{surname}{title}态度很好，表扬一下。",
)
_ZH_DECOYS = ("我想咨询一下会员积分怎么兑换。", "快递一直显示运输中，请帮忙查一下。", "请问周末客服上班吗？", "老师布置的作业在你们平台提交不了。")


def generate_names_zh(rng: random.Random, n: int) -> list[dict]:
    """Chinese support messages: full names after 我叫/我是/联系人/收件人 … 65%, surname + title
    (先生, 女士, 老师 …) 25%, no name 10% (with look-alike words: 周末, 老师)."""
    out = []
    for _ in range(n):
        surname = pick(rng, _ZH_SURNAMES)
        name = surname + pick(rng, _ZH_GIVEN)
        roll = rng.random()
        if roll < 0.65:
            pieces = fill(pick(rng, _ZH_FULL_TEMPLATES), {"name": (name, "PERSON")})
        elif roll < 0.9:
            with_given = rng.random() < 0.3
            pieces = fill(pick(rng, _ZH_TITLE_TEMPLATES), {
                "surname": (name if with_given else surname, "PERSON"), "title": (pick(rng, _ZH_TITLES), None),
            })
        else:
            pieces = [(pick(rng, _ZH_DECOYS), None)]
        out.append(assemble(pieces))
    return out


SETS = {"names_en": generate_names_en, "names_zh": generate_names_zh}
