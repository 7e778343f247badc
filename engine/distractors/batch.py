"""Distractors for every row of a CSV (the Try tab's batch and `python -m engine.distractors --csv`)."""
import time

from engine.core import csvdata, runs
from engine.core.messages import StudioError
from engine.distractors.making import check_n, make_distractors_batch
from engine.models.loading import resolve_source

MAX_CSV_ROWS = 2000


def distractors_table(sets: list, n: int):
    """Input, Correct, distractor_1..N, score_1..N, source_1..N, note — one row per word."""
    import pandas as pd

    records = []
    for result in sets:
        row = {"Input": result.input, "Correct": "|".join(result.correct)}
        for k in range(n):
            row[f"distractor_{k + 1}"] = result.distractors[k].text if k < len(result.distractors) else ""
        for k in range(n):
            row[f"score_{k + 1}"] = result.distractors[k].score if k < len(result.distractors) else None
        for k in range(n):
            row[f"source_{k + 1}"] = result.distractors[k].source if k < len(result.distractors) else ""
        row["note"] = " ".join(result.notes)
        records.append(row)
    return pd.DataFrame(records)


def distractors_csv(csv_path, out_path=None, n: int = 5, model: str = "", vectors: str = "chive",
                    method: str = "diverse_beam", use_vectors: bool = True, use_samples: bool = True,
                    allow_paths: bool = True, progress=None, run_owner: str = "", input_column: str = None,
                    answer_column: str = None) -> dict:
    """Distractors for every row of a CSV (English[, answer]); writes out_path (UTF-8 with BOM) when given.

    input_column / answer_column: the columns to read; None guesses them from their names (English,
    英単語 / 正解, 日本語, 意味), "" as the answer column means none (answers come from the dictionary).
    The batch is recorded in the run history (kind "generate", settings["mode"] = "distractors",
    owned by run_owner), so the Logs tab lists it next to ordinary generation runs."""
    n = check_n(n)
    table_in = csvdata.read_table(csv_path)
    columns = csvdata.word_list_columns(table_in.columns, input_column, answer_column)
    frame = csvdata.select_word_list(table_in, columns, choosable=True)  # the page has column pickers
    if len(frame) > MAX_CSV_ROWS:
        raise StudioError("distractors.too_many_rows", rows=len(frame), limit=MAX_CSV_ROWS)
    if model:  # a model that is not there is refused before a run is recorded
        resolve_source(model, allow_paths)
    record = {"mode": "distractors", "model": model, "n": n, "vectors": vectors if use_vectors else "",
              "method": method if model else "", "use_samples": use_samples, "rows": len(frame),
              "data_sha256": table_in.sha256}
    with runs.running("generate", name=model or "vectors", owner=run_owner, settings=record) as run:
        started = time.monotonic()
        corrects = list(frame["Correct"]) if "Correct" in frame.columns else [""] * len(frame)
        sets = make_distractors_batch(list(zip(frame["Input"], corrects)), n, model, vectors, method, use_vectors,
                                      use_samples, allow_paths, progress=progress)
        table = distractors_table(sets, n)
        if out_path:
            csvdata.write_download(table, out_path)
        seconds = round(time.monotonic() - started, 2)
        complete = sum(len(s.distractors) == n for s in sets)
        run.log(f"distractors for {len(table)} rows ({complete} with {n}) in {seconds:.1f}s")
        run.finish("finished", metrics={"rows": len(table), "complete_rows": complete, "seconds": seconds})
    return {"run_id": run.id, "rows": len(table), "complete_rows": complete, "seconds": seconds, "table": table,
            "out": str(out_path) if out_path else None, "columns": columns,
            "warnings": table_in.notes()}
