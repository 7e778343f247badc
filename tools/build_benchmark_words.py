"""Build the distractor benchmark's word list (data/samples/distractors_benchmark.csv) from JMdict.

    python tools/build_benchmark_words.py [--per-band 135] [--out data/samples]

A held-out list for measuring distractor mode on words a teacher quizzes, across how common they
are and what kind of word they are. It reuses tools/build_samples.py's reading of JMdict and its
ordering of English words (most common first), leaves out every word of the sample CSVs (training
and held-out), splits the rest into four frequency bands by position in that order, and takes
--per-band words from each band at even steps, so the list is deterministic and spans each band.

Columns: Input (English word), Answer (its main translation, as a teacher would type it),
Correct (every Japanese form of every entry glossed with the word, all senses: what counts as a
leak), Band (A most common … D least), POS (noun, verb, adjective, …: the main sense's kind).
"""
import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_samples as samples  # noqa: E402

OUT_FILE = "distractors_benchmark.csv"
# Band edges by position in the frequency-ordered English words (build_samples.english_words).
BANDS = (("A", 0, 4000), ("B", 4000, 8000), ("C", 8000, 14000), ("D", 14000, 10**9))


def sample_words(folder: Path) -> set:
    words = set()
    for name in ("distractors_train.csv", "distractors_heldout.csv"):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            words |= {row["Input"] for row in csv.DictReader(handle)}
    return words


def row_for(dic, word: str):
    """(answer, every form of every sense, kind) for `word`, or None when it has no usable translation."""
    translations = sorted(t for t in dic.by_english[word] if t.entry.common)
    if not translations:
        return None
    best = translations[0]
    answer = best.entry.display(best.sense)
    if not answer or samples.LOANWORD.fullmatch(answer):
        return None  # a katakana loanword answer gives itself away in a quiz
    forms = {}
    for idseq in sorted(dic.any_sense.get(word, ())):
        forms.update(dict.fromkeys(dic.entries[idseq].all_texts()))
    forms = [answer] + [f for f in forms if f != answer]
    return answer, forms, best.sense.kind or ""


def choose(dic, words: list, skip: set, per_band: int) -> list:
    rows = []
    for band, start, end in BANDS:
        pool = [w for w in words[start:end] if w not in skip and " " not in w]
        usable = [(w, row_for(dic, w)) for w in pool]
        usable = [(w, r) for w, r in usable if r]
        step = max(1, len(usable) // per_band)
        for word, (answer, forms, kind) in usable[::step][:per_band]:
            rows.append((word, answer, "|".join(forms), band, kind))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-band", type=int, default=135)
    parser.add_argument("--out", type=Path, default=Path("data/samples"))
    args = parser.parse_args(argv)
    vectors = samples.Neighbours()
    dic = samples.Dictionary(samples.load_jmdict(samples.jmdict_path()), vectors.row_of,
                             samples.load_names(samples.jmdict_path()))
    rows = choose(dic, samples.english_words(dic), sample_words(args.out), args.per_band)
    samples.write_table(args.out / OUT_FILE, ["Input", "Answer", "Correct", "Band", "POS"], rows)
    print(f"{len(rows)} words in {args.out / OUT_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
