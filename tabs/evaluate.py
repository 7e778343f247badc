"""評価 (Evaluate) tab: score one or more models on a CSV of Input, Output[, Correct], side by side."""
import gradio as gr
import pandas as pd

from engine.core import csvdata
from engine.core.messages import StudioError, text
from engine.core.paths import BUNDLED_BASE, SAMPLES_DIR
from engine.evaluate.evaluation import MAX_ROWS, combined_rows, comparison_table, evaluate_models
from engine.evaluate.metrics import is_distractor_metric
from engine.evaluate.plot import score_plot
from tabs.common import (GENERATE, Page, cancel_button, escape, guarded, owner_key, result_file, stash_upload, t,
                         visitor_request)
from tabs.try_t5 import model_choices, settings_from_widgets, settings_widgets

MAX_MODELS = 4  # each model is a full generation pass over the file
SAMPLE_CSV = SAMPLES_DIR / "distractors_heldout.csv"  # rows no bundled model trained on
SAMPLE_ROWS = 30  # enough to read the measures, quick on two cores
PREVIEW_ROWS = 300


def create_tab(page: Page) -> None:
    gr.Markdown(t("evaluate.intro"))
    with gr.Accordion(t("evaluate.metrics_help_title"), open=False):
        gr.Markdown(t("evaluate.metrics_help"))
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(label=t("evaluate.csv"), file_types=[".csv", ".txt", ".tsv"], type="filepath")
            gr.Markdown(t("evaluate.csv_info"))
            sample = gr.Button(t("evaluate.use_sample"), size="sm")
        with gr.Column(scale=1):
            models = gr.Dropdown(label=t("evaluate.models"), info=t("evaluate.models_info"), choices=model_choices(),
                                 multiselect=True, max_choices=MAX_MODELS, value=[], allow_custom_value=True)
            refresh = gr.Button(t("evaluate.refresh"), size="sm")
            with gr.Accordion(t("evaluate.settings"), open=False):
                gr.Markdown(t("evaluate.settings_info"))
                settings = settings_widgets()
            with gr.Row():
                run = gr.Button(t("evaluate.run"), variant="primary", scale=3)
                cancel_slot = gr.Column(scale=1, min_width=100)
    summary = gr.Markdown()
    comparison = gr.Dataframe(label=t("evaluate.comparison"), interactive=False, wrap=True)
    plot = gr.Plot(label=t("evaluate.plot"), show_label=False)  # the figure has its title; a badge would cover it
    rows = gr.Dataframe(label=t("evaluate.rows"), interactive=False, wrap=True, max_height=420)
    download = gr.File(label=t("evaluate.download"), interactive=False)

    refresh.click(refresh_models, [models], [models], api_name="evaluate_refresh_models")
    sample.click(use_sample, [models], [upload, models], api_name="evaluate_use_sample")
    page.on_models(refresh_models, [models], [models])
    # One progress bar (and one error badge) on the summary, not one per output box.
    event = run.click(run_evaluation, [upload, models, *settings], [summary, comparison, plot, rows, download],
                      api_name="evaluate", show_progress_on=[summary], **GENERATE)
    with cancel_slot:
        cancel_button(False, [event])


@guarded
def use_sample(current, request: gr.Request = None):
    """Inputs: models / Outputs: the upload (the first SAMPLE_ROWS held-out sample rows, this session's
    copy) and the models (the bundled base when none is chosen): a first evaluation in one click."""
    frame = csvdata.read_table(SAMPLE_CSV).frame.head(SAMPLE_ROWS)
    path = csvdata.write_download(frame, result_file(request, SAMPLE_CSV.name))
    return str(path), gr.update(value=[m for m in (current or []) if m] or [BUNDLED_BASE])


def refresh_models(current=None):
    """Inputs: evaluate.models / Outputs: evaluate.models (choices re-read, gone models dropped)"""
    choices = model_choices()
    return gr.update(choices=choices, value=[m for m in (current or []) if m in choices])


@guarded
@visitor_request
def run_evaluation(upload, models, request: gr.Request, progress=gr.Progress(), *settings):
    """Inputs: CSV, models, settings / Outputs: summary, comparison, plot, per-row table, download"""
    # gradio injects Request and Progress only into parameters before *args, so they come first.
    models = [m for m in (models or []) if m]
    if not models:
        raise StudioError("evaluation.no_models")
    if len(models) > MAX_MODELS:
        raise StudioError("evaluation.too_many_models", limit=MAX_MODELS, count=len(models))
    chosen = settings_from_widgets(*settings)
    path = stash_upload(upload, request)
    frame, table = csvdata.load_pairs(path, {"Correct": None})  # Correct is optional
    if len(frame) > MAX_ROWS:
        raise StudioError("evaluation.too_many_rows", rows=len(frame), limit=MAX_ROWS)
    progress(0, desc=text("evaluate.progress_loading"))

    def report(done, total):
        progress((done, total), desc=text("evaluate.progress_rows"), unit=text("common.rows_unit"))

    results = evaluate_models(models, frame, chosen, report, owner=owner_key(None, request), data_sha256=table.sha256,
                              allow_paths=False)
    per_row = combined_rows(results)
    out = csvdata.write_download(readable_rows(per_row), result_file(request, "evaluation.csv"))
    note = text("evaluate.summary", rows=len(frame), models=len(results))
    if "Correct" in frame.columns:
        note += " " + text("evaluate.summary_correct")
    if len(per_row) > PREVIEW_ROWS:
        note += " " + text("evaluate.preview_note", shown=PREVIEW_ROWS)
    note += "".join(f"\n\n{escape(line)}" for line in table.notes())  # skipped rows, by row
    for result in results:
        if result.warning:
            note += f"\n\n⚠️ **{escape(result.model)}**: {escape(result.warning)}"
        if "Correct" in frame.columns and result.metrics.get("correct_leak_rate") is None:
            note += f"\n\n⚠️ **{escape(result.model)}**: {escape(text('evaluate.leak_not_measured'))}"
    return (note, readable_comparison(comparison_table(results)), score_plot(results),
            readable_rows(per_row.head(PREVIEW_ROWS)), str(out))


TEXT_COLUMNS = ("model", "input", "expected", "generated", "outputs", "correct")


def readable_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The per-row table with its headers in words, on screen and in the download (the CLI's CSV keeps
    the short keys, for scripts)."""
    names = {c: text(f"evaluate.col_{c}") for c in TEXT_COLUMNS}
    names.update({c: text(f"evaluation.{c}") for c in rows.columns if c not in names})
    return rows.rename(columns=names)


def readable_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison with metric names and directions in words."""
    table = table.copy()
    # Distractor metrics are better, not closer, in their direction (a low leak rate is good).
    table["better"] = [text(f"evaluation.{b}_good" if is_distractor_metric(m) else f"evaluation.{b}")
                       for m, b in zip(table["metric"], table["better"])]
    table["metric"] = [text(f"evaluation.{m}") for m in table["metric"]]
    return table.rename(columns={"metric": text("evaluate.col_metric"), "better": text("evaluate.col_better")})


if __name__ == "__main__":
    from tabs.common import launch_kwargs

    with gr.Blocks() as demo:
        create_tab(Page.start(demo))
    demo.queue().launch(**launch_kwargs())
