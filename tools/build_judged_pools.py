"""Add to the candidate pools of the judged set (data/judged/pools.csv) what today's code would show
and nobody has labelled yet, so that every option the benchmark reports carries a teacher's label.

    python tools/build_judged_pools.py --tag round2 [--top 10]
    python tools/build_judged_pools.py --tag round5 --from-unlabelled   # what bench/judged.py listed

For each word (English + the answer a teacher typed) and each path of engine.distractors.judged.PATHS
(answer given, with or without the bundled model; only the English word), the first --top options the current pipeline picks are
appended with a new Id when the pool lacks them; Sources says the tag, the path and the source.
The new rows are then labelled in two independent passes and settled (docs/distractor-rubric.md),
and the ranker retrained (tools/train_ranker.py).

The first rows (tag pool/today*, 10,997 of them) were written by the code of the day the judged set
began: each source's shortlist (14 vector neighbours, 4 words sharing the answer's last kanji, 3
dictionary neighbours, 8 of the bundled model's candidates, each chosen for score and variety), plus
what that code picked for N = 5 on each path: those picks are "the previous code" in bench/judged.py.
Deterministic: the bundled model decodes by diverse beam search, every list has a fixed order.
"""
import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.distractors import judged  # noqa: E402

def missing(words: list, top: int) -> list:
    """(English, answer, option as shown, sources) for every unlabelled option of every path."""
    pooled = {(r["English"], r["Candidate"]) for r in judged.read("pools.csv")}
    found = {}
    for path in judged.PATHS:
        for word, result in zip(words, judged.options(words, path, top)):
            for option in result.distractors:
                key = judged.key(word["English"], option.text, word["Answer"])
                if key not in pooled:
                    found.setdefault(key, (word["English"], word["Answer"], key[1], []))[3].append(
                        f"{path}:{option.source}")
    return list(found.values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", required=True, help="a name for this round of additions (round2, …)")
    parser.add_argument("--top", type=int, default=10, help="options per word and path to cover")
    parser.add_argument("--from-unlabelled", action="store_true",
                        help="add the options bench/judged.py listed in data/judged/unlabelled.csv instead")
    args = parser.parse_args(argv)
    words = judged.words()
    rows = judged.read("pools.csv")
    next_id = max((int(r["Id"]) for r in rows), default=0) + 1
    if args.from_unlabelled:  # what the last bench/judged.py run listed, without running the pipeline again
        added = [(r["English"], r["Answer"], r["Candidate"], ["bench"]) for r in judged.read("unlabelled.csv")]
    else:
        added = missing(words, args.top)
    with (judged.FOLDER / "pools.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for offset, (english, answer, text, sources) in enumerate(added):
            writer.writerow([next_id + offset, english, answer, text,
                             "|".join(f"{args.tag}:{s}" for s in dict.fromkeys(sources))])
    print(f"{len(added)} unlabelled options added to the pools of {len(words)} words", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
