"""A row's candidates from every source, through every rule, and the N chosen among them (see the
docstring of engine.distractors.making for the sources and the leak rules, engine.distractors.rules
for the teacher's rules, engine.distractors.ranker for the ranker learned from teachers' labels)."""
from engine.core.messages import StudioError, listing
from engine.distractors import ranker, rules
from engine.distractors.answers import placed
from engine.distractors.ranking import (ANCHORS, Candidate, common_words, filter_candidates, head_mates, mark_kinds,
                                        neighbours, pick, pick_ranked, score, shortlist)
from engine.words import checks as check
from engine.words.lexicon import related

SAME_ROW = 0.999  # cosine at which a candidate sits on the answer's own vector


def gather(row: dict, t5_candidates: list, vs, has_model: bool) -> tuple:
    """Every candidate of every source that passes the rules, scored and marked by kind, and the
    dropped ones with their reason: what `choose` picks from (and what the judged set labels)."""
    english, anchors = row["english"], row["anchors"]
    if not english:
        raise StudioError("distractors.empty_input")
    if not anchors and not has_model:
        raise StudioError("distractors.need_correct_or_model", word=english)
    # 有名な, 勉強する, 母国の are placed as 有名, 勉強, 母国; a kana answer by its kanji (おい: 甥)
    stems = [placed(rules.base(a), english, vs) for a in anchors]
    best = max((c.score for c in t5_candidates if c.score is not None), default=0.0)
    pool = [Candidate(c.text, "t5", model_score=None if c.score is None else c.score - best) for c in t5_candidates]
    pool += [Candidate(w, "dictionary", key=check.vector_key(w, vs)) for a in stems[:ANCHORS] for w in related(a)]
    if vs is not None and anchors:
        near = neighbours(stems, vs) + common_words(stems, vs) + head_mates(stems, vs)
        if not near and not has_model and not pool:
            raise StudioError("distractors.correct_not_in_vectors", correct=listing(anchors), source=vs.name)
        pool += near
    kept, dropped = filter_candidates(pool, row["leaks"] + stems, anchors, vs, row.get("whole", ()))
    kept, dropped, misfits = _teacher_rules(kept, dropped, anchors)
    for cand in kept:
        cand.score = score(cand, stems, vs)
    # chiVe stores 母国 as an alias of 祖国: a candidate on the answer's own row is the answer again.
    alias = [c for c in kept if (check.closeness(c.text, stems, vs) or 0.0) >= SAME_ROW] if vs is not None else []
    dropped += [{"text": c.text, "source": c.source, "reason": "leak:alias"} for c in alias]
    kept = [c for c in kept if c not in alias]
    mark_kinds(kept, english, stems, vs)
    for cand in misfits:
        cand.kind = cand.kind or "slot"
    return kept, dropped


def _teacher_rules(kept: list, dropped: list, anchors: list) -> tuple:
    """engine.distractors.rules over the candidates that passed the leak rules: (kept, dropped, misfits).
    A candidate that only misses the answer's slot (a place for a person) is kept as a misfit, offered
    like a kind of the answer, after all the others: a row must still hold N options."""
    kind = rules.slot(anchors[0]) if anchors else ""
    passed, misfits = [], []
    for cand in kept:
        why = rules.reason(cand.text, anchors, kind)
        if why == "slot":
            misfits.append(cand)
        elif why:
            dropped.append({"text": cand.text, "source": cand.source, "reason": f"rule:{why}"})
            continue
        passed.append(cand)
    return passed, dropped, misfits


def choose(kept: list, row: dict, n: int, vs) -> list:
    """The N to show: by the ranker learned from teachers' labels, first among each source's shortlist,
    then among the rest (a row holds N whenever N are left); by the vectors' scores without a ranker."""
    anchors = row["anchors"]
    kind = rules.slot(anchors[0]) if anchors else ""
    first = shortlist(kept)
    if not anchors or not ranker.rank(first, row["english"], anchors[0], kind, vs):
        return pick(kept, n, vs)
    chosen_ids = {id(c) for c in first}
    rest = [c for c in kept if id(c) not in chosen_ids]
    for cand in rest:
        cand.score = 0.0  # unranked: only when the shortlist runs out
    return pick_ranked(first, rest, n, vs)
