"""Postal addresses written over several lines inside e-mails and letters (ADDRESS), and
multi-line look-alikes with nothing to find (order summaries, item lists with quantities,
tracking tables).

Blocks use the ten country formats of `addresses.COUNTRIES` (DE, FR, ES, IT, PT/BR, NL,
Nordic, UK, MX, US), laid out the ways customers paste them: an e-mail signature, a letter
head, a "Ship to:" block, a quoted reply (`> ` prefixes) and an indented block; the unit
goes on its own line when the country writes one, the country line is optional.

Labels follow how GovGate reports a block (docs/pii.md, "Multi-line addresses"): the street
line, the unit line and the postal line (postcode with its city and state) are ADDRESS
spans, the country line a LOCATION, the name in a signature a PERSON.
"""

from __future__ import annotations

import random

from gateway.benchmarks.pii_sets.addresses import COUNTRIES
from gateway.benchmarks.pii_sets.build import Piece, assemble, pick

_NAMES = ("Anna Schmidt", "Lucas Martin", "Giulia Rossi", "João Pereira", "Sanne de Vries", "Mikael Lindqvist",
          "Oliver Hughes", "María López", "Emily Carter", "Hannah Becker", "Pierre Dubois", "Ingrid Hansen")
_UNITS = ("Apt 4B", "Suite 210", "Unit 12", "Flat 3", "PO Box 4411", "Floor 2", "Apt. 17")
_INTROS = (
    "Hi team,\n\nplease send the replacement to my home address:\n\n",
    "Hello,\n\nmy parcel should go here instead:\n\n",
    "Dear Sir or Madam,\n\nI have moved. My new address is\n\n",
    "Ship to:\n",
    "Delivery address\n",
    "Hi,\nthe invoice still shows the old address. It should be:\n",
)
_OUTROS = ("\n\nThanks a lot!", "\n\nKind regards", "\n\nBest,\n", "\n", "\n\nCould you confirm?")
_LAYOUTS = ("plain", "quoted", "indented", "signature")


def _block_lines(rng: random.Random) -> list[list[Piece]]:
    street, postal, city, country = COUNTRIES[pick(rng, sorted(COUNTRIES))](rng)
    lines: list[list[Piece]] = []
    # A unit written inline ("Calle Mayor 5, 2º B", "Flat 3, 27 Mill Lane") stays on the street line.
    lines.append([(street, "ADDRESS")])
    if "," not in street and rng.random() < 0.35:
        lines.append([(pick(rng, _UNITS), "ADDRESS")])
    lines.append([(postal, "ADDRESS")])
    if rng.random() < 0.6:
        lines.append([(country, "LOCATION")])
    return lines


def _block_sample(rng: random.Random) -> dict:
    layout = pick(rng, _LAYOUTS)
    lines = _block_lines(rng)
    pieces: list[Piece] = []
    prefix = {"plain": "", "quoted": "> ", "indented": "    ", "signature": ""}[layout]
    if layout == "signature":
        pieces += [(pick(rng, ("Hi, quick question about my order.\n\n", "Thanks for the quick reply!\n\n")), None),
                   (pick(rng, ("Best regards,\n", "Kind regards,\n", "Cheers,\n")), None),
                   (pick(rng, _NAMES), "PERSON"), ("\n", None)]
    elif layout == "quoted":
        pieces += [("Please use the address below.\n\nOn Monday you wrote:\n", None)]
    else:
        pieces += [(pick(rng, _INTROS), None)]
    for line in lines:
        pieces.append((prefix, None))
        pieces += line
        pieces.append(("\n", None))
    pieces.append((pick(rng, _OUTROS).lstrip("\n") if pieces[-1][0] == "\n" else pick(rng, _OUTROS), None))
    return assemble(pieces)


# --- look-alikes -----------------------------------------------------------------------

_PRODUCTS = ("Blue Widget", "Garlic Bread", "Large Pizza", "USB Cable", "Packing Tape", "Coffee Beans",
             "Desk Lamp", "Phone Case", "Running Shoes", "Notebook A5")


def _order_summary(rng: random.Random) -> str:
    lines = [f"Order #{rng.randint(10000, 99999)}"]
    for _ in range(rng.randint(2, 4)):
        lines.append(f"{rng.randint(1, 9)} x {pick(rng, _PRODUCTS)} {rng.randint(2, 99)}.{rng.randint(10, 99)}")
    lines += [f"Subtotal {rng.randint(20, 300)}.00", f"Total {rng.randint(20, 300)}.00"]
    return "Here is my order:\n" + "\n".join(lines) + "\nCan you check it?"


def _item_list(rng: random.Random) -> str:
    lines = [f"{rng.randint(2, 40)} {pick(rng, _PRODUCTS)}" for _ in range(rng.randint(3, 5))]
    return "We still need:\n" + "\n".join(lines) + "\nThanks"


def _tracking_table(rng: random.Random) -> str:
    events = ("Label created", "Picked up", "In transit", "Out for delivery", "Delivered")
    rows = ["Date        Status             Parcel"]
    for day, event in enumerate(events[: rng.randint(2, 5)], start=1):
        rows.append(f"2024-05-{day:02d}  {event:<18} {rng.randint(1, 3)} of 3")
    return "Tracking says:\n" + "\n".join(rows)


def _steps(rng: random.Random) -> str:
    return ("What I did:\nStep 1 Open Settings\nStep 2 Tap Account 3\nStep 3 Restart\n"
            f"Version {rng.randint(2, 17)}.{rng.randint(0, 9)} still crashes")


_NEGATIVES = (_order_summary, _item_list, _tracking_table, _steps)


def generate_address_blocks(rng: random.Random, n: int) -> list[dict]:
    """Multi-line address blocks (75%) and multi-line look-alikes (25%)."""
    out = []
    for _ in range(n):
        if rng.random() < 0.75:
            out.append(_block_sample(rng))
        else:
            out.append(assemble([(pick(rng, _NEGATIVES)(rng), None)]))
    return out


SETS = {"address_blocks": generate_address_blocks}
