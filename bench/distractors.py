"""Distractor mode on the held-out sample words: vectors only, and with a fine-tuned T5.

    python bench/distractors.py [--n 5] [--recipe default|scratch] [--steps 300] [--size tiny] [--rows 300] [--skip-t5]

Each held-out row gives the English word and only its main correct translation (the first of
Correct, as a teacher would type it); leaks are then counted against every translation in
Correct, so synonyms the mode did not know about count as leaks. The sample-data dictionary is
cut down to the training split, so the held-out rows' own answers are never looked up. The JMdict
lexicon (data/samples/lexicon_en_ja.csv) stays on, as it is for a user: it is general dictionary
data, every translation of every English word, not the held-out split; it does list the held-out
words' translations too, so a comparison row runs vectors only with the lexicon off.
Metrics (engine.evaluate.metrics.distractor_quality, the same as the Evaluate tab): leak rate, validity,
mean closeness (cosine to the nearest correct answer), distinct ratio, plus fill rate (returned / N).
The T5 is trained with engine.train.training.train on data/samples/distractors_train.csv: by default
with the Train tab's defaults (the bundled base model), or --recipe scratch (a scratch T5 of --size,
--steps steps); the time is printed. "from the model" is the share of returned distractors whose
source is the T5.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("T5STUDIO_HOME", str(Path(tempfile.gettempdir()) / "t5studio-bench-distractors"))

import pandas as pd  # noqa: E402

from engine.core import paths  # noqa: E402
from engine.distractors import making
from engine.evaluate import metrics
from engine.words import lexicon
from engine.words.checks import split_correct  # noqa: E402

MODEL = f"bench-distractors-{int(time.time())}"  # a fresh name: the store never overwrites


def measure(frame: pd.DataFrame, n: int, **options) -> dict:
    started = time.monotonic()
    rows = [(english, split_correct(correct)[0]) for english, correct in zip(frame["Input"], frame["Correct"])]
    sets = making.make_distractors_batch(rows, n, **options)
    seconds = time.monotonic() - started
    leak = valid = close = distinct = fill = 0.0
    closeness_rows = 0
    for result, correct in zip(sets, frame["Correct"]):
        texts = [d.text for d in result.distractors]
        fill += len(texts) / n
        if not texts:
            continue
        values = metrics.distractor_quality(texts[0], "", correct, outputs=texts)
        leak += values["correct_leak_rate"] * len(texts)
        valid += values["correct_validity"] * len(texts)
        distinct += len(set(texts)) / len(texts)
        if values["correct_closeness"] == values["correct_closeness"]:  # not NaN
            close += values["correct_closeness"]
            closeness_rows += 1
    returned = sum(len(s.distractors) for s in sets) or 1
    answered = sum(bool(s.distractors) for s in sets) or 1
    from_model = sum(d.source == "t5" for s in sets for d in s.distractors)
    return {"rows": len(sets), "leak_rate": leak / returned, "validity": valid / returned,
            "closeness": close / max(closeness_rows, 1), "distinct_ratio": distinct / answered,
            "fill_rate": fill / len(sets), "model_share": from_model / returned, "seconds": seconds}


def train_model(recipe: str, steps: int, size: str) -> float:
    """The default recipe (TrainConfig's defaults: the bundled base), or a scratch T5 of `size`."""
    from engine.train.config import TrainConfig
    from engine.train.training import train

    started = time.monotonic()
    data = str(paths.SAMPLES_DIR / "distractors_train.csv")
    if recipe == "default":
        config = TrainConfig(csv=data, name=MODEL)
    else:
        config = TrainConfig(csv=data, name=MODEL, base="scratch", size=size, max_steps=steps, learning_rate=3e-3,
                             batch_size=32, validation_split=0.0)
    outcome = train(config)
    print(f"trained ({recipe}) for {outcome.steps} steps in {time.monotonic() - started:.0f} s "
          f"(train_loss {outcome.metrics.get('train_loss')})", flush=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--recipe", default="default", choices=("default", "scratch"),
                        help="default: the Train tab's defaults (bundled base); scratch: --size, --steps")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--size", default="tiny", choices=("tiny", "small"))
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--skip-t5", action="store_true")
    args = parser.parse_args()
    lexicon.SAMPLE_FILES = ("distractors_train.csv",)  # never look up the held-out answers
    lexicon.reload()
    frame = pd.read_csv(paths.SAMPLES_DIR / "distractors_heldout.csv", dtype=str).head(args.rows)
    results = {"vectors only": measure(frame, args.n, fallback=False),
               "vectors, bundled base when short (the default)": measure(frame, args.n)}
    lexicon_file, lexicon.LEXICON_FILE = lexicon.LEXICON_FILE, None
    lexicon.reload()
    results["vectors only, lexicon off"] = measure(frame, args.n, fallback=False)
    lexicon.LEXICON_FILE = lexicon_file
    lexicon.reload()
    if not args.skip_t5:
        train_model(args.recipe, args.steps, args.size)
        results["T5 + vectors"] = measure(frame, args.n, model=MODEL)
        results["T5 only"] = measure(frame, args.n, model=MODEL, use_vectors=False)
    print(f"\n{len(frame)} held-out rows, N = {args.n}\n")
    print("| mode | leak rate | validity | mean closeness | distinct ratio | fill rate | from the model | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['leak_rate']:.1%} | {r['validity']:.1%} | {r['closeness']:.3f} | "
              f"{r['distinct_ratio']:.1%} | {r['fill_rate']:.1%} | {r['model_share']:.1%} | {r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
