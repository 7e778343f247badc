"""Command line for quiz distractors. The last line printed is one JSON object.

    python -m engine.distractors dog --correct 犬 --n 5 [--model NAME] [--method diverse_beam]
    python -m engine.distractors --csv words.csv --out distractors.csv --n 5 [--model NAME]
        [--input-column 英単語] [--answer-column 日本語]
"""
import argparse
import json
import sys

from engine.core.messages import StudioError
from engine.distractors.batch import distractors_csv
from engine.distractors.answers import sense_answer
from engine.distractors.making import METHODS, make_distractors


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.distractors",
                                     description="Plausible but wrong Japanese translations (T5 Studio)")
    parser.add_argument("word", nargs="?", help="English word (or words)")
    parser.add_argument("--correct", default="", help="the correct Japanese translation(s), separated by |")
    parser.add_argument("--sense", type=int, default=0,
                        help="without --correct: the word's meaning to use, 1 = the main one (listed in the output)")
    parser.add_argument("--n", type=int, default=5, help="how many distractors (1-20)")
    parser.add_argument("--model", default="", help="stored model name or folder; none = word vectors only")
    parser.add_argument("--method", default="diverse_beam", choices=METHODS, help="how the model searches")
    parser.add_argument("--vectors", default="chive", help="word vector set (default: chive)")
    parser.add_argument("--no-vectors", action="store_true", help="use the model's candidates only")
    parser.add_argument("--no-samples", action="store_true",
                        help="do not use the bundled sample data and lexicon (answer look-up, synonym check)")
    parser.add_argument("--csv", help="CSV of English words [and their answers], instead of one word")
    parser.add_argument("--input-column", help="with --csv: the English column (default: guessed from its name)")
    parser.add_argument("--answer-column",
                        help="with --csv: the answers' column (default: guessed, e.g. 正解, 日本語); '' for none")
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
            summary = distractors_csv(args.csv, args.out, **options, input_column=args.input_column,
                                      answer_column=args.answer_column,
                                      progress=lambda d, t: print(f"[{d}/{t}]", file=sys.stderr, flush=True))
            result = {k: v for k, v in summary.items() if k != "table"}
        else:
            correct = args.correct or (sense_answer(args.word, args.sense) if args.sense else "")
            found = make_distractors(args.word, correct, **options)
            for note in found.notes:
                print(note)
            if found.senses:
                print("senses: " + "  ".join(f"{k}. {w}" for k, w in enumerate(found.senses, 1)))
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
