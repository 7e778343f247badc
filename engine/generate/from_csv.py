"""Generate for every row of a CSV (the Try tab's batch and `python -m engine.generate --csv`)."""
import time

from engine.core import csvdata, runs
from engine.core.messages import StudioError
from engine.generate import turns
from engine.generate.generation import generate_batch, outputs_warning
from engine.generate.settings import GenerationSettings
from engine.models.loading import load_model, resolve_source

MAX_CSV_ROWS = 20000  # one batch job; bigger files should be split


def generate_csv(model: str, csv_path, out_path, settings: GenerationSettings, input_column: str = None,
                 progress=None, run_owner: str = "", allow_paths: bool = True) -> dict:
    """Generate for every row of a CSV, write the table, record the run; returns a summary."""
    settings.check()
    table = csvdata.read_table(csv_path)
    # a word list's 日本語 column too: its answers go to models that read one
    frame = csvdata.select_word_list(table, csvdata.word_list_columns(table.columns, input_column))
    if len(frame) > MAX_CSV_ROWS:
        raise StudioError("generation.too_many_inputs", rows=len(frame), limit=MAX_CSV_ROWS)
    turns.check_fits(len(frame), settings)
    resolve_source(model, allow_paths)  # a model that is not there is refused before a run is recorded
    record = {"model": model, "rows": len(frame), "data_sha256": table.sha256, **settings.to_dict()}
    with runs.running("generate", name=model, settings=record, owner=run_owner) as run:
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
    return {"run_id": run.id, "model": model, "out": str(out_path) if out_path else None, "table": table_out,
            "warning": outputs_warning(results), "skipped": table.notes(),
            **metrics}


def outputs_table(inputs: list, results: list, num_outputs: int):
    """Input plus Output_1..Output_N (and Score_1..Score_N when scores exist) as a DataFrame."""
    import pandas as pd

    rows = []
    for source, candidates in zip(inputs, results):
        row = {"Input": source}
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
