"""Two or more runs side by side: their loss curves on one chart, and the settings that differ.

What a teacher tuning a recipe asks after a few trainings: which one learnt best, and what was
different about it. Settings are named in words (core.messages.field_label); a setting one run has
and another lacks shows as "—" for the one that lacks it.
"""
import pandas as pd

from engine.core.fonts import font_families
from engine.core.messages import StudioError, field_label, text
from engine.logs.view import format_value, run_details, shown_value

MAX_RUNS = 8  # more lines than this on one chart cannot be told apart
COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777")
HIDDEN_SETTINGS = ("csv", "name", "data_sha256", "corpus_sha256")  # identities, not choices


def compare_runs(run_ids: list, owner: str = None) -> dict:
    """{"runs": records, "curves": {label: curve frame}, "differences": table, "best": label or ""}
    for the runs asked for (owner: in public mode, only that visitor's runs are found)."""
    run_ids = list(dict.fromkeys(r for r in (run_ids or []) if r))
    if len(run_ids) < 2:
        raise StudioError("logs.compare_too_few")
    if len(run_ids) > MAX_RUNS:
        raise StudioError("logs.compare_too_many", limit=MAX_RUNS, count=len(run_ids))
    details = [run_details(run_id, log_tail=0, owner=owner) for run_id in run_ids]
    labels = _labels([d["record"] for d in details])
    curves = {label: d["curve"] for label, d in zip(labels, details)}
    return {"runs": [d["record"] for d in details], "curves": curves,
            "differences": differences([d["record"] for d in details], labels), "best": best_run(curves)}


def _labels(records: list) -> list:
    """Each run's name, with the end of its id where two runs share a name."""
    names = [r.get("name") or r["id"] for r in records]
    return [name if names.count(name) == 1 else f"{name} ({r['id'].rsplit('-', 1)[-1]})"
            for name, r in zip(names, records)]


def differences(records: list, labels: list) -> pd.DataFrame:
    """One row per setting whose value is not the same in every run, one column per run."""
    keys = list(dict.fromkeys(k for r in records for k in (r.get("settings") or {}) if k not in HIDDEN_SETTINGS))
    rows = []
    for key in keys:
        values = [(r.get("settings") or {}).get(key) for r in records]
        if len({format_value(v) for v in values}) > 1:
            rows.append([field_label(key)] + ["—" if v is None else shown_value(key, v) for v in values])
    files = data_files(records)
    if files:
        rows.insert(0, [text("logs.compare_data")] + files)
    return pd.DataFrame(rows, columns=[text("logs.field")] + labels)


def data_files(records: list) -> list:
    """Each run's data file as "file 1", "file 2"… (one number per distinct content) when the runs did
    did not all read the same file ("—" for a record that does not say); [] otherwise."""
    hashes = [(r.get("settings") or {}).get("data_sha256") for r in records]
    distinct = list(dict.fromkeys(h for h in hashes if h))
    if len(distinct) < 2:
        return []
    return [text("logs.data_file_n", n=distinct.index(h) + 1) if h else "—" for h in hashes]


def best_run(curves: dict) -> str:
    """The run whose last validation loss is lowest ("" when none has one)."""
    last = {label: c["eval_loss"].dropna().iloc[-1] for label, c in curves.items()
            if "eval_loss" in c.columns and c["eval_loss"].notna().any()}
    return min(last, key=last.get) if last else ""


def comparison_figure(curves: dict):
    """Training loss (solid) and validation loss (dashed, dotted points) of every run, one colour
    per run, against step; None when no run has a curve."""
    import matplotlib
    from matplotlib.figure import Figure  # not pyplot: no global state shared between users

    drawn = {label: c for label, c in curves.items() if not c.empty}
    if not drawn:
        return None
    with matplotlib.rc_context({"font.family": font_families(), "axes.unicode_minus": False}):
        figure = Figure(figsize=(8, 4.2), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        for colour, (label, curve) in zip(COLOURS, drawn.items()):
            for column, style, key in (("loss", {"linestyle": "-"}, "logs.plot_train_loss"),
                                       ("eval_loss", {"linestyle": "--", "marker": "o", "markersize": 3},
                                        "logs.plot_eval_loss")):
                points = curve[["step", column]].dropna() if column in curve.columns else pd.DataFrame()
                if not points.empty:
                    axes.plot(points["step"], points[column], color=colour, linewidth=1.5,
                              label=f"{label} · {text(key)}", **style)
        axes.set_xlabel(text("logs.plot_step"))
        axes.set_ylabel(text("logs.plot_loss"))
        axes.grid(True, alpha=0.3)
        axes.set_title(text("logs.compare_plot"))
        axes.legend(loc="upper right", fontsize=8)
    return figure
