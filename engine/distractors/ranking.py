"""Candidates, filtered and ranked: the vectors' neighbours of the answers, the rules every candidate
must pass, each one's score, and the N picked so that they are not near-twins (see engine.distractors.making)."""
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from engine.words import checks as check
from engine.words.lexicon import kind_relation, usual_translations
from engine.words.same_words import SameWords

ANCHORS = 3  # correct answers whose neighbours are searched (the first ones: the usual senses)
NEIGHBOURS = 300  # vector neighbours examined per correct answer; most fail the filters
FAMILY = 0.65  # cosine above which two distractors are one narrow family (チワワ / パグ 0.78, チワワ / 猫 0.60)
TWIN = 0.8  # cosine above which two options mean nearly the same to a student (晩飯 / 夕食)
FAMILY_TOP = 5  # places at the top of a list that hold one member of a family each
RELEVANCE = 0.65  # weight of the score against redundancy when picking the N
MIN_RELATED = 0.2  # below this cosine a model's candidate earns nothing for the model's confidence
COMMON = 40  # the answer's nearest usual translations offered (engine.distractors.ranking.common_words)
HEAD_MATES = 20  # words sharing a compound answer's last kanji offered per answer (会計士: 弁護士, 税理士)
HEAD_RELATED = 0.3  # below this cosine a shared kanji is a coincidence (力士 for 会計士: 0.16)
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
EXCLUDED_MINOR_POS = ("固有名詞", "数詞")  # names and numbers make poor vocabulary distractors
# The best of each source by score (cosine, or the model's confidence) that the ranker chooses among:
# enough that a word's good options are in it, few enough to rank 30 words in a few seconds.
SHORTLIST = {"vectors": 60, "common": COMMON, "head": 20, "t5": 16, "dictionary": 6}


@dataclass
class Candidate:
    text: str
    source: str
    model_score: float = None  # mean log-probability per token (t5 only)
    score: float = 0.0
    key: str = ""  # vector key, for redundancy
    kind: str = ""  # "narrower" / "broader" / "family" than the answer, or "slot" (misses the answer's slot): last


def neighbours(anchors: list, vs) -> list:
    """Vector neighbours of the first few correct answers that share the answer's part of speech
    (an answer the vectors lack is placed by check.answer_vector)."""
    found = []
    for answer in anchors[:ANCHORS]:
        key = check.vector_key(answer, vs)
        where = key or check.answer_vector(answer, vs)  # an answer outside the vocabulary: its alias or parts
        if where is None:
            continue
        near = vs.kv.most_similar(key, topn=NEIGHBOURS) if key else vs.kv.similar_by_vector(where, topn=NEIGHBOURS)
        found += [Candidate(word, "vectors", key=word) for word, _ in near if _fits(word, answer)]
    return found


def head_mates(anchors: list, vs) -> list:
    """Words of the vectors that end in the same kanji as a compound answer, closest first (会計士:
    弁護士, 税理士; 提供者: 消費者): things of the same sort, named the same way, found even when the
    vectors' neighbours of the answer are few."""
    import numpy as np

    found = []
    for answer in anchors[:ANCHORS]:
        where = check.answer_vector(answer, vs)
        words = _ending_in(vs).get(answer[-1], []) if len(answer) > 1 and KANJI.fullmatch(answer[-1]) else []
        words = [w for w in words if w != answer]
        if where is None or not words:
            continue
        cosines = np.array([vs.kv.get_vector(w, norm=True) for w in words]) @ where
        ranked = [words[i] for i in np.argsort(-cosines) if cosines[i] >= HEAD_RELATED]
        found += [Candidate(w, "head", key=w) for w in ranked if _fits(w, answer)][:HEAD_MATES]
    return found


def common_words(anchors: list, vs) -> list:
    """The words nearest the answer among those that are some English word's usual translation (the
    lexicon's first form: 鳥 for bird, 魚 for fish): plain school vocabulary, reached past the vectors'
    first NEIGHBOURS, where fragments and rare words crowd in."""
    words, unit = _usual_translations(vs, len(usual_translations()))  # a reloaded lexicon is a new key
    found = []
    for answer in anchors[:ANCHORS]:
        where = check.answer_vector(answer, vs)
        if where is None or not words:
            continue
        cosines = unit @ where
        ranked = [words[i] for i in cosines.argsort()[::-1][:4 * COMMON]]
        found += [Candidate(w, "common", key=w) for w in ranked if w != answer and _fits(w, answer)][:COMMON]
    return found


@lru_cache(maxsize=2)
def _usual_translations(vs, _size: int) -> tuple:
    """(words, their unit vectors): the lexicon's usual translations that the vectors hold as rows."""
    import numpy as np

    words = sorted(w for w in usual_translations() if w in vs)
    unit = np.array([vs.kv.get_vector(w, norm=True) for w in words]) if words else np.zeros((0, vs.vector_size))
    return words, unit


@lru_cache(maxsize=2)
def _ending_in(vs) -> dict:
    """Last character -> the words of two characters or more that end in it, in the vectors' order."""
    found = {}
    for word in vs.kv.index_to_key:
        if len(word) > 1:
            found.setdefault(word[-1], []).append(word)
    return found


def _fits(word: str, answer: str) -> bool:
    """Whether a neighbour can stand beside `answer` in a quiz: the same part of speech (a verb's
    distractor is a verb, or the quiz gives itself away), no name or number, no inflected form,
    and no lone kanji for a longer answer (mostly fragments of compounds: 柴, 仔)."""
    pos = check.analyse(answer).slot_pos
    info = check.analyse(word)
    if pos and info.slot_pos != pos:
        return False
    if len(info.pos) > 1 and info.pos[1] in EXCLUDED_MINOR_POS or info.inflected:
        return False
    return not (len(word) == 1 and len(answer) > 1)


def filter_candidates(pool: list, leaks: list, anchors: list, vs, whole=()) -> tuple:
    """Candidates that are real words, not an answer in disguise, and not a repeat of a kept one.

    whole: answers that leak only as the same word, not by containment (one-kanji lexicon forms)."""
    kept, dropped, seen = [], [], SameWords(vs)
    for cand in pool:
        cand.text = check.clean(cand.text)
        reason = check.invalid_reason(cand.text, vs)
        if reason:
            reason = f"invalid:{reason}"
        else:
            leak = check.leak_reason(cand.text, leaks, vs) or check.same_word_reason(cand.text, whole, vs)
            if leak:
                reason = f"leak:{leak}"
            elif seen.seen(cand.text):
                reason = "duplicate"
        if reason:
            if reason != "duplicate":
                dropped.append({"text": cand.text, "source": cand.source, "reason": reason})
            continue
        cand.key = cand.key or check.vector_key(cand.text, vs)
        kept.append(cand)
        seen.add(cand.text)
    return kept, dropped


def score(cand: Candidate, anchors: list, vs) -> float:
    cosine = check.closeness(cand.text, anchors, vs) if vs is not None and anchors else None
    if cosine is not None:
        cosine = max(0.0, cosine)
    if cand.source == "t5" and cand.model_score is not None:
        confidence = math.exp(cand.model_score)  # relative to the model's best candidate for the word
        if cosine is None:
            return confidence / 2  # relatedness unknown: half the credit
        return cosine if cosine < MIN_RELATED else (cosine + confidence) / 2
    return cosine if cosine is not None else 0.0


def mark_kinds(cands: list, english: str, anchors: list, vs) -> None:
    """Flag the candidates that are a kind of the answer, or that the answer is a kind of (パグ or 木 for
    犬 or 松: a student would rightly call them correct), and the members of a flagged narrow family
    (チワワ beside パグ, "variety of dog"), since the dictionary names the kind of only some of them."""
    for cand in cands:
        cand.kind = kind_relation(cand.text, english, anchors[:ANCHORS])
    narrower = [c for c in cands if c.kind == "narrower"]
    for cand in cands:
        if not cand.kind and any(likeness(cand, other, vs) >= FAMILY for other in narrower):
            cand.kind = "family"


def shortlist(cands: list) -> list:
    """The best SHORTLIST[source] candidates of each source by score, in source order."""
    found = []
    for source, take in SHORTLIST.items():
        found += _best_first([c for c in cands if c.source == source])[:take]
    return found


def likeness(a: Candidate, b: Candidate, vs) -> float:
    if vs is None or not a.key or not b.key:
        return 0.0
    return max(0.0, float(vs.kv.similarity(a.key, b.key)))


def pick(cands: list, n: int, vs) -> list:
    """N candidates by score, each discounted by its likeness to those already picked; best score
    first, except that the first FAMILY_TOP places take one member of a narrow family each. Kinds of
    the answer (mark_kinds) come only after all the others, when too few others are left."""
    def alike(a, b):
        return likeness(a, b, vs)

    chosen = _diverse([c for c in cands if not c.kind], n, alike, [])
    kinds = _diverse([c for c in cands if c.kind], n - len(chosen), alike, chosen)
    return one_per_family(_best_first(chosen), alike) + _best_first(kinds)


def pick_ranked(first: list, rest: list, n: int, vs) -> list:
    """N by the ranker's score, `first` before `rest`, skipping a near-twin of one already picked (one
    meaning: a shared JMdict gloss, or a cosine of TWIN or more; a student strikes both) and keeping
    kinds of the answer for last. Best first, one member of a narrow family each in the top places."""
    from engine.distractors.rules import shares_gloss

    chosen = []
    for group in (first, rest):
        for kinds_too in (False, True):
            for cand in _best_first([c for c in group if bool(c.kind) == kinds_too]):
                if len(chosen) < n and not any(likeness(cand, p, vs) >= TWIN for p in chosen) \
                        and not shares_gloss(cand.text, [p.text for p in chosen]):
                    chosen.append(cand)
    return one_per_family(_best_first([c for c in chosen if not c.kind]), lambda a, b: likeness(a, b, vs)) \
        + _best_first([c for c in chosen if c.kind])


def _best_first(found: list) -> list:
    return sorted(found, key=lambda c: c.score, reverse=True)


def _diverse(pool: list, n: int, alike, before: list) -> list:
    """Up to n of `pool`, each the best 0.65 × score − 0.35 × likeness to any picked one (or `before`)."""
    pool, chosen = _best_first(pool), []
    while pool and len(chosen) < n:
        best = max(pool, key=lambda c: RELEVANCE * c.score
                   - (1 - RELEVANCE) * max((alike(c, p) for p in before + chosen), default=0.0))
        chosen.append(best)
        pool.remove(best)
    return chosen


def one_per_family(ordered: list, likeness, top: int = None) -> list:
    """`ordered` with its first `top` places given to candidates unlike every one placed before them
    (cosine below FAMILY): asked for 20 distractors of 犬, the first five are not five dog breeds.
    The others follow in their order, so nothing is dropped when one family is all there is."""
    top = FAMILY_TOP if top is None else top
    head, rest = [], []
    for cand in ordered:
        fits = len(head) < top and all(likeness(cand, other) < FAMILY for other in head)
        (head if fits else rest).append(cand)
    return head + rest
