"""Street addresses of eleven countries in customer-service sentences (ADDRESS), place names
(LOCATION), and look-alikes that are neither ("Order 1634", "Room for 2", "iPhone 15").

Each country's generator writes its own conventions: house number after the street name
(DE, NL, Nordic, ES, IT, PT/BR, MX, CZ), before it (US, UK, FR), no street type at all
(CZ/SK "Vinohradská 1511/230"), glued street types
("Hauptstraße", "Puruntie", "Præstevænget"), floor/door and apartment designators, and the
country's postal code next to the city ("00100 Helsinki", "1012 AB Amsterdam",
"SW1A 1AA", "01310-100 São Paulo"). Vocabularies are this module's own.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from gateway.benchmarks.pii_sets.build import Piece, assemble, fill, pick

# --- per country: (street line, postal line or "", city, country) ---------------------

_DE_STEMS = ("Haupt", "Bahnhof", "Garten", "Schiller", "Goethe", "Linden", "Birken", "Mühlen", "Kirch", "Berg",
             "Wiesen", "Rosen", "Eichen", "Friedrich-Ebert-", "Königs", "Markt", "Schul", "Dorf", "Wald", "Talstraßen")
_DE_TYPES = ("straße", "strasse", "str.", "weg", "gasse", "allee", "platz", "ring")
_DE_CITIES = (("10115", "Berlin"), ("80331", "München"), ("20095", "Hamburg"), ("50667", "Köln"),
              ("04109", "Leipzig"), ("79098", "Freiburg im Breisgau"), ("01067", "Dresden"), ("72070", "Tübingen"),
              ("60311", "Frankfurt am Main"), ("37073", "Göttingen"), ("88045", "Friedrichshafen"))


def _de(rng: random.Random):
    stem = pick(rng, _DE_STEMS)
    kind = pick(rng, _DE_TYPES)
    if kind == "ring":
        stem = stem.rstrip("-")
    street = f"{stem}{kind} {rng.randint(1, 180)}{pick(rng, ('', '', '', 'a', 'b'))}"
    plz, city = pick(rng, _DE_CITIES)
    return street, f"{plz} {city}", city, pick(rng, ("Germany", "Deutschland"))


_FR_TYPES = ("rue", "avenue", "boulevard", "place", "allée", "impasse", "chemin", "quai")
_FR_NAMES = ("de la Paix", "Victor Hugo", "des Lilas", "du Général Leclerc", "Saint-Honoré", "de la République",
             "Jean Jaurès", "des Écoles", "du Moulin", "Pasteur", "de l'Église", "Gambetta", "des Tilleuls")
_FR_CITIES = (("75008", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"),
              ("33000", "Bordeaux"), ("44000", "Nantes"), ("67000", "Strasbourg"), ("13100", "Aix-en-Provence"),
              ("59800", "Lille"), ("29200", "Brest"), ("84000", "Avignon"))


def _fr(rng: random.Random):
    number = f"{rng.randint(1, 140)}{pick(rng, ('', '', '', ' bis', ' ter'))}"
    kind = pick(rng, _FR_TYPES)
    street = f"{number}{pick(rng, (' ', ', '))}{kind if rng.random() < 0.7 else kind.capitalize()} {pick(rng, _FR_NAMES)}"
    cp, city = pick(rng, _FR_CITIES)
    return street, f"{cp} {city}", city, "France"


_ES_TYPES = ("Calle", "C/", "Avenida", "Avda.", "Paseo", "Plaza", "Carrer", "Camino")
_ES_NAMES = ("Mayor", "de Alcalá", "Gran Vía", "del Prado", "de la Constitución", "Serrano", "de Gràcia", "Real",
             "de los Reyes Católicos", "San Vicente", "Doctor Fleming", "Núñez de Balboa")
_ES_UNITS = ("", "", ", 2º B", ", 3º izq.", ", 1º 2ª", ", bajo", ", piso 4, puerta 2", ", esc. A, 5º D")
_ES_CITIES = (("28013", "Madrid"), ("08008", "Barcelona"), ("41001", "Sevilla"), ("46002", "Valencia"),
              ("29015", "Málaga"), ("50001", "Zaragoza"), ("15001", "A Coruña"), ("37002", "Salamanca"),
              ("31001", "Pamplona"))


def _es(rng: random.Random):
    street = f"{pick(rng, _ES_TYPES)} {pick(rng, _ES_NAMES)}{pick(rng, (' ', ', ', ', nº '))}{rng.randint(1, 220)}"
    street += pick(rng, _ES_UNITS)
    cp, city = pick(rng, _ES_CITIES)
    return street, f"{cp} {city}", city, pick(rng, ("Spain", "España"))


_IT_TYPES = ("Via", "Viale", "Piazza", "Corso", "Vicolo", "Largo", "Piazzale")
_IT_NAMES = ("Roma", "Garibaldi", "Giuseppe Verdi", "dei Mille", "Vittorio Emanuele II", "della Libertà",
             "San Marco", "Dante Alighieri", "Cavour", "Marconi", "delle Rose", "Mazzini")
_IT_CITIES = (("00184", "Roma"), ("20121", "Milano"), ("50122", "Firenze"), ("80132", "Napoli"),
              ("10121", "Torino"), ("40121", "Bologna"), ("30121", "Venezia"), ("90133", "Palermo"),
              ("37121", "Verona"), ("56126", "Pisa"))


def _it(rng: random.Random):
    street = f"{pick(rng, _IT_TYPES)} {pick(rng, _IT_NAMES)}{pick(rng, (' ', ', ', ' n. '))}{rng.randint(1, 160)}"
    street += pick(rng, ("", "", "/A", ", int. 4", ", scala B"))
    cap, city = pick(rng, _IT_CITIES)
    return street, f"{cap} {city}", city, pick(rng, ("Italy", "Italia"))


_PT_TYPES = ("Rua", "Avenida", "Av.", "Travessa", "Praça", "Alameda", "Estrada", "Largo")
_PT_NAMES = ("do Arenque", "Augusta", "Paulista", "das Flores", "Dom Pedro II", "da Liberdade", "São João",
             "dos Andradas", "Rio Branco", "Oscar Freire", "da Consolação", "do Comércio", "Sete de Setembro")
_BR_CITIES = (("01310-100", "São Paulo"), ("20040-002", "Rio de Janeiro"), ("30130-010", "Belo Horizonte"),
              ("80010-000", "Curitiba"), ("90010-150", "Porto Alegre"), ("40020-000", "Salvador"),
              ("74003-010", "Goiânia"), ("69005-010", "Manaus"))
_PT_CITIES = (("1200-195", "Lisboa"), ("4000-322", "Porto"), ("3000-143", "Coimbra"), ("8000-138", "Faro"),
              ("4700-435", "Braga"))


def _pt_br(rng: random.Random):
    brazil = rng.random() < 0.6
    street = f"{pick(rng, _PT_TYPES)} {pick(rng, _PT_NAMES)}{pick(rng, (' ', ', ', ', nº '))}{rng.randint(1, 2400)}"
    street += pick(rng, ("", "", " - Apto 12", ", apto. 31", ", 2º andar", " - Bloco B", ", sala 804", ", 3º Esq."))
    cep, city = pick(rng, _BR_CITIES if brazil else _PT_CITIES)
    return street, f"{cep} {city}", city, ("Brazil" if brazil else "Portugal")


_NL_STEMS = ("Dorps", "Kerk", "Molen", "Stations", "Linden", "Heren", "Keizers", "Prinsen", "Beuken", "Wilhelmina",
             "Oranje", "Zuider")
_NL_TYPES = ("straat", "laan", "plein", "gracht", "weg", "kade", "singel")
_NL_CITIES = (("1012 AB", "Amsterdam"), ("3011 HE", "Rotterdam"), ("2511 CV", "Den Haag"), ("3511 LX", "Utrecht"),
              ("9711 LM", "Groningen"), ("5611 EM", "Eindhoven"), ("2311 EZ", "Leiden"), ("6211 CL", "Maastricht"))


def _nl(rng: random.Random):
    street = f"{pick(rng, _NL_STEMS)}{pick(rng, _NL_TYPES)} {rng.randint(1, 400)}{pick(rng, ('', '', 'a', '-II', ' bis'))}"
    pc, city = pick(rng, _NL_CITIES)
    return street, f"{pc} {city}", city, pick(rng, ("the Netherlands", "Nederland"))


_DK = ("Præstevænget", "Nørregade", "Vestergade", "Østerbrogade", "Strandvejen", "Kirkevej", "Skovvej", "Ågade")
_DK_CITIES = (("2100", "København Ø"), ("8000", "Aarhus C"), ("5000", "Odense C"), ("9000", "Aalborg"))
_FI = ("Puruntie", "Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Koivukuja", "Rantatie", "Kauppakatu",
       "Mäkipolku", "Sibeliuksenkatu")
_FI_CITIES = (("00100", "Helsinki"), ("33100", "Tampere"), ("20100", "Turku"), ("90100", "Oulu"), ("40100", "Jyväskylä"))
_SE = ("Storgatan", "Drottninggatan", "Kungsvägen", "Sveavägen", "Kyrkogatan", "Skolgatan", "Ringvägen", "Östra Hamngatan")
_SE_CITIES = (("111 52", "Stockholm"), ("411 06", "Göteborg"), ("211 22", "Malmö"), ("753 20", "Uppsala"))
_NO = ("Karl Johans gate", "Storgata", "Kirkeveien", "Bogstadveien", "Thorvald Meyers gate", "Strandveien")
_NO_CITIES = (("0154", "Oslo"), ("5003", "Bergen"), ("7011", "Trondheim"), ("4006", "Stavanger"))


def _nordic(rng: random.Random):
    country = pick(rng, ("DK", "FI", "SE", "NO"))
    streets, cities, name = {
        "DK": (_DK, _DK_CITIES, "Denmark"), "FI": (_FI, _FI_CITIES, "Finland"),
        "SE": (_SE, _SE_CITIES, "Sweden"), "NO": (_NO, _NO_CITIES, "Norway"),
    }[country]
    street = f"{pick(rng, streets)} {rng.randint(1, 120)}"
    if country == "FI":
        street += pick(rng, ("", "", " A 12", " B 7", " as. 5"))
    elif country == "DK":
        street += pick(rng, ("", "", ", 2. th.", ", 3. tv.", ", st."))
    pc, city = pick(rng, cities)
    return street, f"{pc} {city}", city.split()[0], name


_UK_NAMES = ("Mill", "Church", "Station", "Victoria", "Acacia", "Kingsley", "Meadow", "Oak", "Elm", "Highfield",
             "Manor", "Orchard", "Albert", "Queens")
_UK_TYPES = ("Road", "Lane", "Close", "Street", "Avenue", "Crescent", "Gardens", "Grove", "Drive", "Way", "Mews",
             "Terrace", "Rise", "Place")
_UK_CITIES = (("London", "SW1A 1AA"), ("Manchester", "M1 1AE"), ("Oxford", "OX1 2JD"), ("Leeds", "LS1 4DY"),
              ("Bristol", "BS1 5TR"), ("Edinburgh", "EH1 1YZ"), ("Cardiff", "CF10 1EP"), ("York", "YO1 7HH"),
              ("Bath", "BA1 1LZ"))


def _uk(rng: random.Random):
    street = f"{rng.randint(1, 250)} {pick(rng, _UK_NAMES)} {pick(rng, _UK_TYPES)}"
    if rng.random() < 0.3:
        street = f"{pick(rng, ('Flat', 'Apartment', 'Unit'))} {rng.randint(1, 30)}, " + street
    city, postcode = pick(rng, _UK_CITIES)
    postal = f"{city} {postcode}" if rng.random() < 0.7 else f"{city}, {postcode}"
    return street, postal, city, pick(rng, ("UK", "United Kingdom", "England"))


_MX_TYPES = ("Calle", "Av.", "Avenida", "Calzada", "Boulevard", "Privada", "Andador")
_MX_NAMES = ("Insurgentes Sur", "Reforma", "Juárez", "Hidalgo", "Morelos", "de los Pinos", "Benito Juárez",
             "Revolución", "Miguel Hidalgo", "Álvaro Obregón", "de la Paz")
_MX_CITIES = (("03940", "Ciudad de México"), ("44100", "Guadalajara"), ("64000", "Monterrey"), ("72000", "Puebla"),
              ("76000", "Querétaro"), ("97000", "Mérida"), ("68000", "Oaxaca"))


def _mx(rng: random.Random):
    street = f"{pick(rng, _MX_TYPES)} {pick(rng, _MX_NAMES)} {rng.randint(1, 2000)}"
    street += pick(rng, ("", "", " Int. 4", ", Depto. 302", " interior 5B"))
    if rng.random() < 0.5:
        street += f", Col. {pick(rng, ('Centro', 'Roma Norte', 'Del Valle', 'Condesa', 'Americana'))}"
    cp, city = pick(rng, _MX_CITIES)
    return street, f"{cp} {city}", city, pick(rng, ("Mexico", "México"))


_US_NAMES = ("Maple", "Oak", "Washington", "Lincoln", "Sunset", "Elm", "Cedar", "Park", "Lakeview", "Highland")
_US_TYPES = ("Street", "St.", "Avenue", "Ave", "Road", "Blvd", "Drive", "Lane", "Court", "Way")
_US_CITIES = (("Springfield", "IL", "62704"), ("Austin", "TX", "78701"), ("Portland", "OR", "97205"),
              ("Denver", "CO", "80202"), ("Columbus", "OH", "43215"), ("Tucson", "AZ", "85701"))


# Czech and Slovak streets carry no street type: a name (often an adjective or a person's
# name in the genitive) and a number, frequently "descriptive/orientation" ("1511/230").
_CZ_STREETS = ("Vinohradská", "Husova", "Masarykova", "Palackého", "Národní", "Komenského", "Nádražní", "Lidická",
               "Dlouhá", "Školní", "Havlíčkova", "Nerudova", "Jiráskova", "Smetanova", "Štefánikova", "Hlavná")
_CZ_CITIES = (("110 00", "Praha 1"), ("120 00", "Praha 2"), ("602 00", "Brno"), ("301 00", "Plzeň"),
              ("779 00", "Olomouc"), ("811 01", "Bratislava"), ("040 01", "Košice"), ("370 01", "České Budějovice"))


def _cz(rng: random.Random):
    number = str(rng.randint(1, 250)) if rng.random() < 0.5 else f"{rng.randint(100, 2999)}/{rng.randint(1, 250)}"
    pc, city = pick(rng, _CZ_CITIES)
    return f"{pick(rng, _CZ_STREETS)} {number}", f"{pc} {city}", city.split()[0], pick(rng, ("Czechia", "Slovakia"))


def _us(rng: random.Random):
    street = f"{rng.randint(1, 9999)} {pick(rng, _US_NAMES)} {pick(rng, _US_TYPES)}"
    street += pick(rng, ("", "", " Apt 4B", ", Suite 210", " Unit 12"))
    city, state, zipcode = pick(rng, _US_CITIES)
    return street, f"{city}, {state} {zipcode}", city, "USA"


COUNTRIES: dict[str, Callable[[random.Random], tuple[str, str, str, str]]] = {
    "DE": _de, "FR": _fr, "ES": _es, "IT": _it, "PT_BR": _pt_br, "NL": _nl, "NORDIC": _nordic, "UK": _uk,
    "MX": _mx, "US": _us, "CZ": _cz,
}

# --- sentences ------------------------------------------------------------------------

_ADDRESS_TEMPLATES = (
    "Hi, please send the replacement to {addr}. Thanks!",
    "My new address is {addr}, could you update my account?",
    "I moved to {addr} last month and the invoice still goes to the old flat.",
    "Delivery address: {addr}",
    "The parcel never arrived at {addr}, tracking says delivered.",
    "can you ship it to {addr} instead",
    "Billing address is {addr} — the card is registered there.",
    "We are at {addr}; the courier can leave it with the neighbour.",
    "Please correct the address on order {order} to {addr}.",
)
_POSTAL_TEMPLATES = (
    "Send it to {addr}, {postal}, please.",
    "Address: {addr}\n{postal}\n{country}",
    "I live at {addr}, {postal} ({country}).",
    "The old address {addr}, {postal} is no longer valid.",
)
_LOCATION_TEMPLATES = (
    "I'm travelling to {city} next week, can the delivery wait?",
    "The package is stuck at the depot in {city}.",
    "I ordered from {country} but I'm now based in {city}.",
    "Is express shipping available to {country}?",
    "We relocated from {city} to {city2} in March.",
    "Your store in {city} told me to contact support.",
)
# Look-alikes: numbers after capitalised words that are not house numbers, products, rooms.
_DECOYS = (
    "Order 1634 has not arrived yet.",
    "Can I book a Room for 2 on Friday?",
    "My iPhone 15 Pro screen cracked after two days.",
    "Windows 11 keeps asking me to sign in again.",
    "I bought the Galaxy Tab S9 and the Model 3 charger.",
    "Table for 4 at 8 pm, please.",
    "Invoice 2023 and Invoice 2024 show the same amount.",
    "Gate 7 at Terminal 2 was closed.",
    "Chapter 11 of the manual covers this.",
    "Size 42 was out of stock, Pack of 12 too.",
    "Version 2 of the app crashes on Android 14.",
    "Level 3 support said to wait for Ticket 5821.",
)


def _address_sample(rng: random.Random) -> dict:
    country = pick(rng, sorted(COUNTRIES))
    street, postal, city, country_name = COUNTRIES[country](rng)
    order: Piece = (f"#{rng.randint(10000, 99999)}", None)
    if rng.random() < 0.5:
        template = pick(rng, _POSTAL_TEMPLATES)
        pieces = fill(template, {"addr": (street, "ADDRESS"), "postal": (postal, "ADDRESS"),
                                 "country": (country_name, "LOCATION"), "order": order})
        pieces = _merge_address(pieces)
    else:
        pieces = fill(pick(rng, _ADDRESS_TEMPLATES), {"addr": (street, "ADDRESS"), "order": order})
    if rng.random() < 0.3:
        pieces = [(pick(rng, _DECOYS) + " ", None), *pieces]
    return assemble(pieces)


def _merge_address(pieces: list[Piece]) -> list[Piece]:
    """Street line + separator + postal line is one ADDRESS span (as presidio-research labels
    a whole postal address)."""
    out: list[Piece] = []
    for text, entity in pieces:
        if (
            entity == "ADDRESS"
            and len(out) >= 2
            and out[-2][1] == "ADDRESS"
            and out[-1][1] is None
            and out[-1][0] in (", ", "\n")
        ):
            sep = out.pop()[0]
            out[-1] = (out[-1][0] + sep + text, "ADDRESS")
        else:
            out.append((text, entity))
    return out


def _location_sample(rng: random.Random) -> dict:
    _, _, city, country = COUNTRIES[pick(rng, sorted(COUNTRIES))](rng)
    _, _, city2, _ = COUNTRIES[pick(rng, sorted(COUNTRIES))](rng)
    if city2 == city:
        city2 = "Vienna" if city != "Vienna" else "Prague"
    return assemble(fill(pick(rng, _LOCATION_TEMPLATES), {
        "city": (city, "LOCATION"), "city2": (city2, "LOCATION"), "country": (country, "LOCATION"),
    }))


def generate_addresses(rng: random.Random, n: int) -> list[dict]:
    """Addresses (70%), places (20%) and look-alikes with nothing to find (10%)."""
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.7:
            out.append(_address_sample(rng))
        elif roll < 0.9:
            out.append(_location_sample(rng))
        else:
            out.append(assemble([(pick(rng, _DECOYS), None)]))
    return out


SETS = {"addresses": generate_addresses}
