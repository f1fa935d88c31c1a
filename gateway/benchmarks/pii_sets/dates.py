"""Dates and times (never a phone) next to phone numbers of several countries.

Each message holds one or two dates or times in a common written form (ISO with or
without a time, "16/04/2000", "04-16-2000", "2000.04.16", "20000416", "12:30", date and
year ranges) and, in most messages, one phone number. Dates are *not* labelled (a
DATE_TIME label would make `govgate pii eval` ignore predictions on them), so any
PHONE_NUMBER found on a date counts as a false positive, and the phones measure recall.

Phone formats per country are written from the national numbering plans (country code,
trunk prefix, usual grouping), not from the recognizer: `gateway.pii.recognizers` is never
imported here.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from gateway.benchmarks.pii_sets.build import labelled


def _d(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _nz(rng: random.Random, n: int) -> str:
    return rng.choice("23456789") + _d(rng, n - 1)


# country -> list of phone writers (national and international forms)
PHONES: dict[str, list[Callable[[random.Random], str]]] = {
    "us": [
        lambda r: f"({_nz(r, 3)}) {_nz(r, 3)}-{_d(r, 4)}",
        lambda r: f"+1 {_nz(r, 3)}-{_nz(r, 3)}-{_d(r, 4)}",
        lambda r: f"{_nz(r, 3)}.{_nz(r, 3)}.{_d(r, 4)}",
        lambda r: f"{_nz(r, 3)}-{_nz(r, 3)}-{_d(r, 4)} x{_d(r, 3)}",
    ],
    "uk": [lambda r: f"+44 20 {_nz(r, 4)} {_d(r, 4)}", lambda r: f"020 {_nz(r, 4)} {_d(r, 4)}",
           lambda r: f"07{_d(r, 3)} {_d(r, 6)}"],
    "de": [lambda r: f"+49 30 {_nz(r, 8)}", lambda r: f"030 {_nz(r, 7)}", lambda r: f"+49 151 {_d(r, 8)}"],
    "fr": [lambda r: "+33 " + " ".join([r.choice("1234567")] + [_d(r, 2) for _ in range(4)]),
           lambda r: "0" + r.choice("1234567") + " " + " ".join(_d(r, 2) for _ in range(4))],
    "cn": [lambda r: f"+86 1{r.choice('3456789')}{_d(r, 1)} {_d(r, 4)} {_d(r, 4)}",
           lambda r: f"1{r.choice('3456789')}{_d(r, 9)}", lambda r: f"010-{_nz(r, 8)}"],
    "jp": [lambda r: f"+81 3-{_d(r, 4)}-{_d(r, 4)}", lambda r: f"03-{_d(r, 4)}-{_d(r, 4)}",
           lambda r: f"090-{_d(r, 4)}-{_d(r, 4)}"],
    "in": [lambda r: f"+91 9{_d(r, 4)} {_d(r, 5)}", lambda r: f"0{_nz(r, 2)} {_nz(r, 4)} {_d(r, 4)}"],
    "br": [lambda r: f"+55 11 9{_d(r, 4)}-{_d(r, 4)}", lambda r: f"(11) 9{_d(r, 4)}-{_d(r, 4)}"],
    "au": [lambda r: f"+61 2 {_nz(r, 4)} {_d(r, 4)}", lambda r: f"04{_d(r, 2)} {_d(r, 3)} {_d(r, 3)}"],
}


def date_text(rng: random.Random) -> str:
    y, m, d = rng.randint(1950, 2030), rng.randint(1, 12), rng.randint(1, 28)
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    forms = [
        f"{y}-{m:02d}-{d:02d}",
        f"{y}-{m:02d}-{d:02d} {hh:02d}",
        f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}",
        f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        f"{y}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}Z",
        f"{d:02d}/{m:02d}/{y}",
        f"{m:02d}/{d:02d}/{y}",
        f"{m:02d}-{d:02d}-{y}",
        f"{d:02d}.{m:02d}.{y}",
        f"{d}.{m}.{y} {hh}:{mm:02d}",
        f"{y}.{m:02d}.{d:02d}",
        f"{y}/{m}/{d}",
        f"{y}{m:02d}{d:02d}",
        f"{y}{m:02d}{d:02d}{hh:02d}{mm:02d}",
        f"{hh:02d}:{mm:02d}",
        f"{hh}:{mm:02d} {'am' if hh < 12 else 'pm'}",
        f"{hh:02d}:{mm:02d}:{ss:02d}",
        f"{hh:02d}:{mm:02d}-{(hh + 2) % 24:02d}:{mm:02d}",
        f"{y}-{m:02d}-{d:02d} - {y}-{m:02d}-{min(d + 3, 28):02d}",
        f"{y}-{y + rng.randint(1, 5)}",
        f"{d:02d}/{m:02d}/{y} {hh:02d}:{mm:02d}",
    ]
    return rng.choice(forms)


EN_TEMPLATES = [
    "My parcel was due on {date} but nothing came. Please call me at {phone}.",
    "Booking made {date}, flight on {date2}. Contact number: {phone}",
    "The outage started at {date} and ended {date2}; reach me on {phone} if needed.",
    "I was a member {date} and want my records. Phone {phone}.",
    "Delivered {date}? I was home all day. My mobile is {phone}",
    "Appointment moved to {date}. Thanks!",
    "Log entry {date} shows the payment failed, retried {date2}.",
]
ZH_TEMPLATES = [
    "我在{date}下的单，到现在还没发货，电话{phone}。",
    "预约时间改到{date}，有问题请拨打{phone}。",
    "系统记录显示{date}扣款失败，{date2}又试了一次。",
    "快递说{date}送达，但我没收到，联系方式：{phone}",
]


def date_phone_messages(rng: random.Random, n: int) -> list[dict]:
    """`n` messages with dates (never labelled) and, where the template has one, a phone."""
    samples = []
    countries = sorted(PHONES)
    for i in range(n):
        template = rng.choice(ZH_TEMPLATES if rng.random() < 0.25 else EN_TEMPLATES)
        country = countries[i % len(countries)]
        values = {"date": date_text(rng), "date2": date_text(rng), "phone": rng.choice(PHONES[country])(rng)}
        samples.append(labelled(template, values, {"phone": "PHONE_NUMBER"}))
    return samples


SETS: dict[str, Callable[[random.Random, int], list[dict]]] = {"dates_phones": date_phone_messages}
