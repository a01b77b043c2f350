"""Search terms of catalog text: Chinese as character unigrams and bigrams, other scripts as words.

Written by hand because neither database segments Chinese: SQLite 3.40's FTS5 trigram tokenizer cannot
match a two-character term, and PostgreSQL's parser takes a run of Chinese characters as one token. Turning
text into terms here, once, gives both databases the same terms, so a query matches the same listings on
either. Bigrams find every two-character word (陈皮, 社保, 电力) without a dictionary; unigrams make
one-character queries work and are kept to the short fields (titles, provider, scenarios, field names),
where a single character means something and the index stays small.

Queries are cut into words first (jieba's dictionary segmentation) when a Chinese run is longer than two
characters, because people type phrases without spaces: 陈皮溯源 must find 新会陈皮产业溯源数据 although the
bigram 皮溯 straddles two words and appears nowhere. Each word then needs all its bigrams.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

# Han ideographs (with extension A and the compatibility block), kana and hangul: written without spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Longest word kept: longer runs are identifiers or noise, and terms must stay index-friendly.
MAX_WORD = 40


def _fold(word: str) -> str:
    """Light English folding, the same at index and query time: plural 's' goes (loans → loan, not 'ss')."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and not word.isdigit():
        return word[:-1]
    return word


def _normalize(text: str) -> str:
    # NFKC turns full-width letters and digits (ＡＰＩ, １２) into ASCII; casefold handles the rest.
    return unicodedata.normalize("NFKC", text or "").casefold()


def terms(text: str, *, unigrams: bool) -> list[str]:
    """The index terms of a text, in order of appearance, without repeats."""
    out: dict[str, None] = {}
    for cjk, word in _RUNS.findall(_normalize(text)):
        if cjk:
            if unigrams or len(cjk) == 1:
                out.update(dict.fromkeys(cjk))
            out.update(dict.fromkeys(cjk[i:i + 2] for i in range(len(cjk) - 1)))
        elif len(word) <= MAX_WORD:
            out[_fold(word)] = None
    return list(out)


_segmenter = None
_segmenter_lock = threading.Lock()


def _words(run: str) -> list[str]:
    """Dictionary words of a Chinese run (jieba loads its dictionary once, on the first long query)."""
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _segmenter = jieba
    return [word for word in _segmenter.cut(run) if word.strip()]


def query_terms(query: str) -> list[str]:
    """The terms a listing must hold to match.

    One or two Chinese characters are themselves; a longer run is cut into words, each needing its bigrams,
    and one-character words inside it (particles such as 的, 和) are dropped unless nothing else is left."""
    out: dict[str, None] = {}
    for cjk, word in _RUNS.findall(_normalize(query)):
        if not cjk:
            if len(word) <= MAX_WORD:
                out[_fold(word)] = None
            continue
        pieces = [cjk] if len(cjk) <= 2 else _words(cjk)
        long = [piece for piece in pieces if len(piece) > 1]
        for piece in long or pieces:
            if len(piece) == 1:
                out[piece] = None
            else:
                out.update(dict.fromkeys(piece[i:i + 2] for i in range(len(piece) - 1)))
    return list(out)


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text or ""))
