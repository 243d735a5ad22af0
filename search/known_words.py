"""Is an English query made of words? Told by a dictionary, not by the
model: the text tower has a vector for anything typed, and "blorptangle",
"x7q9 kk2" or "99a99b99c" lay close enough to real words there to pass as
words (on queries written outside the project, such strings got matches;
figures: README, benchmarks/judge.py).

The words are MiniLM's vocabulary (what the bundled text tower reads whole)
and the English of CC-CEDICT's glosses (48,000 words: "giraffe",
"eucalyptus", "minaret", which MiniLM cuts into pieces), read once per
machine (user_cache.py). A word counts when it, or its stem without a
common ending, is there; a token of letters and digits ("x7q9", "RE16") is
a code, not a word; two words written as one count ("cupcake"); numbers
alone and function words say nothing.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from mediasearch.indexer.embedders.languages import language_of
from mediasearch.store.errors import MediaSearchError

from .user_cache import kept

WORDS_VERSION = 1   # bumped when _read_glosses changes what it keeps
_TOKEN = re.compile(r"[^\W_]+")
_FUNCTION = set("a an the of in on at by to for with and or from near under over into onto its his her "
                "their my our your some any no not without is are was were be this that these those".split())
# Endings tried when a word is not in the dictionary as written, each with
# what may have been dropped ("erupting" -> "erupt", "grumbling" -> "grumble").
_ENDINGS = (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
            ("er", ""), ("ers", ""), ("ly", ""), ("less", ""), ("ful", ""), ("ness", ""), ("'s", ""))


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    from mediasearch.indexer.ocr import vocabulary

    words = set(vocabulary())
    try:
        from mediasearch.indexer.embedders.chinese import dictionary_file
        path = dictionary_file()
        words.update(kept("english-words", path, WORDS_VERSION, lambda: _read_glosses(path)))
    except (ImportError, OSError, MediaSearchError, ValueError):  # the dictionary is optional
        pass
    return frozenset(words)


def _read_glosses(path) -> list[str]:
    import gzip

    words: set[str] = set()
    opened = gzip.open(path, "rt", encoding="utf-8") if str(path).endswith(".gz") else open(path, encoding="utf-8")
    with opened as lines:
        for line in lines:
            if not line.startswith("#") and "/" in line:
                words.update(re.findall(r"[a-z]{3,}", line[line.index("/"):].lower()))
    return sorted(words)


def known(word: str, words: frozenset[str]) -> bool:
    if word in words:
        return True
    if any(word.endswith(end) and (word[:-len(end)] + add) in words for end, add in _ENDINGS
           if len(word) - len(end) >= 3):
        return True
    # Two words written as one ("cupcake", "seashore"), each of 3+ letters.
    return any(word[:i] in words and word[i:] in words for i in range(3, len(word) - 2))


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if ch.isalpha() else ""


def mixes_scripts(token: str) -> bool:
    """One word written in two alphabets ("ж漢ԁ字ф": Cyrillic and Han) is
    no word of any language (a Japanese word mixes kana and Han, which
    share no first name here: CJK / HIRAGANA / KATAKANA count as one)."""
    scripts = {_script(c) for c in token if c.isalpha()}
    scripts = {"CJK" if s in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL") else s for s in scripts}
    return len(scripts) > 1


def word_share(text: str) -> float | None:
    """The share of the content words of an English ``text`` that a
    dictionary knows; None for another language (the model's own reading
    decides there) or for nothing to read (symbols, emoji: 0.0). Words
    mixing alphabets are no words in any language."""
    mixed = [t for t in _TOKEN.findall(text) if mixes_scripts(t)]
    if mixed and len(mixed) == len(_TOKEN.findall(text)):
        return 0.0
    if language_of(text) is not None:
        return None
    # A capitalised word inside a query is most often a name ("Anna at the
    # beach"): no dictionary has it, and it makes nothing else nonsense.
    tokens = [t.lower() for i, t in enumerate(_TOKEN.findall(text))
              if not t.isdigit() and t.lower() not in _FUNCTION and not (i and t.istitle())]
    if not tokens:
        return 0.0
    words = english_words()
    if len(words) < 1000:  # neither dictionary is installed: nothing to judge by
        return None
    return sum(t.isalpha() and known(t, words) for t in tokens) / len(tokens)


def made_of_words(text: str) -> bool | None:
    """True when most of the query's content words are words (more than
    half: "grumbling sponicle" is not); None where it cannot be told here."""
    share = word_share(text)
    return None if share is None else share > 0.5
