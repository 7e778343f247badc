"""Evaluating stored models on a CSV of (Input, Output[, Correct]): generate, score, record.

Each model's evaluation becomes a run in the history (kind "evaluate") and is appended to the
stored model's run.json under "evaluations", so the Logs and Catalog tabs can show it later.
"""
from contextlib import nullcontext
from dataclasses import dataclass, field

import pandas as pd

from engine.core import runs
from engine.core.runs import now_iso
from engine.evaluate import metrics as M
from engine.generate import turns
from engine.generate.generation import generate_batch, outputs_warning
from engine.generate.settings import GenerationSettings
from engine.models import store
from engine.models.loading import load_model, resolve_source

MAX_ROWS = 20000
KEPT_EVALUATIONS = 20  # per model, newest kept; older ones remain in the run history


@dataclass
class EvaluationResult:
    model: str
    rows: pd.DataFrame  # input, expected, generated[, correct], one column per metric
    metrics: dict  # aggregate values (see engine.evaluate.metrics)
    run_id: str = ""
    settings: dict = field(default_factory=dict)
    warning: str = ""  # a note when the outputs as a whole are unusable (see outputs_warning)


def score_rows(inputs: list, expected: list, generated: list, correct: list = None,
               outputs: list = None) -> pd.DataFrame:
    """The per-row table: texts, then one column per metric (and per Correct-column metric).

    outputs: per row, every output generated (several per input in the distractor use); the first
    is `generated`. They are shown joined by " | " and scored by the Correct-column metrics.
    """
    records = []
    for i, (src, ref, hyp) in enumerate(zip(inputs, expected, generated)):
        row = {"input": src, "expected": ref, "generated": hyp}
        if outputs is not None:
            row["outputs"] = " | ".join(outputs[i])
        if correct is not None:
            row["correct"] = correct[i]
        row.update(M.row_metrics(hyp, ref))
        if correct is not None:
            row.update(M.correct_row_metrics(hyp, ref, correct[i], outputs[i] if outputs is not None else None))
        records.append(row)
    return pd.DataFrame(records)


def aggregate(rows: pd.DataFrame) -> dict:
    """Corpus metrics of a per-row table, plus the mean of every Correct-column metric (NaN rows skipped)."""
    values = M.compute_metrics(list(rows["generated"]), list(rows["expected"]))
    for column in rows.columns:
        if column.startswith("correct_") and pd.api.types.is_numeric_dtype(rows[column]):
            mean = rows[column].mean()
            values[column] = None if pd.isna(mean) else round(float(mean), 4)
    return values


def evaluate_model(model: str, frame: pd.DataFrame, settings: GenerationSettings = None, progress=None,
                   owner: str = "", data_sha256: str = "", record: bool = True,
                   allow_paths: bool = True) -> EvaluationResult:
    """Generate an output for each Input of `frame` and compare it with Output (and Correct).

    frame: columns Input, Output[, Correct] (as engine.core.csvdata.select_columns returns).
    progress: optional callable(done_rows, total_rows).
    record: write a run and append to the model's meta (off for quick checks).
    allow_paths: accept local folders as models (the CLI does; the web app does not).
    """
    settings = (settings or GenerationSettings()).check()
    # One output per row is compared with Output. With a Correct column, several outputs per row
    # (num_outputs > 1) are kept as quiz distractors and scored together (leak rate, diversity, …).
    several = "Correct" in frame.columns and settings.num_outputs > 1
    if not several:
        settings = GenerationSettings.from_dict({**settings.to_dict(), "num_outputs": 1})
    kind, _ = resolve_source(model, allow_paths)
    recorded = {"model": model, "rows": len(frame), "data_sha256": data_sha256,
                "has_correct": "Correct" in frame.columns, **settings.to_dict()}
    with runs.running("evaluate", name=model, owner=owner, settings=recorded) if record else nullcontext() as run:
        loaded = load_model(model, allow_paths)
        inputs = list(frame["Input"])
        correct = list(frame["Correct"]) if "Correct" in frame.columns else None
        results = generate_batch(loaded, inputs, settings, progress=progress, with_scores=False, answers=correct)
        generated = [c[0].text if c else "" for c in results]
        outputs = [[c.text for c in cands] for cands in results] if several else None
        rows = score_rows(inputs, list(frame["Output"]), generated, correct, outputs)
        values = aggregate(rows)
        if run:
            run.log(f"evaluated {len(rows)} rows: " + ", ".join(f"{k}={v}" for k, v in values.items()))
            run.finish("finished", metrics=values)
            if kind == "store":
                _remember(model, run.id, data_sha256, values)
    return EvaluationResult(model=model, rows=rows, metrics=values, run_id=run.id if run else "",
                            settings=settings.to_dict(), warning=outputs_warning(results))


def _remember(model: str, run_id: str, data_sha256: str, values: dict) -> None:
    """Append this evaluation to the stored model's run.json (newest last, a bounded list)."""
    meta = store.load_meta(model)
    entry = {"run_id": run_id, "date": now_iso(), "data_sha256": data_sha256, "metrics": values}
    store.update_meta(model, evaluations=(list(meta.get("evaluations") or []) + [entry])[-KEPT_EVALUATIONS:])


def evaluate_models(models: list, frame: pd.DataFrame, settings: GenerationSettings = None, progress=None,
                    owner: str = "", data_sha256: str = "", allow_paths: bool = True) -> list:
    """evaluate_model for each model in turn; progress(done, total) counts rows over all models."""
    results = []
    total = len(frame) * len(models)
    turns.check_fits(total, settings or GenerationSettings())
    for k, model in enumerate(models):
        report = (lambda done, _n, k=k: progress(k * len(frame) + done, total)) if progress else None
        results.append(evaluate_model(model, frame, settings, report, owner, data_sha256,
                                      allow_paths=allow_paths))
    return results


def comparison_table(results: list) -> pd.DataFrame:
    """Aggregate metrics side by side: one row per metric, one column per model, plus direction."""
    names = [name for name in results[0].metrics if name != "rows"] if results else []
    table = pd.DataFrame({"metric": names, "better": [M.direction(n) for n in names]})
    for result in results:
        table[result.model] = [result.metrics.get(n) for n in names]
    return table


def combined_rows(results: list) -> pd.DataFrame:
    """Every model's per-row table stacked, with a model column first (for one download)."""
    frames = [r.rows.assign(model=r.model)[["model", *r.rows.columns]] for r in results]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
