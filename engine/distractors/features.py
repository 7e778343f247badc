"""What the ranker (engine.distractors.ranker) knows of one candidate: numbers from the word vectors,
the model, SudachiPy and the JMdict lexicon. The same function serves the ranker's training
(tools/train_ranker.py, over the judged pools) and the app, so the two never disagree."""
import math
import re

from engine.distractors import rules
from engine.words import checks as check
from engine.words.lexicon import gloss_set, glosses, is_dictionary_word, is_usual_word, kinds

NAMES = (
    "cosine", "no_cosine", "confidence", "from_t5", "from_vectors", "from_head", "from_dictionary",
    "rarity", "not_in_vectors", "first_form_of", "glosses", "in_dictionary", "usual", "kind", "misfit",
    "length", "length_gap", "kana_only", "katakana", "all_kanji", "same_minor_pos", "same_last_char",
    "slot_person", "slot_na", "slot_suru", "answer_verb", "answer_adjective", "answer_noun", "one_char",
    "shares_kind", "english_suffix_match", "cosine_squared", "common_and_close", "slot_no", "kana_for_kanji",
    "same_pos_detail", "from_common", "cosine_rank", "cosine_below_best", "centrality", "centrality_rank",
)
PEERS = 10  # the closest other candidates whose cosines make a candidate's centrality
# The shape of an English word says what kind of thing it names: a quiz word and a distractor's
# English gloss of the same shape are of the same kind (dentist / veterinarian, kindness / honesty).
SUFFIXES = (("person", re.compile(r".(?:er|or|ist|ian|ant|ent|ee|man|woman)$")),
            ("abstract", re.compile(r".(?:tion|sion|ment|ness|ity|ance|ence|ism|ship|hood|dom)$")),
            ("adverb", re.compile(r".ly$")), ("adjective", re.compile(r".(?:ous|al|ful|less|ive|able|ible|ic|y)$")))


def _shape(english: str) -> str:
    return next((name for name, pattern in SUFFIXES if pattern.search(english)), "")


def _rarity(key: str, vs) -> float:
    """0 for the vectors' most frequent word, 1 for their last (chiVe keeps frequency order); 1.2 outside."""
    if not key:
        return 1.2
    return math.log1p(vs.kv.key_to_index[key]) / math.log1p(len(vs.kv.index_to_key))


def _suffix_match(english: str, word: str) -> float:
    shape = _shape(english.lower())
    return float(bool(shape) and any(_shape(g) == shape for g in gloss_set(word) if " " not in g))


def values(cand, english: str, answer: str, kind: str, vs) -> list:
    """The feature values of `cand` (a ranking.Candidate, kind-marked) for an English word whose answer
    fills a slot of `kind` (engine.distractors.rules.slot)."""
    word, stem = check.clean(cand.text), rules.base(answer)
    info, answer_info = check.analyse(word), check.analyse(stem)
    cosine = check.closeness(word, [stem], vs) if vs is not None else None
    confidence = math.exp(cand.model_score) if cand.model_score is not None else 0.0
    key = check.vector_key(word, vs) if vs is not None else ""
    rarity = _rarity(key, vs)
    return [
        cosine or 0.0, float(cosine is None), confidence,
        float(cand.source == "t5"), float(cand.source == "vectors"), float(cand.source == "head"),
        float(cand.source == "dictionary"),
        rarity, float(not key),
        math.log1p(len(glosses(word))), math.log1p(len(gloss_set(word))), float(is_dictionary_word(word)),
        float(is_usual_word(word)), float(bool(cand.kind) and cand.kind != "slot"), float(cand.kind == "slot"),
        float(len(word)), float(abs(len(word) - len(stem))),
        float(check.is_kana(word)), float(bool(word) and all("\u30a1" <= c <= "\u30ff" for c in word)),
        float(bool(word) and all(check.KANJI.match(c) for c in word)),
        float(info.pos[1:2] == answer_info.pos[1:2]), float(word[-1:] == stem[-1:]),
        float(kind == "person"), float(kind in ("na", "teki")), float(kind == "suru"),
        float(answer_info.major_pos == "動詞"), float(answer_info.major_pos in ("形容詞", "形状詞")),
        float(answer_info.major_pos == "名詞"), float(len(word) == 1),
        float(bool(kinds(word) & kinds(stem))), _suffix_match(english, word),
        (cosine or 0.0) ** 2, (cosine or 0.0) * (1.2 - rarity), float(kind == "no"),
        float(check.is_kana(word) and bool(info.normalized) and info.normalized != word
              and any(check.KANJI.match(c) for c in info.normalized)),
        float(rules.pos_detail(word) == rules.pos_detail(stem)), float(cand.source == "common"),
    ]


def table(cands: list, english: str, answer: str, kind: str, vs) -> list:
    """The feature rows of a word's candidates: each one's own values, then where it stands among the
    others (its cosine's rank, how far below the best; how close it sits to its peers: siblings of one
    kind, 猫 and 羊 for 犬, sit close together, things from around the answer, 首輪, do not)."""
    import numpy as np

    rows = [values(c, english, answer, kind, vs) for c in cands]
    if not rows:
        return rows
    cosines = np.array([r[0] for r in rows])
    central = _centrality(cands, vs)
    cosine_rank, central_rank = _percentiles(cosines), _percentiles(central)
    best = cosines.max()
    for i, row in enumerate(rows):
        row += [cosine_rank[i], float(best - cosines[i]), float(central[i]), central_rank[i]]
    return rows


def _centrality(cands: list, vs):
    import numpy as np

    keys = [check.vector_key(c.text, vs) if vs is not None else "" for c in cands]
    found = np.zeros(len(cands))
    placed = [i for i, k in enumerate(keys) if k]
    if len(placed) < 2:
        return found
    unit = np.array([vs.kv.get_vector(keys[i], norm=True) for i in placed])
    sims = unit @ unit.T
    np.fill_diagonal(sims, -1.0)
    top = np.sort(sims, axis=1)[:, -min(PEERS, len(placed) - 1):]
    found[placed] = top.mean(axis=1)
    return found


def _percentiles(values) -> list:
    import numpy as np

    order = np.argsort(np.argsort(-np.asarray(values), kind="stable"), kind="stable")
    return list(order / max(1, len(values) - 1))
