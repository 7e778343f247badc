"""Command line: generate with a stored model, for one text or a whole CSV.

    python -m engine.generate --model NAME --text "apple" --method beam --num-outputs 3
    python -m engine.generate --model NAME --csv words.csv --out outputs.csv

The last line printed is one JSON object (the outputs for --text, a summary for --csv).
"""
import argparse
import json
import sys

from engine.core.messages import StudioError
from engine.generate.from_csv import generate_csv
from engine.generate.generation import generate_one
from engine.generate.settings import add_settings_arguments, settings_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="stored model name, local folder, or Hub id (online)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="one input text")
    source.add_argument("--csv", help="a CSV with an Input column")
    parser.add_argument("--out", help="where to write the CSV of outputs (with --csv)")
    parser.add_argument("--input-column", default=None, help="the CSV column to read (default: guessed)")
    add_settings_arguments(parser)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from_args(args)
    try:
        if args.text is not None:
            if not args.text.strip():
                raise StudioError("generation.empty_input")
            candidates = generate_one(args.model, args.text, settings.check())
            result = {"model": args.model, "input": args.text,
                      "outputs": [{"text": c.text, "score": c.score} for c in candidates]}
        else:
            summary = generate_csv(args.model, args.csv, args.out, settings, args.input_column)
            summary.pop("table")
            result = summary
    except StudioError as exc:
        print(exc.message(), file=sys.stderr)
        print(json.dumps({"model": args.model, "status": "failed", "error": exc.message()}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
