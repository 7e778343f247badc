"""Distractor mode: from an English word, N Japanese translations that are plausible but wrong.

Where candidates come from:
  - "t5": a fine-tuned T5 (trained on English -> wrong Japanese), asked for about twice N outputs
    by diverse beam search (or beam search / sampling) through engine.generate.generation;
  - "vectors": the nearest neighbours, in the word vectors (chiVe by default), of the correct
    translation (placed by its alias or its parts when it has no row of its own). With no model,
    vectors alone still work; rows they cannot fill get the bundled base model's candidates;
  - "head": the words of the vectors that end in the same kanji as a compound answer (会計士: 弁護士,
    税理士), things of the same sort named the same way;
  - "common": the answer's nearest words among the usual translations of English words (plain
    school vocabulary, reached past the vectors' first 300 neighbours);
  - "dictionary": the correct translation's antonyms and cross-references in JMdict (暑い: 寒い).
Every candidate then passes the rules of engine.words.checks: it must be a real Japanese
word, and must not be a correct translation in disguise (犬 / いぬ / イヌ / 子犬 / 綺麗 ~ 奇麗 …).
The answers checked against are the ones given, the ones listed for the same English word in the
bundled sample data (data/samples, from JMdict), and the katakana loanword of the English word
itself (dog -> ドッグ); words that the sample data lists as translations of the same English word
as one of the answers count as answers too (食う next to 食べる, both "eat"). On top of that, the
bundled lexicon (data/samples/lexicon_en_ja.csv, from JMdict: about 69,000 English words and short
phrases) lists every Japanese form of every entry glossed with the English word, and all of
them count as correct answers (わんこ / ワンコ for "dog", 食する / 召し上がる for "eat"). Two
exceptions keep the list from emptying the neighbourhood: kana forms of one character (ひ for 緋,
"red") are left out, or every homophone (火) would leak, and forms of one kanji (師 for "teacher",
点 for "run") leak only as the same word, not by containment, or 講師 and 医師 would go too.
When no correct translation is given, the sample data supplies it if it knows the word, else the
lexicon does: its first form that the word vectors know (犬 for "dog"; the lexicon lists plain,
common, native words first); otherwise a model is needed, and without one a Japanese message says so.

Score (plausibility, 0..1, higher = more tempting):
  - vectors: the cosine to the nearest correct answer (below 0 counts as 0);
  - t5: the mean of that cosine and the model's confidence, measured against its best candidate
    for the word (exp of the difference in mean log-probability per token, so 1 for its first
    choice): a model spreads its probability over many good words, and what it ranks first is what
    it was trained to write. A candidate unrelated to the answer (cosine below 0.2) gets only its
    cosine; one whose relatedness cannot be measured gets half its confidence.
Then the teacher's rules (engine.distractors.rules: no proper noun, only dictionary words, the
answer's form and slot, no shared gloss with the answer), and the N are chosen by the ranker learned
from teachers' labels (engine.distractors.ranker, data/judged) among each source's shortlist, best
first, no two sharing a gloss or nearly one vector (engine.distractors.gathering.choose). Without a
shipped ranker they are picked one by one, each time the candidate with the best
0.65 × score − 0.35 × (its cosine to the closest one already picked), so the list does not fill up
with near-twins; the picked ones are then shown best score first, except that the first five places
hold one member of a narrow family each (cosine ≥ 0.65 to one placed above: asked for 20
distractors of 犬, the first five are not five dog breeds). Kinds of the answer, and words the answer
is a kind of, come last, only when nothing else is left: JMdict's glosses name them (パグ "variety of
dog", 松 "pine tree" for 木), and their narrow family goes with them (チワワ beside パグ).

Python API:
    make_distractors(english, correct="", n=5, model="", ...) -> DistractorSet
    make_distractors_batch(rows, n=5, model="", ...) -> list[DistractorSet]   rows: [(english, correct)]
    (engine.distractors.batch) distractors_table(sets, n) -> DataFrame, distractors_csv(csv_path, ...) -> dict
    (known_answers and lexicon_answers, the dictionary look-ups, live in engine.words.lexicon)
"""
import math
from dataclasses import asdict, dataclass, field

from engine.core.messages import StudioError, int_in_range, listing, text
from engine.core.paths import BUNDLED_BASE
from engine.distractors import rules
from engine.distractors.answers import prepare, resolve_lexicon
from engine.distractors.gathering import choose, gather
from engine.words.lexicon import school_spelling, senses

N_RANGE = (1, 20)
SOURCES = ("t5", "vectors", "common", "head", "dictionary")
METHODS = ("diverse_beam", "beam", "sampling")


@dataclass
class Distractor:
    text: str
    score: float
    source: str  # one of SOURCES

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DistractorSet:
    """The answer for one English word."""

    input: str
    correct: list  # the correct answers the distractors were measured against
    distractors: list  # Distractor, best first
    notes: list = field(default_factory=list)  # Japanese sentences for the user
    dropped: list = field(default_factory=list)  # {"text", "source", "reason"} of rejected candidates
    correct_from: str = ""  # "input" | "samples" | "lexicon" | ""
    senses: list = field(default_factory=list)  # the word's other meanings, each a possible answer

    def to_dict(self) -> dict:
        return {"input": self.input, "correct": "|".join(self.correct),
                "distractors": [d.to_dict() for d in self.distractors], "notes": self.notes,
                "correct_from": self.correct_from, "senses": self.senses}


# ---------------------------------------------------------------- answers


def check_n(n) -> int:
    return int_in_range(n, *N_RANGE, "distractors.bad_n")


# ---------------------------------------------------------------- generation


def t5_settings(n: int, method: str = "diverse_beam"):
    """Generation settings asking for about twice N outputs: the filters drop many."""
    from engine.generate.settings import MAX_OUTPUTS, GenerationSettings

    if method not in METHODS:
        raise StudioError("distractors.bad_method", value=method, choices=", ".join(METHODS))
    wanted = min(MAX_OUTPUTS, max(2 * n, n + 6))
    if method == "sampling":
        return GenerationSettings(method="sampling", num_outputs=wanted, max_new_tokens=16, top_p=0.95)
    groups = 4 if wanted >= 8 else 2
    beams = math.ceil(wanted / groups) * groups
    return GenerationSettings(method=method, num_outputs=wanted, num_beams=beams, num_beam_groups=groups,
                              diversity_penalty=1.0, max_new_tokens=16)


def _load_vectors(source, needed: bool):
    from engine.vectors import sources

    try:
        return sources.load_vectors(source), ""
    except StudioError as exc:
        if needed:
            raise
        return None, text("distractors.note_no_vectors", detail=exc.message())


def make_distractors(english: str, correct="", n: int = 5, model: str = "", vectors: str = "chive",
                     method: str = "diverse_beam", use_vectors: bool = True, use_samples: bool = True,
                     allow_paths: bool = True, fallback: bool = True) -> "DistractorSet":
    """N distractors for one English word (see the module docstring). Raises StudioError when it cannot."""
    found = make_distractors_batch([(english, correct)], n, model, vectors, method, use_vectors, use_samples,
                                   allow_paths, strict=True, fallback=fallback)[0]
    found.senses = senses(found.input)  # for choosing another meaning; a CSV batch has no use for them
    return found


def make_distractors_batch(rows: list, n: int = 5, model: str = "", vectors: str = "chive",
                           method: str = "diverse_beam", use_vectors: bool = True, use_samples: bool = True,
                           allow_paths: bool = True, progress=None, strict: bool = False,
                           fallback: bool = True) -> list:
    """A DistractorSet per (english, correct) row; the T5 model, if any, runs over all rows at once.

    strict: raise the StudioError of a row that cannot be answered (one word); otherwise that row
    gets no distractors and the message as a note (a CSV keeps going).
    fallback: with no model chosen, rows the vectors cannot fill get candidates from the bundled
    base model too (every row filled, as a teacher expects).
    progress: optional callable(done_rows, total_rows).
    """
    n = check_n(n)
    model = (model or "").strip()
    prepared = [prepare(english, correct, use_samples) for english, correct in rows]
    if strict and not all(row["english"] for row in prepared):
        raise StudioError("distractors.empty_input")
    vs, vectors_note = (None, "")
    if use_vectors:
        vs, vectors_note = _load_vectors(vectors, needed=not model and not fallback)
    prepared = [resolve_lexicon(row, vs) for row in prepared]
    todo = list(range(len(prepared))) if model else []
    generated = _generate(model, prepared, todo, n, method, allow_paths, progress)
    results = []
    for row, candidates in zip(prepared, generated):
        results.append(_answer(row, candidates, n, vs, bool(model)))
        if progress and not model:
            progress(len(results), len(prepared))
    # Only rows with an answer: for a word nobody translated, asking for one beats a model's guesses.
    short = [i for i, r in enumerate(results) if _is_short(r, n) and prepared[i]["anchors"]]
    if not model and fallback and short:
        extra = _generate(BUNDLED_BASE, prepared, short, n, method, True, None)
        for i in short:
            results[i] = _answer(prepared[i], extra[i], n, vs, True)
            if not isinstance(results[i], StudioError):
                results[i].notes.append(text("distractors.note_fallback", model=BUNDLED_BASE))
    return [_finish(result, row, vectors_note, strict) for result, row in zip(results, prepared)]


def _generate(model: str, prepared: list, todo: list, n: int, method: str, allow_paths: bool, progress) -> list:
    """Per row, the model's candidates for the rows in `todo` ([] for the others and without a model)."""
    generated = [[] for _ in prepared]
    todo = [i for i in todo if prepared[i]["english"]]
    if not model or not todo:
        return generated
    from engine.generate.generation import generate_batch
    from engine.models.loading import load_model

    report = (lambda done, total: progress(done, len(prepared))) if progress else None
    outputs = generate_batch(load_model(model, allow_paths), [prepared[i]["english"] for i in todo],
                             t5_settings(n, method), progress=report,
                             answers=["|".join(prepared[i]["anchors"]) for i in todo])
    for i, candidates in zip(todo, outputs):
        generated[i] = candidates
    return generated


def _answer(row: dict, candidates: list, n: int, vs, has_model: bool):
    """The row's DistractorSet, or the StudioError that says why it has none."""
    try:
        return _one(row, candidates, n, vs, has_model)
    except StudioError as exc:
        return exc


def _is_short(result, n: int) -> bool:
    return isinstance(result, StudioError) or len(result.distractors) < n


def _finish(result, row: dict, vectors_note: str, strict: bool) -> "DistractorSet":
    if isinstance(result, StudioError):
        if strict:
            raise result
        result = DistractorSet(row["english"], row["anchors"], [], notes=[result.message()])
    if vectors_note:
        result.notes.insert(0, vectors_note)
    return result


def _choice_notes(chosen: list, n: int) -> list:
    """Which sources the chosen ones came from; what was too few; which are kinds of the answer."""
    counts = {source: sum(c.source == source for c in chosen) for source in SOURCES}
    notes = [text("distractors.note_sources", sources=listing(
        f"{text('distractors.source_' + source)} {count}" for source, count in counts.items() if count))]
    if len(chosen) < n:
        notes.append(text("distractors.note_fewer", got=len(chosen), wanted=n))
    kinds = [school_spelling(c.text) for c in chosen if c.kind and c.kind != "slot"]
    if kinds:
        notes.append(text("distractors.note_kinds", words=listing(kinds)))
    return notes if chosen else notes[1:]


def _one(row: dict, t5_candidates: list, n: int, vs, has_model: bool) -> DistractorSet:
    kept, dropped = gather(row, t5_candidates, vs, has_model)
    notes = []
    if row["origin"] in ("samples", "lexicon"):
        notes.append(text(f"distractors.note_from_{row['origin']}", word=row["english"],
                          correct=listing(row["anchors"])))
    chosen = choose(kept, row, n, vs)
    notes += _choice_notes(chosen, n)
    kind = rules.slot(row["anchors"][0]) if row["anchors"] else ""
    shown = [Distractor(rules.shown(school_spelling(c.text), kind), round(c.score, 4), c.source) for c in chosen]
    return DistractorSet(row["english"], row["anchors"], shown,
                         notes=notes, dropped=dropped, correct_from=row["origin"])
