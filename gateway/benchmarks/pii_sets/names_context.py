"""PERSON names of many languages in the contexts support text puts them in: after a title
(the surname alone), possessives, lists, "Last, First" pairs, form fields, transcripts,
sign-offs, quoted speech, lower-case chat; and look-alikes with no person in them (places
and streets named after people, form labels, brands, title-like words).

Conventions (presidio-research's): the title is not part of the span ("Dr. [Ozturk]"), the
possessive ending is not ("[Ingrid]'s phone"), a "Last, First" pair is one span, and each
person of a list is its own span. Vocabularies are this module's own (none of `names.py`'s
names, nothing read from a name list the detector uses), so the set measures the rules'
reach rather than their word lists.
"""

from __future__ import annotations

import random

from gateway.benchmarks.pii_sets.build import Piece, assemble, fill, pick

# (given names, surnames) per language, as their speakers write them.
_PEOPLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Abigail", "Connor", "Imogen", "Tristan", "Rosalind", "Gareth", "Felicity", "Desmond"),
           ("Ashworth", "Blackwood", "Cartwright", "Huxley", "Pennington", "Radcliffe", "Wainwright")),
    "de": (("Friedrich", "Gudrun", "Ulrike", "Dieter", "Wolfgang", "Lieselotte", "Jürgen"),
           ("Schäfer", "Zimmermann", "Großkopf", "Bäumler", "Oberndorfer", "Krämer")),
    "fr": (("Amélie", "Thibault", "Sévérine", "Maël", "Clémence", "Grégoire"),
           ("Delacroix", "Marchand", "Fontaine", "Lécuyer", "Beauchêne", "Roussel")),
    "es": (("Ainhoa", "Rodrigo", "Itziar", "Fermín", "Nerea", "Maite"),
           ("Echeverría", "Olabarrieta", "Cifuentes", "Barrionuevo", "Sáenz")),
    "it": (("Ludovica", "Tommaso", "Beatrice", "Ettore", "Vittoria"),
           ("Lombardi", "Santoro", "Mancuso", "Pellegrino", "D'Alessandro")),
    "pl": (("Bożena", "Grzegorz", "Jadwiga", "Przemysław", "Krzysztof"),
           ("Wróblewski", "Szczepańska", "Kaczmarek", "Grabowski", "Zielińska")),
    "tr": (("Ayşe", "Mehmet", "Gökhan", "Şebnem", "Çağla"),
           ("Öztürk", "Yıldırım", "Çelik", "Aydın", "Karakaya")),
    "in": (("Priyanka", "Arjun", "Lakshmi", "Siddharth", "Ananya"),
           ("Raghunathan", "Chatterjee", "Venkataraman", "Iyer", "Bhattacharya")),
    "ar": (("Youssef", "Fatima", "Khalid", "Samira", "Tariq"), ("Haddad", "El-Amin", "Mansour", "Nasser", "Khoury")),
    "ja": (("Haruto", "Yui", "Sakura", "Takeshi", "Aoi"), ("Takahashi", "Watanabe", "Kobayashi", "Matsumoto")),
    "nl": (("Bram", "Willemijn", "Sjoerd", "Anouk"), ("van den Heuvel", "de Groot", "Visser", "Smit")),
    "fi": (("Aino", "Eero", "Kaisa", "Juha"), ("Virtanen", "Mäkinen", "Heikkinen", "Järvinen")),
}
_TITLES = ("Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "Dr.", "Dr", "Prof.", "Miss", "Mx.")

_TITLE = (
    "Could {title} {last} call me back about the invoice?",
    "I was helped by {title} {last} at your Leeds branch.",
    "{title} {last} approved the refund last week.",
    "The parcel was signed for by {title} {last}.",
    "As {title} {last} explained, the fee is waived.",
)
_POSSESSIVE = (
    "I'm calling about {given}'s account, I am the parent.",
    "Please send the code to my partner {given}'s phone.",
    "I'm {full}'s assistant and I manage the bookings.",
    "The order was for {given}'s birthday, it has to arrive by Friday.",
)
_LIST = (
    "Please add {a}, {b} and {c} to the family plan.",
    "The tickets are for {a}, {b} and {c}.",
    "Attendees: {a}, {b}, {c}",
    "cc {a} and {b} on every reply please.",
)
_PAIR = (
    "Name: {pair}\nOrder: 40412",
    "The card is registered as {pair}.",
    "Account holder: {pair}",
)
_FORM = (
    "Name: {full}\nCity: {city}\nPhone: 0161 496 0734",
    "First name: {given}\nLast name: {last}\nCountry: {country}",
    "Customer: {full}\nShip to: {street}",
)
_TRANSCRIPT = (
    "{a}: Hi, is my refund processed?\nAgent: Let me check.\n{a}: Thanks.",
    "Agent: How can I help?\n{a}: My card was charged twice.",
)
_SIGNOFF = (
    "Thanks for the quick fix!\n\nBest regards,\n{full}",
    "That works for me.\nCheers, {given}",
    "Kind regards\n{full}\nHead of Finance",
)
_QUOTE = (
    "\"It was shipped on Monday,\" {full} told me.",
    "\"We cannot refund this,\" said {full}, which is not acceptable.",
)
_LOWER = (
    "hi its {full} again, still no refund",
    "can u tell {given} i called",
    "my son {given} lost his card",
    "pls ask mr {last} to ring me",
)
# Streets, places and things named like people: no person in any of these.
_CITIES = ("Florence", "Victoria", "Jackson", "Charlotte", "Adelaide", "Austin", "Regina", "Eugene", "Marion")
_COUNTRIES = ("Jordan", "Chad", "Georgia", "Israel", "Kenya")
_STREETS = ("14 Florence Road, Leeds", "Victoria Street 5, Dublin", "22 Lincoln Avenue, Boston",
            "Rue Victor Hugo 3, Lyon", "Via Giuseppe Verdi 12, Torino")
_DECOY = (
    "We moved from {city} to {country} last year.",
    "My flight via {city} was cancelled.",
    "Ship to {street} please.",
    "City: {city}\nCountry: {country}",
    "The Dr. Martens boots I ordered are too small.",
    "I drive a Ford Transit and the sat nav lost the maps.",
    "Is the Victoria Station pickup point still open?",
    "Name on the card doesn't match, please check.",
)


def _person(rng: random.Random) -> tuple[str, str, str]:
    """(given, last, full)."""
    given, surnames = _PEOPLE[pick(rng, sorted(_PEOPLE))]
    first, last = pick(rng, given), pick(rng, surnames)
    return first, last, f"{first} {last}"


def _names(rng: random.Random, lower: bool) -> dict[str, Piece]:
    given, last, full = _person(rng)
    others = [_person(rng)[2] if rng.random() < 0.5 else _person(rng)[0] for _ in range(3)]
    case = str.lower if lower else str
    values: dict[str, Piece] = {
        "given": (case(given), "PERSON"), "last": (case(last), "PERSON"), "full": (case(full), "PERSON"),
        "pair": (case(f"{last}, {given}"), "PERSON"),
        "title": (case(pick(rng, _TITLES)), None),
        "city": (pick(rng, _CITIES), None),
        "country": (pick(rng, _COUNTRIES), None),
        "street": (pick(rng, _STREETS), None),
    }
    for slot, name in zip("abc", others):
        values[slot] = (case(name), "PERSON")
    return values


# (share, templates, lower-case?) per context; the shares add up to 1.
_MIX: tuple[tuple[float, tuple[str, ...], bool], ...] = (
    (0.14, _TITLE, False), (0.10, _POSSESSIVE, False), (0.12, _LIST, False), (0.08, _PAIR, False),
    (0.10, _FORM, False), (0.08, _TRANSCRIPT, False), (0.08, _SIGNOFF, False), (0.06, _QUOTE, False),
    (0.10, _LOWER, True), (0.14, _DECOY, False),
)


def generate_names_en_context(rng: random.Random, n: int) -> list[dict]:
    """English messages; mix: titles 14%, possessives 10%, lists 12%, "Last, First" 8%,
    forms 10%, transcripts 8%, sign-offs 8%, quoted speech 6%, lower-case chat 10%, no
    person 14% (places, streets, countries, brands named like people)."""
    out = []
    for _ in range(n):
        roll, acc = rng.random(), 0.0
        for share, templates, lower in _MIX:
            acc += share
            if roll < acc:
                break
        out.append(assemble(fill(pick(rng, templates), _names(rng, lower))))
    return out


SETS = {"names_en_context": generate_names_en_context}
