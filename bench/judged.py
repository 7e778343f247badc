"""Distractors judged as a teacher judges them (results in BENCHMARKS_DISTRACTORS.md).

    OMP_NUM_THREADS=1 python bench/judged.py [--split eval] [--n 5] [--paths default,model,no_answer]
    OMP_NUM_THREADS=2 python bench/judged.py --speed     # a 30-word list: in the app, and from the CLI
    OMP_NUM_THREADS=2 python bench/judged.py --model-candidates t5studio-distractor-base   # the model's own words

On the judged set's words (data/judged; docs/distractor-rubric.md), every option a path shows is
looked up in the settled labels (G good, C second right answer, K kind-of, U unsuitable):

  printable   share of G among the N asked for (a missing option counts as not G)
  C, K, U     shares of the other labels among the N asked for
  ≥3 G        words with at least 3 G among their first five
  fill        options shown / N
  unlabelled  options nobody has labelled: listed in data/judged/unlabelled.csv, and the figures
              are not final until they are labelled (the script says so)

Paths, today's code (the options it picked, recorded in pools.csv when the pools were built) beside
the current one on the same labels:
  default     answer given, no model chosen (vectors, the bundled model only when they fall short)
  model       answer given, the bundled model chosen
  no_answer   only the English word (the answer comes from the dictionary)
Per source: the share of G among the shown options of each source. The labellers' agreement
(Cohen's kappa of passes A and B over every labelled pool row) comes first.
"""
import argparse
import collections
import csv
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

from engine.distractors import judged  # noqa: E402

TODAY_TAGS = {"default": "today", "model": "today_model", "no_answer": "today_no_answer"}


def agreement() -> str:
    from sklearn.metrics import cohen_kappa_score

    rows = [r for r in judged.read("labels.csv") if r["A"] in judged.LABELS and r["B"] in judged.LABELS]
    if not rows:
        return "no double-labelled rows yet"
    a, b = [r["A"] for r in rows], [r["B"] for r in rows]
    same = sum(x == y for x, y in zip(a, b)) / len(rows)
    g_kappa = cohen_kappa_score([x == "G" for x in a], [y == "G" for y in b])
    return (f"{len(rows)} rows labelled twice: raw agreement {same:.1%}, Cohen's kappa {cohen_kappa_score(a, b):.3f} "
            f"(4 labels), {g_kappa:.3f} (G against the rest)")


def today_options(words: list, path: str) -> dict:
    """English -> [(option, source)] that the code of the pools' day picked on `path`."""
    tag, found = TODAY_TAGS[path], collections.defaultdict(list)
    wanted = {w["English"] for w in words}
    for row in judged.read("pools.csv"):
        for part in row["Sources"].split("|"):
            if row["English"] in wanted and part.startswith(tag + ":"):
                found[row["English"]].append((row["Candidate"], part.split(":", 1)[1]))
    return found


def current_options(words: list, path: str, n: int) -> dict:
    sets = judged.options(words, path, n)
    return {w["English"]: [(d.text, d.source) for d in s.distractors] for w, s in zip(words, sets)}


def figures(words: list, options: dict, n: int, labels: dict, missing: list) -> dict:
    counts, by_source, three = collections.Counter(), collections.defaultdict(collections.Counter), 0
    for word in words:
        shown = options.get(word["English"], [])[:n]
        found = [judged.label_of(labels, word["English"], text, word["Answer"]) for text, _ in shown]
        for (text, source), label in zip(shown, found):
            counts[label or "?"] += 1
            by_source[source][label or "?"] += 1
            if not label:
                missing.append((word["English"], word["Answer"], text))
        three += sum(label == "G" for label in found[:5]) >= 3
    asked = n * len(words)
    result = {k: counts[k] / asked for k in ("G", "C", "K", "U")}
    result.update(fill=sum(counts.values()) / asked, three=three, words=len(words), unlabelled=counts["?"],
                  sources={s: (c["G"] / sum(c.values()), sum(c.values())) for s, c in by_source.items()})
    return result


def line(name: str, f: dict) -> str:
    return (f"| {name} | {f['G']:.1%} | {f['C']:.1%} | {f['K']:.1%} | {f['U']:.1%} | {f['three']} / {f['words']} "
            f"({f['three'] / max(1, f['words']):.0%}) | {f['fill']:.1%} | {f['unlabelled']} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="eval", choices=("eval", "dev", "all"))
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--paths", default="default,model,no_answer")
    parser.add_argument("--speed", action="store_true", help="time a 30-word list instead (see speed())")
    parser.add_argument("--model-candidates", metavar="MODEL",
                        help="judge only what MODEL (a name or folder) writes itself (see model_candidates())")
    args = parser.parse_args(argv)
    if args.speed:
        speed(judged.words("eval"))
        return 0
    if args.model_candidates:
        missing = []
        found = model_candidates(judged.words(args.split), args.model_candidates, judged.labels(), missing)
        print(f"{args.model_candidates}: {found['candidates']} candidates; " + ", ".join(
            f"{k} {found[k]:.1%}" for k in ("G", "C", "K", "U", "?")))
        write_missing(sorted(set(missing)))
        return 0
    words = judged.words("" if args.split == "all" else args.split)
    labels, missing = judged.labels(), []
    print(agreement())
    print(f"\n{len(words)} {args.split} words, N = {args.n}\n")
    print("| path | printable (G) | second right (C) | kind-of (K) | unsuitable (U) | words with ≥ 3 G | fill | unlabelled |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    sources = []
    for path in args.paths.split(","):
        print(line(f"{path}, previous code", figures(words, today_options(words, path), args.n, labels, [])))
        started = time.monotonic()
        result = figures(words, current_options(words, path, args.n), args.n, labels, missing)
        print(line(f"{path}, now ({time.monotonic() - started:.0f} s)", result))
        sources.append((path, result["sources"]))
    print("\nshare of G by source (now): " + "; ".join(
        f"{path}: " + ", ".join(f"{s} {g:.0%} of {k}" for s, (g, k) in sorted(found.items())) for path, found in sources))
    write_missing(sorted(set(missing)))
    return 0


def speed(words: list) -> None:
    """Seconds for a 30-word list as the Try tab's CSV batch makes it (vectors, dictionaries and the
    bundled model already loaded), against the same list without the ranker in the same run; and from
    the CLI, start to file."""
    import subprocess

    from engine.distractors import ranker
    from engine.distractors.making import make_distractors_batch

    rows = [(w["English"], w["Answer"]) for w in words[:30]]
    make_distractors_batch(rows[:3], n=5, model=judged.PATHS["model"][1])  # loads the model and vectors
    make_distractors_batch(rows, n=5)  # and the words' dictionary look-ups, as a page's first list does
    timings = {}
    for name in ("without the ranker", "with the ranker"):
        if name == "without the ranker":
            ranker.weights.cache_clear()
            saved, ranker.RANKER_FILE = ranker.RANKER_FILE, ranker.RANKER_FILE.with_name("none.json")
        started = time.monotonic()
        make_distractors_batch(rows, n=5)
        timings[name] = time.monotonic() - started
        if name == "without the ranker":
            ranker.RANKER_FILE = saved
            ranker.weights.cache_clear()
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "words.csv", Path(folder) / "out.csv"
        source.write_text("Input,Correct\n" + "".join(f"{e},{a}\n" for e, a in rows), encoding="utf-8")
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "engine.distractors", "--csv", str(source), "--out", str(out)],
                       cwd=ROOT, check=True, capture_output=True)
        timings["CLI, start to file"] = time.monotonic() - started
    base = timings["without the ranker"]
    print("\n30 words, N = 5: " + "; ".join(f"{k} {v:.1f} s ({v / base:.2f}× the list without the ranker)"
                                           for k, v in timings.items()))


def model_candidates(words: list, model: str, labels: dict, missing: list, top: int = 8) -> dict:
    """What a model itself writes: its first `top` candidates per word (by its confidence) that pass
    every rule, and the share of them a teacher prints."""
    from engine.vectors import sources
    from engine.words.lexicon import school_spelling

    counts = collections.Counter()
    for word, _row, kept in judged.gathered(words, sources.load_vectors("chive"), model):
        kept = [c for c in kept if c.source == "t5" and not c.kind]
        kept = sorted(kept, key=lambda c: -(c.model_score if c.model_score is not None else -1e9))[:top]
        for cand in kept:
            shown = school_spelling(cand.text)
            label = judged.label_of(labels, word["English"], shown, word["Answer"])
            counts[label or "?"] += 1
            if not label:
                missing.append((word["English"], word["Answer"], shown))
    total = sum(counts.values())
    return {"candidates": total, **{k: counts[k] / max(1, total) for k in ("G", "C", "K", "U", "?")}}


def write_missing(missing: list) -> None:
    with (judged.FOLDER / "unlabelled.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["English", "Answer", "Candidate"])
        writer.writerows(missing)
    if missing:
        print(f"\n{len(missing)} options have no label (data/judged/unlabelled.csv): label them, then run again; "
              "the figures above are not final.")


if __name__ == "__main__":
    sys.exit(main())
