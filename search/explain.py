"""Why a hit is a hit: the signals that put it in the list, each with its share
of the score the list is sorted by, for the page's badges, the CLI's reason
column and the JSON's ``why``.

Signals: ``picture`` (the vector match of a picture, a video frame, what was
said or tagged: the scoring segment), ``moment`` (which part of a video or
recording), ``words`` (which field held the query's words: file name,
folder, tags, what was said, the place name, a caption; with the span),
``place`` and ``date`` (filters read from the query), ``example`` /
``feedback`` (query by example, "more like this"), ``caption`` (reranking),
``sound`` (a sound event: "music 00:41-01:20"), ``not`` (how a negated word
moved the hit: search/negatives.py).
"""
from __future__ import annotations

import json
import os
import re

from mediasearch.store.catalog.word_rules import CJK, inside_worthy

from .engine import RRF_K, Result
from .interpret import Interpretation

_WORD = re.compile(r"[^\W_]+")
SEGMENT_FIELD = {"transcript": "what was said", "metadata": "tags and name", "image": "place name",
                 "frame": "place name", "caption": "caption", "ocr": "text in the picture",
                 "sound": "its sound"}
# What matched by likeness, named by where its vector came from: the CLI's
# reason and the page's badge ("picture 0.31", "words read 0.42").
LABEL = {"image": "picture", "frame": "video frame", "transcript": "what was said", "metadata": "tags",
         "caption": "caption", "ocr": "words read", "sound": "sound"}
WHAT = {"image": "the picture", "frame": "a video frame", "transcript": "what was said",
        "metadata": "its tags and name", "caption": "its caption", "ocr": "the text in it",
        "sound": "what it sounds like"}


def _words(text: str | None) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "")}


def matched(query_words: set[str], text: str | None, inside: bool = False) -> set[str]:
    """The words of ``text`` the query matched, as the word index matches
    them: the same word; for a code (a word with digits, "RE16") a word it
    begins ("RE16TGK"); in text read in a picture (``inside``), a longer
    word holding it ("Quarterlyinvoice7731")."""
    found = set()
    codes = [q for q in query_words if any(c.isdigit() for c in q)]
    long = [q for q in query_words if inside_worthy(q) and (inside or CJK.search(q))]
    for w in _words(text):
        if w in query_words or any(w.startswith(c) for c in codes) or any(q in w for q in long):
            found.add(w)
    return found


def _fields(r: Result, query_words: set[str]) -> list[dict]:
    """Where the query's words are: the file's name, its folders, the
    matched segment's text (with the span: the words around them; for words
    in a picture, the boxes they were read in)."""
    out = []
    stem = os.path.splitext(os.path.basename(r.path))[0]
    for field, text in (("file name", stem), ("folder", os.path.basename(os.path.dirname(r.path)))):
        hit = matched(query_words, text)
        if hit:
            out.append({"field": field, "text": text, "matched": sorted(hit)})
    words = r.words or {}
    text = words.get("text")
    hit = matched(query_words, text, inside=words.get("source") == "ocr")
    if text and hit:
        name = SEGMENT_FIELD.get(words.get("source") or "", "words")
        if words.get("source") == "ocr" and r.kind == "video":
            name = "words on screen"
        field = {"field": name, "text": span(text, hit),
                 "matched": sorted(hit), "start": words.get("start"), "end": words.get("end")}
        if words.get("spans"):
            field["boxes"] = _boxes(words["spans"], hit)
        out.append(field)
    return out


def _boxes(spans: str, hit: set[str]) -> list[list[list[float]]]:
    """The boxes (corners as fractions of the picture) of the lines read
    that hold a matched word."""
    try:
        lines = json.loads(spans)
    except ValueError:
        return []
    return [ln["box"] for ln in lines if isinstance(ln, dict) and "box" in ln and _words(ln.get("text")) & hit]


def span(text: str, hit: set[str], around: int = 60) -> str:
    """The part of a long text around the first matched word."""
    if len(text) <= 2 * around:
        return text
    m = next((m for m in _WORD.finditer(text) if m.group(0).lower() in hit), None)
    if m is None:
        return text[:2 * around] + "…"
    a, b = max(0, m.start() - around), min(len(text), m.end() + around)
    return ("…" if a else "") + text[a:b] + ("…" if b < len(text) else "")


def explain(r: Result, it: Interpretation | None) -> list[dict]:
    parts = r.why or {}
    out: list[dict] = []
    if parts.get("recent") or parts.get("filters") or parts.get("event"):
        pass  # listed, not ranked: only the filters below say why
    elif "best_moment" in parts:
        out.append({"signal": "example", "weight": 1.0, "score": parts["best_moment"],
                    "text": _moments(r, parts.get("moments_matched", 1), parts.get("example_moments", 1))})
    else:
        fused = "picture_rank" in parts or "words_rank" in parts
        best = 2.0 / (RRF_K + 1)
        if parts.get("picture_rank") or not fused:
            weight = (1.0 / (RRF_K + parts["picture_rank"]) / best) if fused else 1.0
            out.append({"signal": "picture", "weight": round(weight, 3),
                        "score": parts.get("similarity", r.score), "source": r.source,
                        "label": LABEL.get(r.source or "", "picture"),
                        "text": f"{WHAT.get(r.source or '', 'its content')} looks like the query"})
        if parts.get("words_rank"):
            qwords = _words(it.semantic if it else "")
            out.append({"signal": "words", "weight": round(1.0 / (RRF_K + parts["words_rank"]) / best, 3),
                        "fields": _fields(r, qwords)})
    if r.start is not None:
        out.append({"signal": "moment", "start": r.start, "end": r.end, "source": r.source})
    if it is not None:
        read = [rd.label for rd in it.readings if rd.type == "place"]
        out += [{"signal": "place", "text": label} for label in read or [f"taken in {p}" for p in it.places]]
        out += [{"signal": "date", "text": rd.label} for rd in it.readings if rd.type == "date"]
        out += [{"signal": "words", "text": rd.label, "exact": True} for rd in it.readings if rd.type == "exact"]
    if r.people:
        out.append({"signal": "people", "text": "with " + " and ".join(r.people)})
    elif parts.get("faces"):
        n = parts["faces"]
        out.append({"signal": "people", "text": f"{n} face{'s' if n > 1 else ''} in it"})
    out += _sound(r)
    if "negated_likeness" in parts and it is not None:
        nots = ", ".join(f"“{n}”" for n in it.nots) or "what was excluded"
        out.append({"signal": "not", "score": parts["negated_likeness"],
                    "text": f"its own words name {nots}: listed last" if parts.get("named_negated")
                    else f"ordered by likeness to the query less likeness to {nots}"})
    if r.caption:
        out.append({"signal": "caption", "text": r.caption, "score": r.rerank_score})
    return out


def _moments(r: Result, found: int, asked: int) -> str:
    """A file found by the moments of an example video: a video shares
    them; a still photo only looks like some of them."""
    if asked <= 1:
        return "looks like the example"
    if r.kind == "video" and found:
        return f"shares {found} of the example's {asked} moments"
    return "looks like a moment of the example"


def _sound(r: Result) -> list[dict]:
    """A sound event that scored or matched by words: "music 00:41-01:20"."""
    for source, text, start, end in ((r.source, r.text, r.start, r.end),
                                     ((r.words or {}).get("source"), (r.words or {}).get("text"),
                                      (r.words or {}).get("start"), (r.words or {}).get("end"))):
        if source == "sound" and text and start is not None:
            label = text.split(" - ", 1)[0]
            return [{"signal": "sound", "text": f"{label} {_clock(start)}-{_clock(end or start)}",
                     "start": start, "end": end}]
    return []


def _clock(t: float) -> str:
    t = int(round(t))
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}" if t >= 3600 else f"{t // 60:02d}:{t % 60:02d}"


def reason(why: list[dict]) -> str:
    """A short reason for the terminal: "picture 0.31 + name "IMG_2041" · July 2019"."""
    bits = []
    for w in why:
        s = w["signal"]
        if s == "picture":
            bits.append(f"{w.get('label', 'picture')} {w['score']:.2f}")
        elif s == "words" and w.get("fields"):
            bits.append("words in " + ", ".join(f["field"] for f in w["fields"]))
        elif s == "words" and w.get("text"):
            bits.append(w["text"])
        elif s in ("place", "date", "example", "sound", "people"):
            bits.append(w["text"])
        elif s == "caption":
            bits.append("caption")
    return " · ".join(bits)
