"""Command line: generate with a stored model, for one text or a whole CSV.

    python -m engine.generate --model NAME --text "apple" --method beam --num-outputs 3
    python -m engine.generate --model NAME --csv words.csv --out outputs.csv

The last line printed is one JSON object (the outputs for --text, a summary for --csv).
"""
import argparse
import dataclasses
import json
import sys
import time

from engine.messages import StudioError
from engine.generation import GenerationSettings

MAX_CSV_ROWS = 20000  # one batch job; bigger files should be split


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """One --option per GenerationSettings field (e.g. --num-beams), defaults from the dataclass."""
    for f in dataclasses.fields(GenerationSettings):
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=type(f.default), default=f.default)


def settings_from_args(args) -> GenerationSettings:
    return GenerationSettings(**{f.name: getattr(args, f.name) for f in dataclasses.fields(GenerationSettings)})


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


def generate_csv(model: str, csv_path, out_path, settings: GenerationSettings, input_column: str = None,
                 progress=None, run_owner: str = "", allow_paths: bool = True) -> dict:
    """Generate for every row of a CSV, write the table, record the run; returns a summary."""
    from engine import csvdata, runs, turns
    from engine.generation import generate_batch, load_model, outputs_warning

    settings.check()
    frame, table = csvdata.load_pairs(csv_path, {"Input": input_column, "Correct": None}, required=("Input",))
    if len(frame) > MAX_CSV_ROWS:
        raise StudioError("generation.too_many_inputs", rows=len(frame), limit=MAX_CSV_ROWS)
    turns.check_fits(len(frame), settings)
    run = runs.start_run("generate", name=model, settings={"model": model, "rows": len(frame),
                                                           "data_sha256": table.sha256, **settings.to_dict()},
                         owner=run_owner)
    try:
        loaded = load_model(model, allow_paths)
        started = time.monotonic()
        answers = list(frame["Correct"]) if "Correct" in frame.columns else None  # for word=answer models
        results = generate_batch(loaded, list(frame["Input"]), settings, progress=progress, answers=answers)
        table_out = outputs_table(list(frame["Input"]), results, settings.num_outputs)
        if out_path:
            csvdata.write_download(table_out, out_path)
        seconds = time.monotonic() - started
        metrics = {"rows": len(frame), "seconds": round(seconds, 2), "rows_per_second": round(len(frame) / max(seconds, 1e-9), 1)}
        run.log(f"generated {len(frame)} rows in {seconds:.1f}s")
        run.finish("finished", metrics=metrics)
    except BaseException as exc:
        run.fail(exc)
        raise
    return {"run_id": run.id, "model": model, "out": str(out_path) if out_path else None, "table": table_out,
            "warning": outputs_warning(results), **metrics}


def outputs_table(inputs: list, results: list, num_outputs: int):
    """Input plus Output_1..Output_N (and Score_1..Score_N when scores exist) as a DataFrame."""
    import pandas as pd

    rows = []
    for text, candidates in zip(inputs, results):
        row = {"Input": text}
        for k in range(num_outputs):
            cand = candidates[k] if k < len(candidates) else None
            name = "Output" if num_outputs == 1 else f"Output_{k + 1}"
            row[name] = cand.text if cand else ""
            row["Score" if num_outputs == 1 else f"Score_{k + 1}"] = cand.score if cand else None
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.filter(like="Score").isna().all().all():
        table = table.drop(columns=[c for c in table.columns if c.startswith("Score")])
    return table


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from_args(args)
    try:
        if args.text is not None:
            from engine.generation import generate_one

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
