"""Candidates, filtered and ranked: the vectors' neighbours of the answers, the rules every candidate
must pass, each one's score, and the N picked so that they are not near-twins (see engine.distractors.making)."""
import math
from dataclasses import dataclass

from engine.words import checks as check

ANCHORS = 3  # correct answers whose neighbours are searched (the first ones: the usual senses)
NEIGHBOURS = 300  # vector neighbours examined per correct answer; most fail the filters
FAMILY = 0.65  # cosine above which two distractors are one narrow family (チワワ / パグ 0.78, チワワ / 猫 0.60)
FAMILY_TOP = 5  # places at the top of a list that hold one member of a family each
RELEVANCE = 0.65  # weight of the score against redundancy when picking the N
MIN_RELATED = 0.2  # below this cosine a model's candidate earns nothing for the model's confidence
EXCLUDED_MINOR_POS = ("固有名詞", "数詞")  # names and numbers make poor vocabulary distractors


@dataclass
class Candidate:
    text: str
    source: str
    model_score: float = None  # mean log-probability per token (t5 only)
    score: float = 0.0
    key: str = ""  # vector key, for redundancy


def neighbours(anchors: list, vs) -> list:
    """Vector neighbours of the first few correct answers that share the answer's part of speech
    (an answer the vectors lack is placed by check.answer_vector)."""
    found = []
    for answer in anchors[:ANCHORS]:
        key = check.vector_key(answer, vs)
        where = key or check.answer_vector(answer, vs)  # an answer outside the vocabulary: its alias or parts
        if where is None:
            continue
        pos = check.analyse(answer).major_pos
        single = len(answer) == 1
        near = vs.kv.most_similar(key, topn=NEIGHBOURS) if key else vs.kv.similar_by_vector(where, topn=NEIGHBOURS)
        for word, _ in near:
            info = check.analyse(word)
            if pos and info.major_pos != pos:
                continue  # a verb's distractor is a verb: the quiz must not give itself away
            if len(info.pos) > 1 and info.pos[1] in EXCLUDED_MINOR_POS or info.inflected:
                continue
            if len(word) == 1 and not single:
                continue  # lone kanji are mostly fragments of compounds (柴, 仔)
            found.append(Candidate(word, "vectors", key=word))
    return found


def filter_candidates(pool: list, leaks: list, anchors: list, vs, whole=()) -> tuple:
    """Candidates that are real words, not an answer in disguise, and not a repeat of a kept one.

    whole: answers that leak only as the same word, not by containment (one-kanji lexicon forms)."""
    kept, dropped = [], []
    for cand in pool:
        cand.text = check.clean(cand.text)
        reason = check.invalid_reason(cand.text, vs)
        if reason:
            reason = f"invalid:{reason}"
        else:
            leak = check.leak_reason(cand.text, leaks, vs) or check.same_word_reason(cand.text, whole, vs)
            if leak:
                reason = f"leak:{leak}"
            elif any(check.disguise(cand.text, other.text, vs) in ("same", "script", "form", "vector")
                     for other in kept):
                reason = "duplicate"
        if reason:
            if reason != "duplicate":
                dropped.append({"text": cand.text, "source": cand.source, "reason": reason})
            continue
        cand.key = cand.key or check.vector_key(cand.text, vs)
        kept.append(cand)
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


def pick(cands: list, n: int, vs) -> list:
    """N candidates by score, each discounted by its likeness to those already picked; best score
    first, except that the first FAMILY_TOP places take one member of a narrow family each."""
    pool = sorted(cands, key=lambda c: c.score, reverse=True)
    chosen = []

    def likeness(a, b):
        if vs is None or not a.key or not b.key:
            return 0.0
        return max(0.0, float(vs.kv.similarity(a.key, b.key)))

    while pool and len(chosen) < n:
        best = max(pool, key=lambda c: RELEVANCE * c.score
                   - (1 - RELEVANCE) * max((likeness(c, p) for p in chosen), default=0.0))
        chosen.append(best)
        pool.remove(best)
    return one_per_family(sorted(chosen, key=lambda c: c.score, reverse=True), likeness)


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
