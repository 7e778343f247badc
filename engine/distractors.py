"""Distractor mode: from an English word, N Japanese translations that are plausible but wrong.

Where candidates come from:
  - "t5": a fine-tuned T5 (trained on English -> wrong Japanese), asked for about twice N outputs
    by diverse beam search (or beam search / sampling) through engine.generation;
  - "vectors": the nearest neighbours, in the word vectors (chiVe by default), of the correct
    translation. With no model, vectors alone still work.
Every candidate then passes the rules of engine.distractors_check: it must be a real Japanese
word, and must not be a correct translation in disguise (犬 / いぬ / イヌ / 子犬 / 綺麗 ~ 奇麗 …).
The answers checked against are the ones given, the ones listed for the same English word in the
bundled sample data (data/samples, from JMdict), and the katakana loanword of the English word
itself (dog -> ドッグ); words that the sample data lists as translations of the same English word
as one of the answers count as answers too (食う next to 食べる, both "eat"). On top of that, the
bundled lexicon (data/samples/lexicon_en_ja.csv, from JMdict: about 35,000 English words and short
phrases) lists every Japanese form of every common entry glossed with the English word, and all of
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
Which N are returned: picked one by one, each time the candidate with the best
0.65 × score − 0.35 × (its cosine to the closest one already picked), so the list does not fill up
with near-twins (five dog breeds); the picked ones are then shown best score first.

Python API:
    make_distractors(english, correct="", n=5, model="", ...) -> DistractorSet
    make_distractors_batch(rows, n=5, model="", ...) -> list[DistractorSet]   rows: [(english, correct)]
    distractors_table(sets, n) -> DataFrame     Input, Correct, distractor_1..N, score_1..N, source_1..N, note
    distractors_csv(csv_path, out_path, n=5, model="", ...) -> dict   {"rows", "seconds", "table", "out"}
    (known_answers and lexicon_answers, the dictionary look-ups, live in engine.lexicon)

CLI (the last line printed is one JSON object):
    python -m engine.distractors dog --correct 犬 --n 5 [--model NAME] [--method diverse_beam]
    python -m engine.distractors --csv words.csv --out distractors.csv --n 5 [--model NAME]
"""
import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field

from engine import distractors_check as check
from engine.lexicon import known_answers, lexicon_answers, synonyms  # noqa: F401 (part of this module's API)
from engine.messages import StudioError, int_in_range, text

N_RANGE = (1, 20)
SOURCES = ("t5", "vectors")
METHODS = ("diverse_beam", "beam", "sampling")
NEIGHBOURS = 300  # vector neighbours examined per correct answer; most fail the filters
ANCHORS = 3  # correct answers whose neighbours are searched (the first ones: the usual senses)
RELEVANCE = 0.65  # weight of the score against redundancy when picking the N
MIN_RELATED = 0.2  # below this cosine a model's candidate earns nothing for the model's confidence
MAX_CSV_ROWS = 2000
EXCLUDED_MINOR_POS = ("固有名詞", "数詞")  # names and numbers make poor vocabulary distractors


@dataclass
class Distractor:
    text: str
    score: float
    source: str  # "t5" | "vectors"

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

    def to_dict(self) -> dict:
        return {"input": self.input, "correct": "|".join(self.correct),
                "distractors": [d.to_dict() for d in self.distractors], "notes": self.notes,
                "correct_from": self.correct_from}


@dataclass
class _Candidate:
    text: str
    source: str
    model_score: float = None  # mean log-probability per token (t5 only)
    score: float = 0.0
    key: str = ""  # vector key, for redundancy


# ---------------------------------------------------------------- answers


def _lexicon_leaks(english: str) -> list:
    """The lexicon's forms for the leak check; one-kana readings (ひ for 緋) are left to the reading rules."""
    return [w for w in lexicon_answers(english) if len(w) > 1 or not check.is_kana(w)]


def _lookup_from_lexicon(forms: list, vs) -> list:
    """The correct answer for a word typed without one: the lexicon's first form the vectors know."""
    known = [w for w in forms if check.vector_key(w, vs)] if vs is not None else []
    return (known or forms)[:1]


def check_n(n) -> int:
    return int_in_range(n, *N_RANGE, "distractors.bad_n")


# ---------------------------------------------------------------- generation


def t5_settings(n: int, method: str = "diverse_beam"):
    """Generation settings asking for about twice N outputs: the filters drop many."""
    from engine.generation import MAX_OUTPUTS, GenerationSettings

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
    from engine import vectors

    try:
        return vectors.load_vectors(source), ""
    except StudioError as exc:
        if needed:
            raise
        return None, text("distractors.note_no_vectors", detail=exc.message())


def make_distractors(english: str, correct="", n: int = 5, model: str = "", vectors: str = "chive",
                     method: str = "diverse_beam", use_vectors: bool = True, use_samples: bool = True,
                     allow_paths: bool = True) -> "DistractorSet":
    """N distractors for one English word (see the module docstring). Raises StudioError when it cannot."""
    return make_distractors_batch([(english, correct)], n, model, vectors, method, use_vectors, use_samples,
                                  allow_paths, strict=True)[0]


def make_distractors_batch(rows: list, n: int = 5, model: str = "", vectors: str = "chive",
                           method: str = "diverse_beam", use_vectors: bool = True, use_samples: bool = True,
                           allow_paths: bool = True, progress=None, strict: bool = False) -> list:
    """A DistractorSet per (english, correct) row; the T5 model, if any, runs over all rows at once.

    strict: raise the StudioError of a row that cannot be answered (one word); otherwise that row
    gets no distractors and the message as a note (a CSV keeps going).
    progress: optional callable(done_rows, total_rows).
    """
    n = check_n(n)
    model = (model or "").strip()
    prepared = [_prepare(english, correct, use_samples) for english, correct in rows]
    if strict:
        for row in prepared:
            if not row["english"]:
                raise StudioError("distractors.empty_input")
    vs, vectors_note = (None, "")
    if use_vectors:
        vs, vectors_note = _load_vectors(vectors, needed=not model)
    prepared = [_resolve_lexicon(row, vs) for row in prepared]
    generated = [[] for _ in prepared]
    if model:
        from engine.generation import generate_batch, load_model

        loaded = load_model(model, allow_paths)
        todo = [i for i, row in enumerate(prepared) if row["english"]]
        report = (lambda done, total: progress(done, len(prepared))) if progress else None
        outputs = generate_batch(loaded, [prepared[i]["english"] for i in todo], t5_settings(n, method),
                                 progress=report, answers=["|".join(prepared[i]["anchors"]) for i in todo])
        for i, candidates in zip(todo, outputs):
            generated[i] = candidates
    results = []
    for k, (row, t5_candidates) in enumerate(zip(prepared, generated)):
        try:
            result = _one(row, t5_candidates, n, vs, bool(model))
        except StudioError as exc:
            if strict:
                raise
            result = DistractorSet(row["english"], row["anchors"], [], notes=[exc.message()])
        if vectors_note:
            result.notes.insert(0, vectors_note)
        results.append(result)
        if progress and not model:
            progress(k + 1, len(prepared))
    return results


def _prepare(english, correct, use_samples: bool) -> dict:
    english = check.clean(english)
    given = check.split_correct(correct)
    listed = known_answers(english) if use_samples and english else []
    lexicon = _lexicon_leaks(english) if use_samples and english else []
    if given:
        anchors, origin = given, "input"
    elif listed:
        anchors, origin = listed, "samples"
    elif lexicon:
        anchors, origin = [], "lexicon"  # chosen in _one, where the vectors are known
    else:
        anchors, origin = [], ""
    related = synonyms(anchors + listed) if use_samples else []
    leaks = list(dict.fromkeys(anchors + listed + related + [w for w in lexicon if len(w) > 1]
                               + [w for w in [check.loanword(english)] if w]))
    whole = [w for w in lexicon if len(w) == 1 and w not in leaks]  # one kanji: the same word only
    return {"english": english, "anchors": anchors, "leaks": leaks, "whole": whole, "origin": origin,
            "lexicon": lexicon}


def _resolve_lexicon(row: dict, vs) -> dict:
    """A row whose answer comes from the lexicon gets it now, once the vectors are known."""
    if row["origin"] != "lexicon":
        return row
    anchors = _lookup_from_lexicon(row["lexicon"], vs)  # it leaks by every rule, like a typed one
    return {**row, "anchors": anchors, "leaks": list(dict.fromkeys(anchors + row["leaks"])),
            "whole": [w for w in row["whole"] if w not in anchors]}


def _one(row: dict, t5_candidates: list, n: int, vs, has_model: bool) -> DistractorSet:
    english, anchors = row["english"], row["anchors"]
    if not english:
        raise StudioError("distractors.empty_input")
    if not anchors and not has_model:
        raise StudioError("distractors.need_correct_or_model", word=english)
    notes = []
    if row["origin"] in ("samples", "lexicon"):
        notes.append(text(f"distractors.note_from_{row['origin']}", word=english, correct="、".join(anchors)))
    best = max((c.score for c in t5_candidates if c.score is not None), default=0.0)
    pool = [_Candidate(c.text, "t5", model_score=None if c.score is None else c.score - best) for c in t5_candidates]
    if vs is not None and anchors:
        neighbours = _neighbours(anchors, vs)
        if not neighbours and not has_model:
            raise StudioError("distractors.correct_not_in_vectors", correct="、".join(anchors), source=vs.name)
        pool += neighbours
    kept, dropped = _filter(pool, row["leaks"], anchors, vs, row.get("whole", ()))
    for cand in kept:
        cand.score = _score(cand, anchors, vs)
    chosen = _pick(kept, n, vs)
    if len(chosen) < n:
        notes.append(text("distractors.note_fewer", got=len(chosen), wanted=n))
    return DistractorSet(english, anchors, [Distractor(c.text, round(c.score, 4), c.source) for c in chosen],
                         notes=notes, dropped=dropped, correct_from=row["origin"])


def _neighbours(anchors: list, vs) -> list:
    """Vector neighbours of the first few correct answers that share the answer's part of speech."""
    found = []
    for answer in anchors[:ANCHORS]:
        key = check.vector_key(answer, vs)
        if not key:
            continue
        pos = check.analyse(answer).major_pos
        single = len(answer) == 1
        for word, _ in vs.kv.most_similar(key, topn=NEIGHBOURS):
            info = check.analyse(word)
            if pos and info.major_pos != pos:
                continue  # a verb's distractor is a verb: the quiz must not give itself away
            if len(info.pos) > 1 and info.pos[1] in EXCLUDED_MINOR_POS or info.inflected:
                continue
            if len(word) == 1 and not single:
                continue  # lone kanji are mostly fragments of compounds (柴, 仔)
            found.append(_Candidate(word, "vectors", key=word))
    return found


def _filter(pool: list, leaks: list, anchors: list, vs, whole=()) -> tuple:
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


def _score(cand: _Candidate, anchors: list, vs) -> float:
    cosine = check.closeness(cand.text, anchors, vs) if vs is not None and anchors else None
    if cosine is not None:
        cosine = max(0.0, cosine)
    if cand.source == "t5" and cand.model_score is not None:
        confidence = math.exp(cand.model_score)  # relative to the model's best candidate for the word
        if cosine is None:
            return confidence / 2  # relatedness unknown: half the credit
        return cosine if cosine < MIN_RELATED else (cosine + confidence) / 2
    return cosine if cosine is not None else 0.0


def _pick(cands: list, n: int, vs) -> list:
    """N candidates by score, each discounted by its likeness to those already picked; best score first."""
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
    return sorted(chosen, key=lambda c: c.score, reverse=True)


# ---------------------------------------------------------------- tables and CSV


def distractors_table(sets: list, n: int):
    """Input, Correct, distractor_1..N, score_1..N, source_1..N, note — one row per word."""
    import pandas as pd

    records = []
    for result in sets:
        row = {"Input": result.input, "Correct": "|".join(result.correct)}
        for k in range(n):
            row[f"distractor_{k + 1}"] = result.distractors[k].text if k < len(result.distractors) else ""
        for k in range(n):
            row[f"score_{k + 1}"] = result.distractors[k].score if k < len(result.distractors) else None
        for k in range(n):
            row[f"source_{k + 1}"] = result.distractors[k].source if k < len(result.distractors) else ""
        row["note"] = " ".join(result.notes)
        records.append(row)
    return pd.DataFrame(records)


def distractors_csv(csv_path, out_path=None, n: int = 5, model: str = "", vectors: str = "chive",
                    method: str = "diverse_beam", use_vectors: bool = True, use_samples: bool = True,
                    allow_paths: bool = True, progress=None, run_owner: str = "") -> dict:
    """Distractors for every row of a CSV (Input[, Correct]); writes out_path (UTF-8 with BOM) when given.

    The batch is recorded in the run history (kind "generate", settings["mode"] = "distractors",
    owned by run_owner), so the Logs tab lists it next to ordinary generation runs."""
    from engine import csvdata, runs

    n = check_n(n)
    frame, table_in = csvdata.load_pairs(csv_path, {"Correct": None}, required=("Input",))
    if len(frame) > MAX_CSV_ROWS:
        raise StudioError("distractors.too_many_rows", rows=len(frame), limit=MAX_CSV_ROWS)
    run = runs.start_run("generate", name=model or "vectors", owner=run_owner, settings={
        "mode": "distractors", "model": model, "n": n, "vectors": vectors if use_vectors else "",
        "method": method if model else "", "use_samples": use_samples, "rows": len(frame),
        "data_sha256": table_in.sha256})
    try:
        started = time.monotonic()
        corrects = list(frame["Correct"]) if "Correct" in frame.columns else [""] * len(frame)
        sets = make_distractors_batch(list(zip(frame["Input"], corrects)), n, model, vectors, method, use_vectors,
                                      use_samples, allow_paths, progress=progress)
        table = distractors_table(sets, n)
        if out_path:
            csvdata.write_download(table, out_path)
        seconds = round(time.monotonic() - started, 2)
        complete = sum(len(s.distractors) == n for s in sets)
        run.log(f"distractors for {len(table)} rows ({complete} with {n}) in {seconds:.1f}s")
        run.finish("finished", metrics={"rows": len(table), "complete_rows": complete, "seconds": seconds})
    except BaseException as exc:
        run.fail(exc)
        raise
    return {"run_id": run.id, "rows": len(table), "complete_rows": complete, "seconds": seconds, "table": table,
            "out": str(out_path) if out_path else None}


# ---------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.distractors",
                                     description="Plausible but wrong Japanese translations (T5 Studio)")
    parser.add_argument("word", nargs="?", help="English word (or words)")
    parser.add_argument("--correct", default="", help="the correct Japanese translation(s), separated by |")
    parser.add_argument("--n", type=int, default=5, help="how many distractors (1-20)")
    parser.add_argument("--model", default="", help="stored model name or folder; none = word vectors only")
    parser.add_argument("--method", default="diverse_beam", choices=METHODS, help="how the model searches")
    parser.add_argument("--vectors", default="chive", help="word vector set (default: chive)")
    parser.add_argument("--no-vectors", action="store_true", help="use the model's candidates only")
    parser.add_argument("--no-samples", action="store_true",
                        help="do not use the bundled sample data and lexicon (answer look-up, synonym check)")
    parser.add_argument("--csv", help="CSV with Input[, Correct] columns, instead of one word")
    parser.add_argument("--out", help="with --csv: where to write the table (UTF-8 with BOM)")
    return parser


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if bool(args.word) == bool(args.csv):
        parser.error("give either a WORD or --csv FILE")
    options = {"n": args.n, "model": args.model, "vectors": args.vectors, "method": args.method,
               "use_vectors": not args.no_vectors, "use_samples": not args.no_samples}
    try:
        if args.csv:
            summary = distractors_csv(args.csv, args.out, **options,
                                      progress=lambda d, t: print(f"[{d}/{t}]", file=sys.stderr, flush=True))
            result = {k: v for k, v in summary.items() if k != "table"}
        else:
            found = make_distractors(args.word, args.correct, **options)
            for note in found.notes:
                print(note)
            for rank, d in enumerate(found.distractors, 1):
                print(f"{rank:2d}. {d.text}\t{d.score:.4f}\t{d.source}")
            result = found.to_dict()
    except StudioError as exc:
        print(json.dumps({"ok": False, "error": exc.key, "message": exc.message()}, ensure_ascii=False))
        return 1
    print(json.dumps({"ok": True, **result}, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
