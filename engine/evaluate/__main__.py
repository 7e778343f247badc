"""Command line: evaluate a stored model on a CSV of Input, Output[, Correct].

    python -m engine.evaluate --model NAME --csv test.csv --out rows.csv

Prints progress, and as its last line one JSON object: the aggregate metrics (see engine.evaluate.metrics).
--out writes the per-row table (input, expected, generated, one column per metric) for Excel.
"""
import argparse
import json
import sys

from engine.core.messages import StudioError
from engine.generate.settings import add_settings_arguments, settings_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="stored model name, local folder, or Hub id (online)")
    parser.add_argument("--csv", required=True, help="CSV with Input and Output columns (Correct optional)")
    parser.add_argument("--out", help="where to write the per-row results (CSV, UTF-8 with BOM)")
    parser.add_argument("--input-column", default=None)
    parser.add_argument("--output-column", default=None)
    parser.add_argument("--correct-column", default=None)
    add_settings_arguments(parser)
    return parser


def main(argv=None) -> int:
    from engine.core import csvdata
    from engine.evaluate.evaluation import MAX_ROWS, evaluate_model

    args = build_parser().parse_args(argv)
    mapping = {"Input": args.input_column, "Output": args.output_column, "Correct": args.correct_column}
    try:
        table = csvdata.read_table(args.csv)
        # Correct is optional: select_columns keeps it when found and skips it otherwise.
        frame = csvdata.select_columns(table, mapping, choosable=True)  # --input-column …
        if len(frame) > MAX_ROWS:
            raise StudioError("evaluation.too_many_rows", rows=len(frame), limit=MAX_ROWS)
        settings = settings_from_args(args)

        def report(done, total):
            print(f"{done}/{total}", file=sys.stderr, flush=True)

        result = evaluate_model(args.model, frame, settings, progress=report, data_sha256=table.sha256)
        if args.out:
            csvdata.write_download(result.rows, args.out)
    except StudioError as exc:
        print(exc.message(), file=sys.stderr)
        print(json.dumps({"model": args.model, "status": "failed", "error": exc.message()}, ensure_ascii=False))
        return 1
    print(json.dumps({"model": args.model, "run_id": result.run_id, **result.metrics}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
