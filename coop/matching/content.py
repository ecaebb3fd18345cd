"""What a need says, read for matching: Chinese words (jieba with our own dictionary, stop
words and synonym groups), a BM25 index of one community's candidates, the kinds of resource a
need can use, and the words a suggestion is shown with. No database here.

jieba loads its dictionary once per process, on the first call that tokenises (about 1 s): the
matching run and the quality bench pay it, pages that only read stored suggestions never do.
"""

import logging
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from rank_bm25 import BM25Okapi

from coop.resources.models import ResourceKind

_WORDS = resources.files("coop.matching") / "words"
_lock = threading.Lock()
_tokenizer = None


def _load():
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba  # imported here: the import alone builds nothing, but keep it lazy

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            with resources.as_file(_WORDS / "dictionary.txt") as path:
                tokenizer.load_userdict(str(path))
            _tokenizer = tokenizer
    return _tokenizer


def _lines(name: str) -> list[str]:
    text = (_WORDS / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return frozenset(_lines("stopwords.txt"))


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """word → the first word of its group (what both sides are scored and shown by)."""
    found: dict[str, str] = {}
    for line in _lines("synonyms.txt"):
        head, *rest = line.split()
        for word in (head, *rest):
            found.setdefault(word, head)
    return found


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """The words of a text that can match, each synonym group folded onto its first word, in
    order, repeated as often as they occur (BM25 counts them). Words of one character,
    punctuation, words with a digit (house numbers, codes) and stop words are left out."""
    if not text:
        return ()
    stop, same = stop_words(), synonyms()
    found = []
    for word in _load().cut_for_search(text.lower()):
        word = word.strip()
        if len(word) < 2 or word in stop or any(c.isdigit() for c in word):
            continue
        found.append(same.get(word, word))
    return tuple(found)


# --- Which kinds of resource a need can use ----------------------------------------------------

# People (志愿服务, 专业技能) can do what any need asks. A venue, goods or funds help only a need
# that asks for a place, things or money in so many words: a venue cannot repair a light.
PEOPLE = frozenset({ResourceKind.VOLUNTEERS, ResourceKind.EXPERTISE})
ASKS_FOR: dict[ResourceKind, frozenset[str]] = {
    ResourceKind.VENUE: frozenset(
        {"场地", "场所", "地方", "礼堂", "助餐", "排练", "放映", "展览", "观影", "户外"}
    ),
    ResourceKind.GOODS: frozenset(
        {
            "物资",
            "设备",
            "工具",
            "器材",
            "用品",
            "物品",
            "慰问",
            "资料",
            "展板",
            "书籍",
            "图书",
            "适老化改造",
            "轮椅",
            "辅具",
            "灭火器",
            "投影",
            "投影仪",
            "奖品",
            "米面油",
            "分类桶",
            "垃圾桶",
            "宣传册",
            "海报",
            "折页",
            "党旗",
            "摄像头",
            "灯泡",
        }
    ),
    ResourceKind.FUNDS: frozenset(
        {"经费", "资金", "费用", "补助", "补贴", "资助", "基金", "赞助", "奖品", "材料费"}
    ),
}


def usable_kinds(words: Iterable[str]) -> frozenset[ResourceKind]:
    """The kinds of resource a need with these words can use (the kind-compatibility rule)."""
    words = set(words)
    return PEOPLE | frozenset(kind for kind, asks in ASKS_FOR.items() if words & asks)


# --- One community's index of candidates -------------------------------------------------------


class _BM25(BM25Okapi):
    """rank-bm25's Okapi BM25 with the idf that Lucene uses, log(1 + (N − n + 0.5) / (n + 0.5)):
    never zero or negative. The library's own Okapi idf is zero for a word in half the texts and
    negative above (then floored at a fraction of the average, zero in a corpus of two), which
    in a community with a handful of resources would make every match score nothing."""

    def _calc_idf(self, nd):
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))
        self.average_idf = sum(self.idf.values()) / len(self.idf) if self.idf else 0.0


@dataclass
class Index:
    """BM25 over one community's candidates of one type (their texts' words), with an inverted
    index so that a need is scored only against the candidates sharing a word with it."""

    ids: list[int]
    docs: list[tuple[str, ...]]
    bm25: _BM25 | None = None
    postings: dict[str, list[int]] = field(default_factory=dict)  # word → positions in ids
    _memo: dict = field(default_factory=dict)
    _order: dict = field(default_factory=dict)  # word → its place, rarest first

    @classmethod
    def build(cls, items: Iterable[tuple[int, tuple[str, ...]]]) -> "Index":
        ids, docs = [], []
        for candidate_id, words in items:
            ids.append(candidate_id)
            docs.append(words)
        index = cls(ids, docs)
        if any(docs):
            # rank-bm25 divides by the average length: give an empty text one filler word.
            index.bm25 = _BM25([list(d) or ["\0"] for d in docs])
        for position, words in enumerate(docs):
            for word in set(words):
                index.postings.setdefault(word, []).append(position)
        return index

    def scores(self, query: tuple[str, ...]) -> dict[int, tuple[float, tuple[str, ...]]]:
        """candidate id → (BM25 relative to the best candidate, 0–1; the words that matched,
        rarest first) for the candidates sharing a word with ``query``. Same query, same
        answer: needs that say the same thing are scored once."""
        key = tuple(sorted(set(query)))
        if key in self._memo:
            return self._memo[key]
        hits = sorted({p for word in key for p in self.postings.get(word, ())})
        found: dict[int, tuple[float, tuple[str, ...]]] = {}
        if hits and self.bm25 is not None:
            raw = [float(x) for x in self.bm25.get_batch_scores(list(key), hits)]
            best = max(raw)
            if not self._order:  # rarest first, then by the word: the order words are shown in
                idf = self.bm25.idf
                ranked = sorted(idf, key=lambda w: (-idf[w], w))
                self._order.update((w, i) for i, w in enumerate(ranked))
            asked = set(key)
            for position, score in zip(hits, raw, strict=True):
                if score <= 0 or best <= 0:
                    continue
                matched = sorted(asked.intersection(self.docs[position]), key=self._order.get)
                found[self.ids[position]] = (score / best, tuple(matched))
        self._memo[key] = found
        return found


def shown_words(matched: tuple[str, ...], limit: int = 4) -> list[str]:
    """The matched words a suggestion shows, rarest first."""
    return list(matched[:limit])


def relevance_points(relative: float, weight: float) -> float:
    """Content's share of a score: ``weight`` for the best text match, less for weaker ones."""
    return round(weight * relative, 2) if relative > 0 and not math.isnan(relative) else 0.0
