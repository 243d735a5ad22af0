"""Who is in the picture, read from a query: the names the user gave to
people ("Anna at the beach", "Anna and Ben", "Anna without Ben", "just
Anna") and how many people ("two people", "a group photo", "a selfie",
"no people"). Names are matched whole, case aside, longest first, so
"Mary Lou Williams" is one name and "Mary" another only when both were given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

NEGATION = r"(?:without|except|not|but\s+not|no|-)\s*"
ALONE = r"(?:just|only|alone\s+with)\s+"
# How many faces a picture holds for each phrase: (at least, at most).
COUNTS = [
    (r"(?:no|without)\s+(?:people|persons?|one|faces?)|nobody|no\s*one|empty\s+of\s+people", (0, 0), "nobody in it"),
    (r"(?:a\s+)?selfies?|(?:a\s+)?portraits?|(?:a\s+)?headshots?|(?:a|one)\s+(?:person|face)\s+alone",
     (1, 1), "one person"),
    (r"(?:two|2)\s+(?:people|persons|faces)|(?:a\s+)?couple", (2, 2), "two people"),
    (r"(?:three|3)\s+(?:people|persons|faces)", (3, 3), "three people"),
    (r"(?:a\s+)?group\s+(?:photos?|pictures?|shots?)|(?:a\s+)?crowds?|many\s+people", (3, None), "a group"),
]


# Words that ask for a person in the picture. The bundled model has no idea
# of a person (ImageNet has no such class): where the library was looked at
# for faces, a hit with a face is what these words ask for.
PERSON_WORDS = re.compile(
    r"\b(?:man|men|woman|women|person|persons|people|kids?|child|children|boys?|girls?|bab(?:y|ies)|"
    r"toddlers?|crowds?|family|families|guys?|lad(?:y|ies)|someone|somebody|couples?|friends?|teens?|"
    r"teenagers?|players?|climbers?|hikers?|skiers?|swimmers?|runners?|riders?|surfers?|dancers?|"
    r"students?|workers?|tourists?|faces?|portraits?|selfies?|group)\b", re.IGNORECASE)


LITTLE = re.compile(r"\b(?:a|an|the|some|of|with|and|or|in|at|on|two|three|four|many|few|several|"
                    r"young|old|little|small|big|happy|smiling|together|photos?|pictures?|shots?|"
                    r"having|fun|posing|standing|sitting|[0-9]+)\b", re.IGNORECASE)


def about_people(text: str | None) -> bool:
    """The query asks for people and nothing else ("a man", "kids having
    fun", "a crowd"): a face answers it. A query that also names something
    else ("a man riding an elephant") is left to the model."""
    if not text or PERSON_WORDS.search(text) is None:
        return False
    return not re.sub(r"[^\w]+", " ", LITTLE.sub(" ", PERSON_WORDS.sub(" ", text))).strip()


@dataclass
class FoundPerson:
    start: int
    end: int
    person_id: int
    name: str
    negated: bool = False
    alone: bool = False


@dataclass
class FoundCount:
    start: int
    end: int
    faces: tuple[int, int | None]
    label: str


def find_people(text: str, named: dict[str, int]) -> list[FoundPerson]:
    """The named people in ``text``, with their negations and "just": whole
    names case aside, and one word of a name ("Obama" for "Barack Obama")
    written with its capital, when it is nobody else's."""
    out: list[FoundPerson] = []
    taken = [False] * len(text)
    for name, person, flags in sorted(_names_and_words(named), key=lambda n: len(n[0]), reverse=True):
        words = r"\s+".join(re.escape(w) for w in name.split())
        pattern = rf"(?:(?P<neg>{NEGATION})|(?P<alone>{ALONE}))?\b(?P<name>{words})(?:['’]s)?\b"
        for m in re.finditer(pattern, text, flags):
            if any(taken[m.start("name"):m.end("name")]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            full = next(n for n, p in named.items() if p == person)
            out.append(FoundPerson(m.start(), m.end(), person, full, negated=bool(m.group("neg")),
                                   alone=bool(m.group("alone"))))
    return sorted(out, key=lambda f: f.start)


def _names_and_words(named: dict[str, int]) -> list[tuple[str, int, int]]:
    """(text, person, regex flags): each whole name (case aside), and each
    word of a longer name that is capitalised, 3 letters or more, and no
    other person's (matched with its capital: "Rose" the person, "rose" the
    flower)."""
    out = [(name, person, re.IGNORECASE) for name, person in named.items() if name.split()]
    owners: dict[str, set[int]] = {}
    for name, person in named.items():
        words = name.split()
        for w in words if len(words) > 1 else ():
            if len(w) >= 3 and w[0].isupper():
                owners.setdefault(w, set()).add(person)
    whole = {n.lower() for n in named}
    out += [(w, next(iter(ps)), 0) for w, ps in owners.items() if len(ps) == 1 and w.lower() not in whole]
    return out


def find_counts(text: str) -> list[FoundCount]:
    """How many people the query asks for ("two people", "no people")."""
    out = []
    for pattern, faces, label in COUNTS:
        for m in re.finditer(rf"\b(?:{pattern})\b", text, re.IGNORECASE):
            if not any(m.start() < f.end and f.start < m.end() for f in out):
                out.append(FoundCount(m.start(), m.end(), faces, label))
    return out
