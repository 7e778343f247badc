"""What a first training gives: the Train tab's defaults on the bundled sample, judged by its outputs.

    python bench/default_recipe.py [--rows 300] [--skip-scratch]

Three models are measured on the held-out words (data/samples/distractors_heldout.csv, never in
any training data), each generating greedily through engine.evaluate.evaluation exactly as the Evaluate
tab does (a word=answer model gets the first listed Correct translation beside the word):

- **bundled base**, as shipped, no fine-tuning (bundled/t5studio-distractor-base);
- **default recipe**: `python -m engine.train --csv data/samples/distractors_train.csv --name m`,
  i.e. TrainConfig() with only csv and name set (the bundled base, the default hyperparameters);
- **scratch (before)**: the previous default, a tiny scratch T5 with the same hyperparameters.

Per model: share of outputs that are a Japanese word (non-empty, kana and kanji only), share that
is one of the Correct translations, mean chiVe cosine between output and the nearest Correct
translation (0 when either is not in the vectors), share of rows with a Japanese word that is not a
translation and has cosine >= 0.30, distinct outputs, and the training time. Targets (issue: the
working model): Japanese >= 95 %, correct <= 15 %, mean cosine >= 0.30, training <= 5 minutes.
"""
import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("T5STUDIO_HOME", tempfile.mkdtemp(prefix="t5studio-bench-recipe-"))

import pandas as pd  # noqa: E402

from engine.core import paths  # noqa: E402
from engine.evaluate.evaluation import evaluate_model  # noqa: E402
from engine.train.config import TrainConfig  # noqa: E402
from engine.train.training import train  # noqa: E402
from engine.vectors.sources import load_vectors  # noqa: E402
from engine.words import checks as check  # noqa: E402

JAPANESE_WORD = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u3005\u4e00-\u9fff]+")
TRAIN_CSV = paths.SAMPLES_DIR / "distractors_train.csv"
HELDOUT_CSV = paths.SAMPLES_DIR / "distractors_heldout.csv"


def quality(model: str, frame: pd.DataFrame, vs) -> dict:
    """Output measures of `model` on the held-out rows (see the module docstring)."""
    result = evaluate_model(model, frame, record=False)
    outputs = [str(o).strip() for o in result.rows["generated"]]
    answers = [check.split_correct(c) for c in frame["Correct"]]
    japanese = [bool(JAPANESE_WORD.fullmatch(o)) for o in outputs]
    correct = [o in a for o, a in zip(outputs, answers)]
    cosines = [max(0.0, check.closeness(o, a, vs) or 0.0) if o else 0.0 for o, a in zip(outputs, answers)]
    related = [j and not c and cos >= 0.30 for j, c, cos in zip(japanese, correct, cosines)]
    n = len(outputs)
    return {"japanese": sum(japanese) / n, "correct": sum(correct) / n, "cosine": sum(cosines) / n,
            "related": sum(related) / n, "distinct": len(set(outputs)), "examples": outputs[:6]}


def trained(name: str, **overrides) -> tuple:
    """(model name, seconds) after training with the defaults plus `overrides`."""
    started = time.monotonic()
    outcome = train(TrainConfig(csv=str(TRAIN_CSV), name=name, **overrides))
    seconds = time.monotonic() - started
    print(f"{name}: {outcome.status}, {outcome.steps} steps in {seconds:.0f} s, metrics {outcome.metrics}", flush=True)
    return name, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--skip-scratch", action="store_true")
    args = parser.parse_args()
    frame = pd.read_csv(HELDOUT_CSV, dtype=str, keep_default_na=False).head(args.rows)
    vs = load_vectors("chive")
    stamp = int(time.time())
    rows = {"bundled base, no fine-tuning": (paths.BUNDLED_BASE, None)}
    rows["default recipe"] = trained(f"recipe-{stamp}")
    if not args.skip_scratch:
        rows["scratch (before)"] = trained(f"scratch-{stamp}", base="scratch")
    print(f"\n{len(frame)} held-out rows, greedy\n")
    print("| model | Japanese word | correct translation | mean cosine | related | distinct | training |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, (model, seconds) in rows.items():
        q = quality(model, frame, vs)
        took = "—" if seconds is None else f"{seconds / 60:.1f} min"
        print(f"| {label} | {q['japanese']:.1%} | {q['correct']:.1%} | {q['cosine']:.3f} | {q['related']:.1%} | "
              f"{q['distinct']} | {took} |", flush=True)
        print(f"<!-- {label}: {q['examples']} -->", flush=True)


if __name__ == "__main__":
    main()
