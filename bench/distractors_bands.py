"""Distractor mode on the benchmark word list, per frequency band (results in BENCHMARKS_DISTRACTORS.md).

    OMP_NUM_THREADS=1 python bench/distractors_bands.py [--n 5] [--rows 540]

The list is data/samples/distractors_benchmark.csv (tools/build_benchmark_words.py: 540 English
words in four frequency bands, none from the sample CSVs). Each word is given with its main
translation (Answer), as a teacher types it. Two modes, no model chosen: vectors with the bundled
model when the vectors fall short (the default), and vectors only. Per band:

  fill          returned distractors / N
  leak          share of distractors that are a correct translation in disguise, against every
                form of every sense (Correct), by the same rules the mode filters with
  same POS      share whose SudachiPy part of speech is the answer's
  ±2 chars      share whose length is within two characters of the answer's
  shared head   share ending in the answer's last kanji (税理士 / 会計士): siblings named the same way
  kind of       share that JMdict's glosses make a kind of the answer or the word (パグ, "variety of
                dog"), or the answer a kind of (木 for 松), family members not counted; the mode
                offers them only when nothing else is left, so this counts how often that happens
  cosine        mean cosine to the answer in chiVe (where both can be placed)
  s/word        seconds per word after the first (the first loads vectors and dictionaries)
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("T5STUDIO_HOME", str(Path(tempfile.gettempdir()) / "t5studio-bench-home"))

import pandas as pd  # noqa: E402

from engine.core import paths  # noqa: E402
from engine.distractors import making  # noqa: E402
from engine.vectors import sources  # noqa: E402
from engine.words import checks  # noqa: E402
from engine.words.lexicon import kind_relation  # noqa: E402

KANJI = range(0x4E00, 0xA000)


def shared_head(text: str, answer: str) -> bool:
    return text != answer and ord(answer[-1]) in KANJI and text.endswith(answer[-1])


def measure(frame: pd.DataFrame, n: int, vs, **options) -> pd.DataFrame:
    making.make_distractors("dog", "犬", n, **options)  # load everything once, outside the timing
    rows = []
    for english, answer, correct, band in zip(frame["Input"], frame["Answer"], frame["Correct"], frame["Band"]):
        started = time.monotonic()
        found = making.make_distractors_batch([(english, answer)], n, **options)[0]
        seconds = time.monotonic() - started
        texts = [d.text for d in found.distractors]
        pos = checks.analyse(answer).major_pos
        cosines = [c for c in (checks.closeness(t, answer, vs) for t in texts) if c is not None]
        rows.append({
            "band": band, "fill": len(texts) / n, "returned": len(texts),
            "leaks": sum(checks.is_leak(t, correct, vs) for t in texts),
            "same_pos": sum(checks.analyse(t).major_pos == pos for t in texts),
            "near_length": sum(abs(len(t) - len(answer)) <= 2 for t in texts),
            "shared_head": sum(shared_head(t, answer) for t in texts),
            "kind_of": sum(bool(kind_relation(t, english, [answer])) for t in texts),
            "duplicates": len(texts) - len(set(texts)),
            "not_japanese": sum(checks.invalid_reason(t, vs) in ("latin", "not_japanese") for t in texts),
            "cosine_sum": sum(cosines), "cosines": len(cosines), "seconds": seconds,
        })
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    groups = list(table.groupby("band")) + [("all", table)]
    lines = []
    for band, part in groups:
        returned = max(int(part["returned"].sum()), 1)
        lines.append({
            "band": band, "words": len(part), "fill": part["fill"].mean(),
            "leak": part["leaks"].sum() / returned, "same POS": part["same_pos"].sum() / returned,
            "±2 chars": part["near_length"].sum() / returned, "shared head": part["shared_head"].sum() / returned,
            "kind of": part["kind_of"].sum() / returned,
            "cosine": part["cosine_sum"].sum() / max(int(part["cosines"].sum()), 1),
            "duplicates": int(part["duplicates"].sum()), "not Japanese": int(part["not_japanese"].sum()),
            "s/word": part["seconds"].mean(),
        })
    return pd.DataFrame(lines)


def print_markdown(name: str, frame: pd.DataFrame) -> None:
    print(f"\n{name}\n")
    print("| band | words | fill | leak | same POS | ±2 chars | shared head | kind of | cosine | duplicates "
          "| not Japanese | s/word |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in frame.to_dict("records"):
        print(f"| {r['band']} | {r['words']} | {r['fill']:.1%} | {r['leak']:.1%} | {r['same POS']:.1%} | "
              f"{r['±2 chars']:.1%} | {r['shared head']:.1%} | {r['kind of']:.1%} | {r['cosine']:.3f} | {r['duplicates']} | "
              f"{r['not Japanese']} | {r['s/word']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--rows", type=int, default=540)
    args = parser.parse_args()
    frame = pd.read_csv(paths.SAMPLES_DIR / "distractors_benchmark.csv", dtype=str).head(args.rows)
    vs = sources.load_vectors()
    for name, options in (("vectors, bundled model when short (the default)", {}),
                          ("vectors and dictionary only (no model at all)", {"fallback": False})):
        print_markdown(f"{name}, N = {args.n}", summary(measure(frame, args.n, vs, **options)))


if __name__ == "__main__":
    main()
