"""Reading the run history for people: a table of runs, one run's details, its loss curve.

engine.core.runs writes and reconciles the history; this module only reads it and shapes it for
display (the Logs tab, or `python -m engine.logs`). It never imports gradio; the plot is a
matplotlib Figure.
"""
import json
import math
import re
from datetime import datetime
from pathlib import PurePosixPath, PureWindowsPath

import pandas as pd

from engine.core import runs
from engine.core.fonts import font_families
from engine.core.jsonio import read_jsonl
from engine.core.messages import StudioError, field_label, listing, text, texts

# Fonts that can draw Japanese, best first; Debian's fonts-noto-cjk provides the first.


def error_text(record: dict) -> str:
    """A run's error in words: its own, or for a run found interrupted, why it was marked so."""
    if record.get("error"):
        return record["error"]
    return text("logs.interrupted_reason") if record.get("status") == "interrupted" else ""


def check_run_id(run_id) -> str:
    """The id of an existing run, or a StudioError; never a path outside runs/."""
    run_id = (run_id or "").strip() if isinstance(run_id, str) else ""
    if not run_id:
        raise StudioError("logs.no_run_selected")
    try:
        folder = runs.run_folder(run_id)
    except ValueError:
        raise StudioError("logs.run_not_found", run_id=run_id) from None
    if not (folder / "run.json").is_file():
        raise StudioError("logs.run_not_found", run_id=run_id)
    return run_id


def _parse_time(value: str):
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def duration_text(record: dict) -> str:
    """How long the run took (or has taken so far), as H:MM:SS."""
    start = _parse_time(record.get("started", ""))
    end = _parse_time(record.get("ended", ""))
    if start is None:
        return ""
    if end is None:
        end = datetime.now(start.tzinfo)
    seconds = max(0, int((end - start).total_seconds()))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def short_time(value: str) -> str:
    moment = _parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def format_value(value) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def shown_value(key: str, value) -> str:
    """A setting or metric as a reader takes it: yes/no, a generation method's name, a file's name
    without the server folder it was read from, a number to four digits."""
    if isinstance(value, bool):
        return text("logs.yes" if value else "logs.no")
    if key == "method" and f"try.method_{value}" in texts():
        return text(f"try.method_{value}")
    if isinstance(value, str) and (value.startswith("/") or re.match(r"[A-Za-z]:\\", value)):
        return PureWindowsPath(value).name if "\\" in value else PurePosixPath(value).name
    return format_value(value)


def metrics_summary(metrics: dict, limit: int = 3) -> str:
    """A few numbers of a run for one table cell, e.g. '検証損失 1.23, chrF 45.6'."""
    numbers = [(k, v) for k, v in (metrics or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return listing(f"{field_label(k)} {format_value(v)}" for k, v in numbers[:limit])


def table_columns() -> list:
    return [text(f"logs.col_{name}") for name in ("started", "kind", "status", "name", "duration", "metrics", "id")]


def list_records(kind: str = None, status: str = None, owner: str = None) -> list:
    """Run records, newest first; kind/status 'all' or empty means no filter.

    owner: an owner's secret key; only that owner's runs are listed."""
    kind = None if kind in (None, "", "all") else kind
    status = None if status in (None, "", "all") else status
    records = runs.list_runs(kind=kind, status=status)
    if owner:
        records = [r for r in records if r.get("owner") == runs.owner_id(owner)]
    return records


def runs_table(records: list) -> pd.DataFrame:
    """One row per run, with Japanese labels; the last column is the run id."""
    rows = [
        [
            short_time(r.get("started", "")),
            runs.label(r.get("kind", "")),
            runs.label(r.get("status", "")),
            shown_name(r),
            duration_text(r),
            metrics_summary(r.get("metrics")),
            r.get("id", ""),
        ]
        for r in records
    ]
    return pd.DataFrame(rows, columns=table_columns(), dtype=object)


def shown_name(record: dict) -> str:
    """A run's name as a reader knows it: a batch of distractors without a model says so in words
    (its record keeps the name "vectors" it has always had)."""
    settings = record.get("settings") or {}
    if settings.get("mode") == "distractors":
        return text("logs.name_distractors", model=settings.get("model") or text("logs.name_vectors_only"))
    return record.get("name", "")


def run_choice_label(record: dict) -> str:
    parts = [short_time(record.get("started", "")), runs.label(record.get("kind", "")), shown_name(record)]
    label = " ".join(p for p in parts if p)
    return f"{label} [{runs.label(record.get('status', ''))}]"


def trainer_log(run_id: str) -> list:
    """Every complete line of the run's trainer_log.jsonl (empty when there is none)."""
    return read_jsonl(runs.run_folder(check_run_id(run_id)) / "trainer_log.jsonl")


def loss_figure(frame: pd.DataFrame, title: str = ""):
    """Train loss and eval loss against step (learning rate on a thin panel below), or None."""
    import matplotlib
    from matplotlib.figure import Figure  # not pyplot: no global state shared between users

    has_loss = any(c in frame.columns and frame[c].notna().any() for c in ("loss", "eval_loss"))
    if frame.empty or not has_loss:
        return None
    has_lr = "learning_rate" in frame.columns and frame["learning_rate"].notna().any()
    with matplotlib.rc_context({"font.family": font_families(), "axes.unicode_minus": False}):
        figure = Figure(figsize=(8, 4.6 if has_lr else 3.8), dpi=100, layout="constrained")
        if has_lr:
            axes, lr_axes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
        else:
            axes, lr_axes = figure.add_subplot(), None
        for column, style, label_key in (
            ("loss", {"color": "#2563eb", "linewidth": 1.6}, "logs.plot_train_loss"),
            ("eval_loss", {"color": "#dc2626", "linewidth": 1.6, "marker": "o", "markersize": 4}, "logs.plot_eval_loss"),
        ):
            if column in frame.columns:
                points = frame[["step", column]].dropna()
                if not points.empty:
                    axes.plot(points["step"], points[column], label=text(label_key), **style)
        axes.set_ylabel(text("logs.plot_loss"))
        axes.grid(True, alpha=0.3)
        axes.legend(loc="upper right")
        if title:
            axes.set_title(title)
        if lr_axes is not None:
            points = frame[["step", "learning_rate"]].dropna()
            lr_axes.plot(points["step"], points["learning_rate"], color="#6b7280", linewidth=1.2)
            lr_axes.set_ylabel(text("logs.plot_lr"))
            lr_axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
            lr_axes.grid(True, alpha=0.3)
        (lr_axes or axes).set_xlabel(text("logs.plot_step"))
    return figure


def run_details(run_id: str, log_tail: int = None, owner: str = None) -> dict:
    """Everything the Logs tab shows for one run: record, log text (its last lines), curve table.

    owner: when given (public mode), a run of anyone else is reported as not found."""
    run_id = check_run_id(run_id)
    record = runs.load_run(run_id)
    if record is None or (owner is not None and record.get("owner") != runs.owner_id(owner)):
        raise StudioError("logs.run_not_found", run_id=run_id)
    return {
        "record": record,
        "log": runs.read_log(run_id, tail_lines=log_tail),
        "curve": runs.loss_curve(trainer_log(run_id)),
    }


def running_records() -> list:
    """Runs in progress right now (dead ones have just been marked interrupted)."""
    return runs.list_runs(status="running")
