"""お試し T5 (Try) tab: one input → outputs, a CSV of inputs → a downloadable table, and the
distractor mode (誤答選択肢, tabs.try_distractors)."""
import dataclasses

import gradio as gr
import pandas as pd

from engine.core import csvdata
from engine.core.messages import StudioError, finite_number, text
from engine.core.paths import BUNDLED_BASE
from engine.generate.from_csv import generate_csv
from engine.generate.generation import generate_one, outputs_warning
from engine.generate.settings import METHODS, GenerationSettings
from engine.models import store
from engine.models.loading import load_model
from engine.models.prompts import model_inputs
from tabs import try_distractors
from tabs.common import (GENERATE, Page, cancel_button, escape, guarded, owner_key, result_file, stash_upload, t,
                         visitor_request, whole_or_decimal)

PREVIEW_ROWS = 200  # rows shown on the page; the download has them all
MAX_INPUT_CHARS = 2000
# Settings shown in the accordion, in order (whole numbers are those GenerationSettings types as int).
SETTING_FIELDS = (
    "num_outputs", "max_new_tokens", "num_beams", "num_beam_groups", "diversity_penalty", "temperature",
    "top_k", "top_p", "repetition_penalty", "no_repeat_ngram_size", "seed",
)


def model_choices() -> list:
    """The user's models, newest first, then the bundled base (it can be tried as it is)."""
    return [*store.model_names(), BUNDLED_BASE]


def settings_widgets(prefix: str = "try") -> list:
    """The generation settings as widgets (method first), each with a short help text.

    Also used by the Evaluate tab, so both tabs explain the settings the same way.
    """
    defaults = GenerationSettings()
    method = gr.Radio(label=t("try.method"), info=t("try.method_info"), value=defaults.method,
                      choices=[(t(f"try.method_{m}"), m) for m in METHODS])
    widgets = [method]
    with gr.Row():
        for field in SETTING_FIELDS[:4]:
            widgets.append(_number(field, defaults))
    with gr.Row():
        for field in SETTING_FIELDS[4:8]:
            widgets.append(_number(field, defaults))
    with gr.Row():
        for field in SETTING_FIELDS[8:]:
            widgets.append(_number(field, defaults))
    return widgets


def _number(field: str, defaults) -> gr.Number:
    return whole_or_decimal(label=t(f"try.{field}"), info=t(f"try.{field}_info"), value=getattr(defaults, field),
                            min_width=160)


def settings_from_widgets(method, *values) -> GenerationSettings:
    """GenerationSettings from the widgets' values; blanks take the defaults."""
    types = {f.name: f.type for f in dataclasses.fields(GenerationSettings)}
    chosen = {"method": method}
    for field, value in zip(SETTING_FIELDS, values):
        if value is not None:
            chosen[field] = finite_number(value, text(f"try.{field}"), whole=types[field] in (int, "int"))
    return GenerationSettings.from_dict(chosen).check()


def create_tab(page: Page) -> None:
    gr.Markdown(t("try.intro"))
    with gr.Row() as model_row:
        model = gr.Dropdown(label=t("try.model"), info=t("try.model_info"), choices=model_choices(),
                            value=None, allow_custom_value=True, scale=4)
        refresh = gr.Button(t("try.refresh"), size="sm", scale=1, min_width=120)
        cancel_row = gr.Column(scale=1, min_width=100)
    with gr.Accordion(t("try.settings"), open=False) as settings_box:
        settings = settings_widgets()
    with gr.Tabs():
        with gr.Tab(t("try.single")) as single_tab:
            source = gr.Textbox(label=t("try.input"), info=t("try.input_info"), lines=2, max_length=MAX_INPUT_CHARS)
            run_one = gr.Button(t("try.run_single"), variant="primary")
            outputs = gr.Dataframe(label=t("try.outputs"), interactive=False, wrap=True)
        with gr.Tab(t("try.multiple")) as multiple_tab:
            upload = gr.File(label=t("try.csv"), file_types=[".csv", ".txt", ".tsv"], type="filepath")
            gr.Markdown(t("try.csv_info"))
            run_many = gr.Button(t("try.run_multiple"), variant="primary")
            summary = gr.Markdown()
            table = gr.Dataframe(label=t("try.table"), interactive=False, wrap=True, max_height=420)
            download = gr.File(label=t("try.download"), interactive=False)
        with gr.Tab(t("distractors.title")) as distractors_tab:
            try_distractors.create_section(page)

    # Distractor mode has its own model picker and settings: the page's would only mislead there.
    shared_widgets = [model_row, settings_box]
    distractors_tab.select(lambda: [gr.update(visible=False)] * 2, None, shared_widgets, api_name=False, queue=False)
    for tab in (single_tab, multiple_tab):
        tab.select(lambda: [gr.update(visible=True)] * 2, None, shared_widgets, api_name=False, queue=False)

    refresh.click(refresh_models, [model], [model], api_name="try_refresh_models")
    page.on_models(refresh_models, [model], [model])
    single = gr.on([run_one.click, source.submit], generate_single, [model, source, *settings], [outputs],
                   api_name="try_generate", **GENERATE)
    many = run_many.click(generate_multiple, [model, upload, *settings], [summary, table, download],
                          api_name="try_generate_csv", show_progress_on=[summary], **GENERATE)
    with cancel_row:
        cancel_button("cancel", [single, many])


def refresh_models(current=None):
    """Inputs: try.model / Outputs: try.model (choices re-read from the store)"""
    choices = model_choices()
    # Never another visitor's newest model by default: the bundled base, which every page has.
    value = current if current in choices else (BUNDLED_BASE if BUNDLED_BASE in choices else None)
    return gr.update(choices=choices, value=value)


@guarded
@visitor_request
def generate_single(model, source, request: gr.Request, *settings):
    """Inputs: model, input text, settings / Outputs: outputs table (rank, output, score)"""
    if not model:
        raise StudioError("generation.no_model")
    if not (source or "").strip():
        raise StudioError("generation.empty_input")
    chosen = settings_from_widgets(*settings)
    loaded = load_model(model, allow_paths=False)
    candidates = generate_one(loaded, source.strip(), chosen)
    read = model_inputs(loaded.model.config, loaded.tokenizer, [source.strip()])[0]
    if read != source.strip():
        gr.Info(text("try.model_read", text=read), title=text("common.info_title"))
    unusable = outputs_warning([candidates])
    if unusable:
        gr.Warning(unusable, title=text("common.warning_title"))
    elif len(candidates) < chosen.num_outputs:
        gr.Warning(text("try.fewer_outputs", got=len(candidates), wanted=chosen.num_outputs),
                   title=text("common.warning_title"))
    return pd.DataFrame({
        text("try.col_rank"): list(range(1, len(candidates) + 1)),
        text("try.col_output"): [c.text for c in candidates],
        text("try.col_score"): [c.score for c in candidates],
    })


@guarded
@visitor_request
def generate_multiple(model, upload, request: gr.Request, progress=gr.Progress(), *settings):
    """Inputs: model, CSV upload, settings / Outputs: summary, table, download (a batch run is recorded)"""
    # gradio injects Request and Progress only into parameters before *args, so they come first.
    if not model:
        raise StudioError("generation.no_model")
    chosen = settings_from_widgets(*settings)
    path = stash_upload(upload, request)
    progress(0, desc=text("try.progress_loading"))

    def report(done, total):
        progress((done, total), desc=text("try.progress_rows"), unit=text("common.rows_unit"))

    summary = generate_csv(model, path, None, chosen, progress=report, run_owner=owner_key(None, request),
                           allow_paths=False)
    frame = summary["table"]
    out = csvdata.write_download(frame, result_file(request, "generated.csv"))
    note = text("try.summary", rows=summary["rows"], seconds=summary["seconds"], rate=summary["rows_per_second"])
    if len(frame) > PREVIEW_ROWS:
        note += " " + text("try.preview_note", shown=PREVIEW_ROWS)
    if summary["warning"]:
        note += "\n\n⚠️ " + escape(summary["warning"])
    note += "".join(f"\n\n{escape(line)}" for line in summary["skipped"])  # rows left out, by spreadsheet row
    return note, frame.head(PREVIEW_ROWS), str(out)


if __name__ == "__main__":
    from tabs.common import launch_kwargs

    with gr.Blocks() as demo:
        create_tab(Page.start(demo))
    demo.queue().launch(**launch_kwargs())
