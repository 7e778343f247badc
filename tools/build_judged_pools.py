"""Build the candidate pools of the judged set (data/judged/pools.csv) from its word list.

    python tools/build_judged_pools.py [--words data/judged/words.csv] [--out data/judged/pools.csv]

For each word (English + the answer a teacher typed) the pool holds what distractor mode can offer,
from every source, after the leak rules (engine.distractors.making.gather): the best POOL_TAKE of
each source by score, plus whatever today's code picks for N = 5 on every path (vectors only, with the
bundled model, no answer given). Teachers' labels (data/judged/labels_*.csv) are given per pool row;
the runtime ranker chooses among the same per-source shortlists (engine.distractors.ranking.shortlist),
so the options it shows carry labels.

Deterministic: the bundled model decodes by diverse beam search, every list has a fixed order.
"""
import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.core.messages import StudioError  # noqa: E402
from engine.core.paths import BUNDLED_BASE  # noqa: E402
from engine.distractors import making  # noqa: E402
from engine.distractors.answers import prepare, resolve_lexicon  # noqa: E402
from engine.distractors.ranking import pick, shortlist  # noqa: E402
from engine.vectors import sources  # noqa: E402
from engine.words.lexicon import school_spelling  # noqa: E402

N = 5


def read_words(path: Path) -> list:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def gathered(row: dict, generated: list, vs, has_model: bool) -> list:
    """The row's candidates on one path; none where that path cannot answer (it says so in the app)."""
    try:
        return making.gather(row, generated, vs, has_model)[0]
    except StudioError:
        return []


def pool_for(row: dict, generated: list, bare: dict, bare_generated: list, vs) -> list:
    """(candidate as shown, sources) for one word, in a fixed order."""
    found = {}

    def add(cands, tag):
        for cand in cands:
            found.setdefault(school_spelling(cand.text), []).append(f"{tag}:{cand.source}")

    with_model = gathered(row, generated, vs, True)
    add(shortlist(with_model, vs), "pool")
    vectors_only = gathered(row, [], vs, False)
    add(pick(vectors_only, N, vs), "today")
    add(pick(with_model, N, vs), "today_model")
    if bare["anchors"]:
        no_answer = gathered(bare, bare_generated, vs, True)
        add(pick(no_answer, N, vs), "today_no_answer")
    return [(text, "|".join(dict.fromkeys(tags))) for text, tags in found.items()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=Path, default=ROOT / "data/judged/words.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "data/judged/pools.csv")
    args = parser.parse_args(argv)
    words = read_words(args.words)
    vs = sources.load_vectors("chive")
    rows = [resolve_lexicon(prepare(w["English"], w["Answer"], True), vs) for w in words]
    bare = [resolve_lexicon(prepare(w["English"], "", True), vs) for w in words]
    everyone = list(range(len(rows)))
    generated = making._generate(BUNDLED_BASE, rows, everyone, N, "diverse_beam", True, None)
    bare_generated = making._generate(BUNDLED_BASE, bare, everyone, N, "diverse_beam", True, None)
    out = []
    for word, row, g, b, bg in zip(words, rows, generated, bare, bare_generated):
        for text, tags in pool_for(row, g, b, bg, vs):
            out.append((len(out) + 1, word["English"], word["Answer"], text, tags))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["Id", "English", "Answer", "Candidate", "Sources"])
        writer.writerows(out)
    print(f"{len(out)} candidates for {len(words)} words in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
