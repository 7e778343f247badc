"""The judged set (data/judged, docs/distractor-rubric.md): the teacher's words, their candidate pools
and the labels two independent passes gave them, read for the ranker's training (tools/train_ranker.py)
and the judged benchmark (bench/judged.py).

    words.csv    English, Answer, POS, Level, Split (eval: never used to train, tune or choose anything)
    pools.csv    Id, English, Answer, Candidate, Sources (tools/build_judged_pools.py)
    labels.csv   Id, English, Answer, Candidate, A, B, Label (two passes and the settled label: G C K U)
"""
import csv

from engine.core import paths
from engine.core.paths import BUNDLED_BASE
from engine.distractors import rules
from engine.words import checks as check

FOLDER = paths.REPO_ROOT / "data" / "judged"
LABELS = ("G", "C", "K", "U")
# The ways a teacher asks (bench/judged.py): path -> (the answer given?, the model chosen).
PATHS = {"default": (True, ""), "model": (True, BUNDLED_BASE), "no_answer": (False, "")}


def read(name: str) -> list:
    path = FOLDER / name
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def words(split: str = "") -> list:
    """The judged words (dicts of words.csv), only those of `split` ("eval", "dev") when given."""
    return [w for w in read("words.csv") if not split or w["Split"] == split]


def labels(column: str = "Label") -> dict:
    """(English, candidate as shown) -> label, from labels.csv's `column` (A, B or the settled Label)."""
    return {(r["English"], r["Candidate"]): r[column] for r in read("labels.csv") if r.get(column) in LABELS}


def key(english: str, shown: str, answer: str) -> tuple:
    """The labels' key of an option as the app shows it: without the な, する or の of the answer's form
    (pools hold the word in its school spelling, without that ending)."""
    kind = rules.slot(answer)
    word = rules.base(check.clean(shown)) if kind in rules.FORMS else check.clean(shown)
    return english, word


def label_of(found: dict, english: str, shown: str, answer: str) -> str:
    """The label of an option, "" when nobody has labelled it."""
    return found.get((english, check.clean(shown))) or found.get(key(english, shown, answer), "")


def options(words: list, path: str, n: int) -> list:
    """The DistractorSet of each word on `path` (PATHS), as the app makes it."""
    from engine.distractors.making import make_distractors_batch

    answered, model = PATHS[path]
    return make_distractors_batch([(w["English"], w["Answer"] if answered else "") for w in words], n=n, model=model)


def gathered(words: list, vs, model: str = BUNDLED_BASE):
    """(word, prepared row, candidates gather keeps) for each word with an answer, the model's among
    them, as the app makes them: what the ranker trains on and what a model is judged by."""
    from engine.distractors import making

    rows = [making.resolve_lexicon(making.prepare(w["English"], w["Answer"], True), vs) for w in words]
    generated = making._generate(model, rows, list(range(len(rows))), 5, "diverse_beam", True, None)
    for word, row, cands in zip(words, rows, generated):
        if row["anchors"]:
            yield word, row, making.gather(row, cands, vs, True)[0]
