"""Distractor mode on the held-out sample words: vectors only, and with a scratch T5.

    python bench/distractors.py [--n 5] [--steps 300] [--size tiny] [--rows 300] [--skip-t5]

Each held-out row gives the English word and only its main correct translation (the first of
Correct, as a teacher would type it); leaks are then counted against every translation in
Correct, so synonyms the mode did not know about count as leaks. The sample-data dictionary is
cut down to the training split, so the held-out rows' own answers are never looked up. The JMdict
lexicon (data/samples/lexicon_en_ja.csv) stays on, as it is for a user: it is general dictionary
data, every translation of every English word, not the held-out split; it does list the held-out
words' translations too, so a comparison row runs vectors only with the lexicon off.
Metrics (engine.metrics.distractor_quality, the same as the Evaluate tab): leak rate, validity,
mean closeness (cosine to the nearest correct answer), distinct ratio, plus fill rate (returned / N).
The T5 is trained with engine.training.train (TrainConfig size tiny, --steps steps) on
data/samples/distractors_train.csv; the time is printed.
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

from engine import distractors, metrics, paths  # noqa: E402
from engine.distractors_check import split_correct  # noqa: E402

MODEL = f"bench-distractors-{int(time.time())}"  # a fresh name: the store never overwrites


def measure(frame: pd.DataFrame, n: int, **options) -> dict:
    started = time.monotonic()
    rows = [(english, split_correct(correct)[0]) for english, correct in zip(frame["Input"], frame["Correct"])]
    sets = distractors.make_distractors_batch(rows, n, **options)
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
    return {"rows": len(sets), "leak_rate": leak / returned, "validity": valid / returned,
            "closeness": close / max(closeness_rows, 1), "distinct_ratio": distinct / answered,
            "fill_rate": fill / len(sets), "seconds": seconds}


def train_model(steps: int, size: str) -> float:
    from engine.config import TrainConfig
    from engine.training import train

    started = time.monotonic()
    config = TrainConfig(csv=str(paths.SAMPLES_DIR / "distractors_train.csv"), name=MODEL, base="scratch",
                         size=size, max_steps=steps, learning_rate=3e-3, batch_size=32, validation_split=0.0)
    outcome = train(config)
    print(f"trained {size} scratch T5 for {outcome.steps} steps in {time.monotonic() - started:.0f} s "
          f"(train_loss {outcome.metrics.get('train_loss')})", flush=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--size", default="tiny", choices=("tiny", "small"))
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--skip-t5", action="store_true")
    args = parser.parse_args()
    distractors.SAMPLE_FILES = ("distractors_train.csv",)  # never look up the held-out answers
    distractors.reload_samples()
    frame = pd.read_csv(paths.SAMPLES_DIR / "distractors_heldout.csv", dtype=str).head(args.rows)
    results = {"vectors only": measure(frame, args.n)}
    lexicon, distractors.LEXICON_FILE = distractors.LEXICON_FILE, None
    distractors.reload_samples()
    results["vectors only, lexicon off"] = measure(frame, args.n)
    distractors.LEXICON_FILE = lexicon
    distractors.reload_samples()
    if not args.skip_t5:
        train_model(args.steps, args.size)
        results["T5 + vectors"] = measure(frame, args.n, model=MODEL)
        results["T5 only"] = measure(frame, args.n, model=MODEL, use_vectors=False)
    print(f"\n{len(frame)} held-out rows, N = {args.n}\n")
    print("| mode | leak rate | validity | mean closeness | distinct ratio | fill rate | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['leak_rate']:.1%} | {r['validity']:.1%} | {r['closeness']:.3f} | "
              f"{r['distinct_ratio']:.1%} | {r['fill_rate']:.1%} | {r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
