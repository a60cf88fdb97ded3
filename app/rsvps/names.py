"""Sorting people by last name when all we have is the full name they typed.

The rule, for a binational list where many people carry two surnames (paternal, maternal):

1. Words are grouped into units: particles (de, del, la, los, y, van, von…) join the word after
   them, so "de la Fuente" and "y Gasset" are one unit each. At the end of a name they are
   surnames of their own ("Ana Le", "Minh Do").
2. One unit: that is the surname. Two units: the last one ("Ana García", "John Smith").
3. Four or more units: the last two are the surnames ("María José García López" sorts under
   García, "Juan Carlos de la Fuente Ruiz" under Fuente).
4. Three units are ambiguous ("Ana García López" vs "María José García" vs "John F. Kennedy"):
   the middle unit is the first surname when the attendee chose Spanish, unless it is an initial
   or a common given name (José, María, Luis…); otherwise the last unit is the surname.
5. A comma wins over all of this: "García López, María José" says which part is the surname.

Particles are ignored when comparing ("de la Fuente" sorts under F), as are letter case and
accents, except that ñ sorts after n as in Spanish dictionaries.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PARTICLES = frozenset(
    {"de", "del", "la", "las", "los", "y", "da", "das", "do", "dos", "di", "du"}
    | {"van", "von", "der", "den", "ter", "le", "st.", "st"}
)

# Given names that often come second in a compound given name ("María José", "Juan Carlos"),
# folded. Only consulted for three-word names, to tell "María José García" from "Ana García
# López".
SECOND_GIVEN_NAMES = frozenset(
    {"jose", "maria", "juan", "luis", "carlos", "ana", "angel", "antonio", "manuel", "miguel"}
    | {"francisco", "jesus", "guadalupe", "fernanda", "fernando", "alejandro", "alejandra"}
    | {"alberto", "eduardo", "javier", "pablo", "elena", "isabel", "teresa", "luisa", "sofia"}
    | {"paula", "andrea", "daniela", "gabriela", "patricia", "ignacio", "enrique", "ramon"}
    | {"rafael", "ricardo", "roberto", "mario", "pedro", "jorge", "emilio", "eugenia"}
    | {"cristina", "lucia", "alfonso", "arturo", "andres", "diego", "carmen", "luz", "rocio"}
    | {"pilar", "dolores", "victoria", "ann", "anne", "marie", "lynn", "jane", "beth", "grace"}
    | {"mae", "michael", "james"}
)

_INITIAL = re.compile(r"^\w\.?$")


@dataclass(frozen=True)
class SplitName:
    given: str  # "María José"
    surnames: str  # "García López"

    @property
    def listed(self) -> str:
        """As a door list shows it: "García López, María José"."""
        return f"{self.surnames}, {self.given}" if self.given else self.surnames


def fold(text: str) -> str:
    """Compare without case or accents, keeping ñ after n (so Nuño follows Nuno)."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ñ", "n\U0010ffff")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _units(words: list[str]) -> list[str]:
    units: list[str] = []
    pending: list[str] = []
    for word in words:
        pending.append(word)
        if word.casefold() not in PARTICLES:
            units.append(" ".join(pending))
            pending = []
    if pending:  # nothing follows, so not a particle after all: "Ana Le", "Minh Do"
        units.extend(pending)
    return units


def _core(unit: str) -> str:
    """The unit without its particles: what it is alphabetized by."""
    words = unit.split()
    return words[-1] if len(words) > 1 and words[0].casefold() in PARTICLES else unit


def split_name(name: str, language: str = "en") -> SplitName:
    """Tell given names from surnames following the rule in this module's docstring."""
    if "," in name:
        surnames, _, given = name.partition(",")
        return SplitName(given=given.strip(), surnames=surnames.strip())
    units = _units(name.split())
    if not units:
        return SplitName(given="", surnames="")
    if len(units) <= 2:
        count = 1
    elif len(units) >= 4:
        count = 2
    else:
        middle = units[1]
        is_given = _INITIAL.match(middle) or fold(_core(middle)) in SECOND_GIVEN_NAMES
        count = 2 if language == "es" and not is_given else 1
    if len(units) == 1:
        return SplitName(given="", surnames=units[0])
    return SplitName(given=" ".join(units[:-count]), surnames=" ".join(units[-count:]))


def last_name_key(name: str, language: str = "en") -> tuple[str, str, str]:
    """A sort key: surnames (particles aside), then given names, then the name as typed."""
    split = split_name(name, language)
    surnames = " ".join(_core(unit) for unit in _units(split.surnames.split()))
    return (fold(surnames), fold(split.given), name)
