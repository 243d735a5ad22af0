"""The rules a word match is made by, shared by word search, exact phrases
and the page's highlighting: little words, Chinese/Japanese runs, codes and
words long enough to be looked for inside longer ones."""
from __future__ import annotations

import re

from sqlalchemy import and_, func, or_

from ..schema import Media, Segment

STOPWORDS = frozenset("a an the of on in at to for from with and or is are was my our your this that".split())
# Chinese and Japanese run words together: the word index (FTS5 unicode61, the
# 'simple' tsvector) keeps a run of them as one token ("龙井茶馆"), so a word
# of two or more such characters is also looked for inside longer runs.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def inside_worthy(word: str, letters: int = 4) -> bool:
    """Long enough to be looked for inside longer words, not everywhere: a
    code of 3+ with a digit, ``letters`` letters or more, or 2+
    Chinese/Japanese characters."""
    if CJK.search(word):
        return len(word) >= 2
    return len(word) >= (3 if any(c.isdigit() for c in word) else letters)


def held_inside(word: str, anywhere: bool):
    """The condition "a segment's text holds ``word`` with spaces ignored":
    in text read in pictures (spaces dropped or added by the reader), or, for
    Chinese/Japanese (``anywhere``: their runs are one token in the index),
    in any text. ``text IS NOT NULL`` (and the source) let SQLite read the
    texts from their index (ix_segment_text, m014) instead of every row,
    vectors and all."""
    read = func.replace(func.lower(Segment.text), " ", "").like(_pattern(word), escape="\\")
    if not anywhere:
        return and_(Segment.source == "ocr", Segment.text.is_not(None), read)
    # Other texts are matched as they are (a Chinese word has no case and no
    # spaces to drop): a third of the cost of lowering and rewriting each one.
    return and_(Segment.text.is_not(None), or_(and_(Segment.source == "ocr", read),
                                               Segment.text.contains(word, autoescape=True)))


def path_holds(word: str):
    """The condition "the file's path holds ``word``" (茶馆 in 龙井茶馆.jpg),
    for words without case (Chinese, Japanese): the paths as they are."""
    return Media.path.contains(word, autoescape=True)


def _pattern(word: str) -> str:
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def content_words(text: str) -> list[str]:
    """The words a word match is made by: little words never decide one ("a
    dog on the beach" must not require "a", "on" and "the" in the file
    name), unless there is nothing else."""
    words = re.findall(r"\w+", text.lower())
    return [w for w in words if w not in STOPWORDS] or words
