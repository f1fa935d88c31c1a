"""European and Latin American street addresses (ADDRESS), next to the US patterns of
`street_address.py`.

Three street shapes cover the countries we see (DE/AT/CH, NL/BE, DK/SE/NO/FI, FR, ES, IT,
PT/BR, MX, UK):

* **glued street type, number after** — "Hauptstraße 12", "Lindenstr. 5", "Keizersgracht
  123", "Præstevænget 15", "Puruntie 82", "Storgatan 5", "Karl Johans gate 1";
* **street type first, number after** — "Rua do Arenque 1634", "Calle Mayor 5",
  "Via Roma 10", "Avenida Paulista, 1000", "C/ de Alcalá, nº 45", "Av. Insurgentes Sur 1602";
* **number first, French street type** — "12 rue de la Paix", "8 bis, avenue Victor Hugo"
  (English "12 Mill Lane" is `StreetAddressRecognizer`'s; this one adds the UK postcode).

Then, in any order the country writes them: apartment/floor/door designators ("Apt 4B",
"2º B", "3º izq.", "apto. 31", "Int. 4", "A 12", "2. th."), a neighbourhood ("Col. Roma
Norte"), and the postal code with the city ("00100 Helsinki", "1012 AB Amsterdam",
"01310-100 São Paulo", "111 52 Stockholm", "London SW1A 1AA").

What keeps look-alikes out: the street word must be a street type from the vocabularies
below and the name capitalised ("Order 1634", "Room for 2", "Windows 11", "Gate 7" have no
street type; "via email 3" is lower case), the house number is at most five digits and not
followed by a unit of measure or a letter run, and a bare postal code + city counts only
when the city is a known place (`places.py`) — "10000 Euros" is not an address.

Scores: street + number 0.6; with a postal code/city or a unit 0.75; a postal code + known
city alone 0.6; a bare UK postcode 0.45 (a context word such as "address" lifts it).
"""

from __future__ import annotations

from collections.abc import Collection

import regex
from presidio_analyzer import EntityRecognizer, Pattern

from gateway.pii.recognizers.base import GovPatternRecognizer

# Street types written glued to the name (or as its last word), by language.
_GLUED = (
    # German, Austrian, Swiss
    "straße|strasse|str\\.|gasse|weg|allee|platz|ring|damm|ufer|chaussee|steig|pfad|markt|"
    # Dutch, Flemish
    "straat|laan|plein|gracht|kade|singel|dijk|dreef|steeg|"
    # Danish, Norwegian, Swedish
    "vej|vejen|gade|vænget|stræde|allé|gatan|gata|vägen|väg|gränd|torget|torg|veien|vei|gate|plass|"
    # Finnish
    "katu|tie|kuja|polku|väylä|tori|raitti|rinne"
)
# Short endings that are also the end of ordinary words ("Katie", "Colgate", "Spring"):
# the part before them must be this long.
_SHORT_GLUED_MIN_STEM = 4
_SHORT_GLUED = frozenset({"ring", "tie", "gate", "gata", "vei", "väg", "torg", "tori", "weg", "vej", "gade", "kade", "dijk"})

# Street types written before the name (Romance languages, Polish). Capitalised as written
# in addresses; the lower-case forms are accepted where the word is not also English.
_FIRST = (
    "Rua|R\\.|Avenida|Av\\.|Avda\\.?|Travessa|Tv\\.|Praça|Alameda|Estrada|Largo|Rodovia|Viela|Beco|Vereda|"
    "Calle|C/|Cl\\.|Carrer|Callejón|Cuesta|Pasaje|Travesía|Glorieta|Urbanización|Urb\\.|Vía|Bulevar|"
    "Avinguda|Passeig|Plaça|Camí|Paseo|Pº|Plaza|Pza\\.|Camino|Carretera|Ctra\\.|Calzada|Privada|Andador|Ronda|Rambla|"
    "Via|Viale|V\\.le|Borgo|Vico|Piazza|P\\.za|Piazzale|Corso|C\\.so|Vicolo|Strada|Lungomare|Contrada|"
    "Rue|Boulevard|Bd\\.?|Blvd\\.?|Allée|Chemin|Impasse|Quai|Cours|"
    "Ulica|ul\\.|Aleja|al\\."
)
_FIRST_LOWER = "rua|avenida|travessa|calle|carrer|paseo|viale|piazza|corso|vicolo|rue"
# French (and Belgian) types after a house number, any case.
_FR_TYPES = "rue|avenue|av\\.|boulevard|bd|place|allée|impasse|chemin|quai|cours|route|square|passage|esplanade|parvis"

_PARTICLE = r"(?:de|da|do|das|dos|del|della|delle|dei|degli|di|du|des|la|le|les|el|los|las|van|von|der|den|het|y|e|et|a|al|am|an|im|zum|zur)"
_CAP = r"\p{Lu}[\p{L}'’.-]*"
_NAME_TOKEN = rf"(?:{_CAP}|(?:[ldLD]['’])?{_CAP}|[IVX]{{1,4}}(?![\p{{L}}]))"
# A street name after a prefix type: up to six words, particles inside, a capitalised end.
_NAME_SEQ = rf"(?:{_PARTICLE}[ \t]+){{0,2}}(?:[ldLD]['’])?{_NAME_TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}(?:[ldLD]['’])?{_NAME_TOKEN}){{0,5}}"

# A house number: 1-5 digits, an optional letter ("12a", "12 A" only before a separator),
# "bis"/"ter", a range or a slash part ("12-14", "5/A"). Never a measurement ("5 kg").
_HOUSE = (
    r"\d{1,5}(?![\d.,]\d)(?:[A-Za-z](?![\p{L}\d])|[ \t][A-Za-z](?![\p{L}\d])(?![ \t]*\d))?(?:[ \t]?(?:bis|ter)(?![\p{L}]))?"
    r"(?:[-/](?:\d{1,4}[A-Za-z]?|[A-Z])(?![\p{L}\d]))?"
    r"(?![ \t]*(?i:kg|g|km|m|cm|mm|ml|l|gb|mb|tb|mhz|ghz|hz|%|€|\$|eur|usd|x|pcs|pieces|items|units|years|days|hours|minutes|times)(?![\p{L}]))"
)
_NUMBER_MARK = r"(?:(?i:n[º°o]|nr|no|n|núm|num|número)\.?[ \t]*)?"

# Apartment, floor, door, staircase, building; neighbourhoods.
_UNIT_WORD = (
    r"(?i:apt|apto|apartamento|apartment|appartement|app|flat|suite|ste|unit|fl|floor|piso|planta|puerta|pta|"
    r"esc|escalera|dpto|depto|departamento|int|interior|interno|bloco|bloque|bl|andar|sala|casa|lote|"
    r"whg|wohnung|top|stiege|stock|étage|etage|bât|bâtiment|scala|lgh|leil|lejl|room|rm|dept|ap)"
)
_UNIT = (
    r"(?:"
    rf"(?:,[ \t]*|[ \t]+[-–][ \t]+|[ \t]+){_UNIT_WORD}(?![\p{{L}}])\.?[ \t]*#?[ \t]*(?:n[º°o]\.?[ \t]*)?[0-9A-Za-z]{{1,5}}(?:[-/][0-9A-Za-z]{{1,3}})?(?![\p{{L}}\d])"
    r"|(?:,[ \t]*|[ \t]+)\d{1,2}[º°ªo](?:[ \t]*(?:\d{1,2}[ºª°]?|[A-Za-z])(?![\p{L}]))?(?:[ \t]*(?i:izq|izda|dcha|der|dra|esq|dto|centro|andar|piso|planta))?\.?"
    r"|(?:,[ \t]*|[ \t]+)\d{1,2}\.[ \t]*(?i:th|tv|mf|sal|etage|stock|og)\.?"
    r"|,[ \t]*(?i:st|th|tv|kld|bajo|bajos|ático|entlo|rdc|r/c|cave)\.?(?![\p{L}])"
    r"|[ \t]+[A-H](?:[ \t]+|[ \t]?(?i:as\.|asunto)[ \t]*)\d{1,3}(?![\p{L}\d])"
    r"|[ \t]+(?i:as\.|asunto)[ \t]*\d{1,3}(?![\p{L}\d])"
    r"|/[A-Z](?![\p{L}])"
    rf"|,[ \t]*(?i:col\.|colonia|bairro|barrio|bº|quartier|fracc\.|fraccionamiento)[ \t]+{_NAME_SEQ}"
    r")"
)

# Postal code + city, per country shape; the city is capitalised words ("Frankfurt am Main",
# "København Ø", "Aix-en-Provence", "Rio de Janeiro").
_CITY = rf"\p{{Lu}}[\p{{L}}'’-]*(?:[ \t]+(?:(?:de|do|da|del|am|an|im|in|sur|sous|en|la|le|di|al|upon|on)[ \t]+)?\p{{Lu}}[\p{{L}}'’-]*){{0,3}}"
_POSTCODE = (
    r"(?:(?:[A-Z]{1,2}-)?\d{5}(?:-\d{3})?"  # DE, FR, ES, IT, FI, MX, US; BR 01310-100; "D-10115"
    r"|\d{4}-\d{3}"  # PT
    r"|\d{4}[ \t]?[A-Z]{2}(?![\p{L}])"  # NL
    r"|\d{3}[ \t]\d{2}"  # SE
    r"|\d{4})"  # DK, NO, AT, CH, BE
)
_UK_POSTCODE = r"(?-i:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})(?![\p{L}\d])"
_SEP = r"(?:,[ \t]*|[ \t]*\n[ \t]*|[ \t]+[-–][ \t]+|[ \t]+)"
_POSTAL = (
    rf"(?:{_SEP}{_POSTCODE}[ \t]+{_CITY}"
    rf"|{_SEP}{_CITY},?[ \t]+{_UK_POSTCODE}"
    rf"|{_SEP}{_UK_POSTCODE}(?:[ \t]+{_CITY})?"
    rf"|,[ \t]*{_CITY}(?=[ \t]*(?:,|\n|$)))"  # ", Lisboa" at the end of the address line
)
_TAIL = rf"(?:{_UNIT}|{_POSTAL})"

_L = r"(?<![\p{L}\d@/#_-])"
_R = r"(?![\p{L}\d])"

_GLUED_STREET = (
    rf"(?:{_CAP}[ \t]+){{0,2}}(?P<stem>\p{{Lu}}[\p{{L}}-]*?)(?P<type>(?i:{_GLUED}))(?![\p{{L}}])"
    rf"|(?:{_CAP}[ \t]+){{1,2}}(?i:gate|gata|vei|veien|allé|plass|väg|vägen|gatan|torg)(?![\p{{L}}])"
)
_PREFIX_STREET = rf"(?:(?-i:{_FIRST})|(?-i:{_FIRST_LOWER})(?![\p{{L}}]))[ \t]+{_NAME_SEQ}"


# Words that announce an address, for street names written with no street type at all (Czech
# "Vinohradská 12", Norwegian "Veslebakken 48", Estonian "Metsanurga 48"): after one of these,
# capitalised name words and a house number are a street.
_ADDRESS_CUE = (
    r"(?<![\p{L}])(?i:address(?:[ \t]+is)?|addresses|adresse|adresa|lives[ \t]+at|live[ \t]+at|living[ \t]+at|"
    r"located[ \t]+at|office[ \t]+is[ \t]+at|ship(?:ped)?(?:[ \t]+it)?[ \t]+to|deliver(?:ed|y)?(?:[ \t]+it)?[ \t]+to|"
    r"send(?:[ \t]+it)?[ \t]+to|moved[ \t]+to|return[ \t]+(?:it[ \t]+)?to)[ \t]*:?[ \t]+"
)
# An optional house number first, then up to four capitalised words with particles between them.
_TYPELESS_STREET = (rf"(?:\d{{1,5}}[ \t]+)?(?-i:{_CAP}(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}{_CAP}){{0,3}})"
                    rf"(?:,[ \t]*|[ \t]+){_NUMBER_MARK}{_HOUSE}{_R}")
# A postal code and city after it are evidence enough without a cue ("Husova 5, 110 00 Praha 1").
_POSTCODE_CITY = rf"{_SEP}{_POSTCODE}[ \t]+{_CITY}"


class IntlStreetAddressRecognizer(GovPatternRecognizer):
    """See module docstring. `known_places`: city names that make a bare postal code + city
    an address (from `places.load_places`); empty disables that pattern."""

    ENTITY = "ADDRESS"
    PATTERNS = [
        Pattern("glued_street", rf"{_L}(?:{_GLUED_STREET})\.?(?:,[ \t]*|[ \t]+){_NUMBER_MARK}{_HOUSE}{_R}(?:{_TAIL})*", 0.6),
        Pattern("prefix_street", rf"{_L}{_PREFIX_STREET}(?:,[ \t]*|[ \t]+){_NUMBER_MARK}{_HOUSE}{_R}(?:{_TAIL})*", 0.6),
        Pattern(
            "number_first_fr",
            rf"{_L}{_HOUSE},?[ \t]+(?i:{_FR_TYPES})[ \t]+{_NAME_SEQ}(?:{_TAIL})*",
            0.6,
        ),
        Pattern(
            "number_first_unit_uk",  # "Flat 3, 27 Mill Lane" / "12 Mill Lane, Oxford OX1 2JD": the tail
            rf"{_L}(?:(?i:flat|apartment|unit|suite)[ \t]+\d{{1,4}}[A-Za-z]?,?[ \t]+)?\d{{1,5}}[A-Za-z]?[ \t]+(?:{_CAP}[ \t]+){{1,3}}"
            r"(?:Road|Lane|Close|Street|Avenue|Crescent|Gardens|Grove|Drive|Way|Mews|Terrace|Rise|Place|Hill|Green|"
            r"Parade|Square|Row|Walk|Court|Park|View|End|Wharf|Yard|Gate|Common|Vale|Meadows|Lea|Croft|Fold)"
            rf"(?![\p{{L}}])(?:{_POSTAL}|{_UNIT})+",
            0.75,
        ),
        Pattern(
            # "86 Vitoria 55 Apt. 456", "12 Oak Hill\nSuite 300": house number, capitalised
            # name words with no street type, then a unit designator. The unit is the evidence.
            "number_name_unit",
            rf"{_L}\d{{1,5}}[A-Za-z]?[ \t]+{_CAP}(?:[ \t]+{_CAP}){{0,3}}(?:[ \t]+\d{{1,5}}[A-Za-z]?)?(?:[ \t]+|[ \t]*\n[ \t]*|,[ \t]*)"
            rf"(?-i:Apt|APT|Apto|Apartment|Suite|Ste|Unit|Flat)\.?[ \t]*#?\d{{1,5}}[A-Za-z]?{_R}"
            rf"(?:{_POSTAL}|[ \t]*\n[ \t]*{_CITY}(?=[ \t]*(?:\n|,|$)))*",
            0.6,
        ),
        # The cue is matched, the street after it reported (the `value` group).
        Pattern("cued_street", rf"{_ADDRESS_CUE}(?P<value>{_TYPELESS_STREET}(?:{_TAIL})*)", 0.6),
        # Tried at every capital or digit only (the lookahead fails fast elsewhere: it runs on every message).
        Pattern("typeless_street_postal",
                rf"(?=[\p{{Lu}}\d]){_L}{_TYPELESS_STREET}(?:{_UNIT})*{_POSTCODE_CITY}(?:{_TAIL})*", 0.6),
        Pattern("unit_first_uk", rf"{_L}(?i:flat|apartment|unit)[ \t]+\d{{1,4}}[A-Za-z]?,[ \t]+\d{{1,5}}[A-Za-z]?[ \t]+{_CAP}", 0.6),
        Pattern("postal_city", rf"{_L}{_POSTCODE}[ \t]+(?P<city>{_CITY})", 0.6),
        Pattern("uk_postcode", rf"{_L}{_UK_POSTCODE}", 0.45),
    ]
    CONTEXT = ["address", "adresse", "dirección", "direccion", "endereço", "indirizzo", "adres", "osoite",
               "live", "lives", "moved", "ship", "deliver", "delivery", "send", "postcode", "zip"]

    def __init__(self, *, supported_language: str = "en", known_places: Collection[str] = (), **kwargs) -> None:
        # Case matters: capitalisation tells a street name from a sentence.
        kwargs.setdefault("regex_flags", regex.DOTALL | regex.MULTILINE)
        super().__init__(supported_language=supported_language, **kwargs)
        self.known_places = frozenset(known_places)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):  # noqa: D102
        results = []
        for pattern, rx in self._compiled:
            for result in self._matches(text, pattern, rx):
                if pattern.name == "postal_city" and not self._known_city(rx, text, result.start):
                    continue
                if pattern.name == "glued_street" and not self._plausible_glued(rx, text, result):
                    continue
                if pattern.name in ("glued_street", "prefix_street", "number_first_fr") and self._has_tail(text, result):
                    result.score = max(result.score, 0.75)
                    result.analysis_explanation.score = result.score
                results.append(result)
        return EntityRecognizer.remove_duplicates(results)

    def _known_city(self, rx, text: str, start: int) -> bool:
        match = rx.match(text, start)
        if match is None:
            return False
        words = match.group("city").split()
        # "75008 Paris Tuesday": the longest known prefix of the capitalised words.
        return any(" ".join(words[:k]) in self.known_places for k in range(len(words), 0, -1))

    @classmethod
    def _plausible_glued(cls, rx, text: str, result) -> bool:
        match = rx.match(text, result.start)
        if match is None or match.group("type") is None:
            return True
        kind = match.group("type").lower()
        stem = match.group("stem")
        if kind == "ring" and stem[-1:].lower() in "aeiouy":
            # "Offering 2", "Catering 5", "Monitoring 3" are English -ing words; "Goethering 150"
            # is a street when a postal code and city follow it.
            return cls._has_tail(text, result)
        # A short stem ("Ågade 32") is a street too when a postal code and city follow.
        return kind not in _SHORT_GLUED or len(stem) >= _SHORT_GLUED_MIN_STEM or cls._has_tail(text, result)

    @staticmethod
    def _has_tail(text: str, result) -> bool:
        span = text[result.start : result.end]
        return bool(_TAIL_RX.search(span))


_TAIL_RX = regex.compile(rf"\d(?:{_TAIL})", regex.DOTALL | regex.MULTILINE)

__all__ = ["IntlStreetAddressRecognizer"]
