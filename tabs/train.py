"""訓練 (Train) tab: upload a CSV, choose a base model and hyperparameters, train with live progress."""
import json
import secrets
import shutil
import time

import gradio as gr

from engine.core.csvdata import guess_column, read_table, select_columns
from engine.core.messages import StudioError, finite_number, text
from engine.core.paths import SAMPLES_DIR, public_mode
from engine.models.catalog import base_model_choices
from engine.models.publishing import is_offline
from engine.train.config import OPTIMIZERS, SCHEDULERS, SIZES, TrainConfig
from engine.train.jobs import JOBS, progress
from tabs import train_search
from tabs.common import (Page, escape, guarded, guarded_gen, localized, owner_key, remember_owner, session_folder,
                         stash_upload, t, whole_or_decimal)
from tabs.guide import glossary_info, glossary_link
from tabs.train_status import (LOG_LINES, live_figure, log_lines, render_status, render_status_text,  # noqa: F401
                               result_view)

SAMPLE_CSV = SAMPLES_DIR / "distractors_train.csv"  # enough rows for the default recipe to learn
POLL_SECONDS = 1.0
PREVIEW_ROWS = 8
NUMBER_FIELDS = (  # (config field, precision: 0 = integer, None = float)
    ("epochs", None), ("max_steps", 0), ("learning_rate", None), ("batch_size", 0), ("grad_accum", 0),
    ("warmup_ratio", None), ("weight_decay", None), ("max_input_length", 0), ("max_target_length", 0),
    ("validation_split", None), ("seed", 0), ("early_stopping_patience", 0), ("label_smoothing", None),
    ("eval_every", 0),
)


def base_choices() -> list:
    """The bundled base first, then (online) Japanese Hub models, the user's models, scratch, other Hub ids."""
    return base_model_choices(online=not is_offline())


def create_tab(page: Page) -> gr.Dropdown:
    defaults = TrainConfig()
    owner = page.owner
    csv_path = gr.State(None)  # this session's own copy of the upload
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(label=t("train.csv"), file_types=[".csv", ".txt", ".tsv"], type="filepath")
            gr.Markdown(t("train.csv_info"))
            sample = gr.Button(t("train.use_sample"), size="sm")
            with gr.Row():
                # Choices arrive with the upload; any value is re-checked by select_columns anyway.
                input_col = gr.Dropdown(label=t("train.input_column"), choices=[], allow_custom_value=True)
                output_col = gr.Dropdown(label=t("train.output_column"), choices=[], allow_custom_value=True)
            summary = gr.Markdown()
            preview = gr.Dataframe(label=t("train.preview"), interactive=False, max_height=260)
        with gr.Column(scale=1):
            built_name = _suggest_name()
            name = gr.Textbox(label=t("train.name"), info=t("train.name_info"), value=built_name)
            base = gr.Dropdown(label=t("train.base"), info=t("train.base_info"), choices=base_choices(),
                               value=defaults.base, allow_custom_value=True)
            size = gr.Radio(label=t("train.size"), info=t("train.size_info"), choices=list(SIZES), value=defaults.size)
            with gr.Accordion(t("train.hyperparameters"), open=False):
                gr.Markdown(localized("train_ui.glossary_links", glossary_links))
                numbers = []
                for start in range(0, len(NUMBER_FIELDS), 2):
                    with gr.Row(equal_height=True):
                        numbers += [whole_or_decimal(label=t(f"train.{field}"), info=glossary_info(field),
                                                     value=getattr(defaults, field), min_width=160)
                                    for field, _precision in NUMBER_FIELDS[start:start + 2]]
                with gr.Row(equal_height=True):
                    optimizer = gr.Dropdown(label=t("train.optimizer"), info=glossary_info("optimizer"),
                                            choices=list(OPTIMIZERS), value=defaults.optimizer)
                    scheduler = gr.Dropdown(label=t("train.scheduler"), info=glossary_info("scheduler"),
                                            choices=list(SCHEDULERS), value=defaults.scheduler)
            with gr.Row():
                start = gr.Button(t("train.start"), variant="primary")
                save_only = gr.Button(t("train.save_only"))
                stop = gr.Button(t("train.stop"), variant="stop")
    status = gr.HTML(label=t("train.progress"))
    with gr.Row():
        # The Logs tab's figure: its legend sits inside the axes (gr.LinePlot cut its legend off).
        curve = gr.Plot(label=t("train.loss_plot"), show_label=False)  # titled in the figure: a badge covered its corner
        # Room for every line sent (LOG_LINES, some wrapped): the last one, the final status, is never
        # hidden below a scroll.
        log_tail = gr.Textbox(label=t("train.log_tail"), lines=12, max_lines=24, autoscroll=True)
    with gr.Accordion(t("train_ui.result_json"), open=False):  # for those who want the numbers as data
        result = gr.JSON(label=t("train.result"))

    config_inputs = [csv_path, input_col, output_col, name, base, size, *numbers, optimizer, scheduler]
    train_search.create_section(page, config_inputs, build_config)
    watch_outputs = [status, curve, log_tail, result, owner]
    data_outputs = [csv_path, input_col, output_col, summary, preview]
    # Start is offered only for a file the training would take (the server checks again when pressed).
    startable = dict(fn=start_state, inputs=[csv_path, input_col, output_col], outputs=[start], api_name=False)
    upload.upload(on_upload, [upload], data_outputs, api_name="upload_csv").then(**startable)
    sample.click(on_sample, None, data_outputs, api_name="use_sample").then(**startable)
    # .input: only the user's own choice re-checks; an upload already checked with its guesses.
    gr.on([input_col.input, output_col.input], check_data, [csv_path, input_col, output_col], [summary, preview],
          api_name=False).then(**startable)
    # Progress and a refusal show on the status line only: a red badge over the plot, log and result
    # boxes would cover what is still true there.
    follow_status = dict(concurrency_limit=None, show_progress_on=[status])
    for event in (start.click(run_training, [owner, *config_inputs], watch_outputs, api_name="train", **follow_status),
                  save_only.click(run_save_only, [owner, *config_inputs], watch_outputs, api_name="save_only",
                                  **follow_status)):
        page.models_changed(event)
    stop.click(stop_training, [owner], [status], api_name="stop", concurrency_limit=None)
    page.demo.load(watch, [owner], watch_outputs, api_name="watch", concurrency_limit=None)
    page.on_models(lambda: gr.update(choices=base_choices()), None, [base])
    # A fresh name per page: one chosen when the server started would already exist after the first
    # training. Made in the browser, as the page mounts: a name from the server could land after the
    # visitor has typed one and replace it.
    page.demo.load(None, [name], [name], js=fresh_name_js(built_name))
    return base  # the Catalog's "use as base model" fills it


def glossary_links() -> str:
    """One line of links from this form to the guide's entries for its terms."""
    terms = [field for field, _ in NUMBER_FIELDS] + ["optimizer", "scheduler"]
    return "📖 " + " · ".join(glossary_link(term, label=text(f"train.{term}")) for term in terms)


def _suggest_name() -> str:
    return f"model-{time.strftime('%Y%m%d')}-{secrets.token_hex(2)}"


def fresh_name_js(built: str) -> str:
    """A browser function: the name box's value, or a new model-YYYYMMDD-xxxx (as _suggest_name makes)
    while it still holds the name the page was built with."""
    return ("(typed) => { if (typed && typed !== %s) return typed;"
            " const d = new Date(), pad = (n) => String(n).padStart(2, '0');"
            " const hex = Array.from(crypto.getRandomValues(new Uint8Array(2)), (b) => b.toString(16).padStart(2, '0')).join('');"
            " return `model-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${hex}`; }") % json.dumps(built)


# Data -----------------------------------------------------------------------------------------

@guarded
def on_upload(upload, request: gr.Request):
    """Inputs: upload / Outputs: csv_path, input_col, output_col, summary, preview"""
    return describe_csv(stash_upload(upload, request))


@guarded
def on_sample(request: gr.Request):
    """Copy the bundled sample into this session, as if the user had uploaded it."""
    target = session_folder(request) / f"{secrets.token_hex(4)}-{SAMPLE_CSV.name}"
    shutil.copyfile(SAMPLE_CSV, target)
    return describe_csv(target)


def describe_csv(path):
    try:
        table = read_table(path)
    except StudioError as exc:
        return None, gr.update(choices=[], value=None), gr.update(choices=[], value=None), _problems([exc.message()]), None
    columns = table.columns
    input_guess = guess_column(columns, "Input") or columns[0]
    output_guess = guess_column(columns, "Output") or (columns[1] if len(columns) > 1 else None)
    summary, frame = summarize(table, input_guess, output_guess)
    return (str(path), gr.update(choices=columns, value=input_guess), gr.update(choices=columns, value=output_guess),
            summary, frame)


def check_data(path, input_col, output_col):
    """Inputs: csv_path, input_col, output_col / Outputs: summary, preview — every problem listed."""
    if not path:
        return "", None
    try:
        table = read_table(path)
    except StudioError as exc:
        return _problems([exc.message()]), None
    return summarize(table, input_col, output_col)


def start_state(path, input_col, output_col):
    """Inputs: csv_path, input_col, output_col / Outputs: the Start button, pressable only for usable data"""
    try:
        if path:
            select_columns(read_table(path), {"Input": input_col, "Output": output_col}, choosable=True)
    except StudioError:
        return gr.update(interactive=False)
    return gr.update(interactive=True)


def summarize(table, input_col, output_col):
    """The data check of an already decoded table: a summary line and notes, or every problem."""
    try:
        frame = select_columns(table, {"Input": input_col, "Output": output_col}, choosable=True)
    except StudioError as exc:
        return _problems(exc.message().split("\n")), None
    lines = [text("train_ui.summary", rows=len(frame), encoding=table.encoding)]
    lines += [f"- {escape(text('train_ui.note', message=note))}" for note in table.notes()[:10]]
    return "\n".join(lines), frame.head(PREVIEW_ROWS)


def _problems(messages: list) -> str:
    return "\n".join(f"- **{escape(text('train_ui.problem', message=m.lstrip('・')))}**" for m in messages)


# Training -------------------------------------------------------------------------------------

def build_config(csv_path, input_col, output_col, name, base, size, *rest, save_only=False) -> TrainConfig:
    numbers, (optimizer, scheduler) = rest[:-2], rest[-2:]
    values = {}
    for (field, precision), value in zip(NUMBER_FIELDS, numbers):
        if value is None:
            raise StudioError("train.bad_number", label=text(f"train.{field}"), value=text("train.empty_value"),
                              rule=text("train.rule_number"))
        values[field] = finite_number(value, text(f"train.{field}"), whole=precision == 0)
    return TrainConfig(csv=csv_path or "", name=name or "", base=base or "", input_column=input_col or "",
                       output_column=output_col or "", size=size, optimizer=optimizer, scheduler=scheduler,
                       save_only=save_only, **values)


@guarded_gen
def run_training(owner, request: gr.Request, *config_values, save_only=False):
    """Inputs: owner + the form / Outputs: status, curve, log_tail, result, owner (streamed until done)"""
    # gradio injects Request and Progress only into parameters before *args, so they come first.
    owner = remember_owner(owner, request)
    if not config_values[0] and not save_only:
        raise StudioError("train.no_csv")
    config = build_config(*config_values, save_only=save_only)
    job = JOBS.start(config, owner, allow_paths=not public_mode())  # strangers may not open server folders
    yield from follow(job, owner)


@guarded_gen
def run_save_only(owner, request: gr.Request, *config_values):
    yield from run_training.__wrapped__(owner, request, *config_values, save_only=True)


@guarded_gen
def watch(owner, request: gr.Request):
    """On page load: re-attach to this browser's training, or say the server is busy with another."""
    owner = remember_owner(owner, request)
    job = JOBS.for_owner(owner)
    if job is None:
        other = JOBS.busy_with()
        note = render_status_text(about_others("train_ui.others_training", other)) if other else ""
        yield note, None, "", None, owner
        return
    yield from follow(job, owner)


def follow(job, owner):
    drawn = None  # curve points in the figure last sent: a figure is redrawn only when there are new ones
    while True:
        ended = not job.running  # read first, so the last update shows the run as it ended
        info = progress(job)
        points = 0 if info.get("curve") is None else len(info["curve"])
        figure = live_figure(info) if points != drawn or ended else gr.skip()
        drawn = points
        yield render_status(info), figure, log_lines(info["log"]), result_view(info.get("outcome")), owner
        if ended:
            break
        time.sleep(POLL_SECONDS)
    if job.error:
        raise StudioError("train_ui.failed", error=job.error)


@guarded
def stop_training(owner, request: gr.Request):
    stopped = JOBS.stop(owner_key(owner, request))
    if stopped:
        return render_status_text(text("train_ui.stopping" if stopped == "running" else "train_ui.left_queue"))
    other = JOBS.busy_with()  # someone else's: it can only be stopped where it was started
    return render_status_text(about_others("train_ui.not_yours", other) if other else text("train.no_job"))


def about_others(key: str, job) -> str:
    """A line about someone else's training: named on a private server, unnamed on a public one,
    where a model's name is its owner's, as their runs are in the Logs tab."""
    return text(f"{key}_public") if public_mode() else text(key, name=job.config.name)


if __name__ == "__main__":
    from tabs.common import launch_kwargs

    with gr.Blocks() as demo:
        create_tab(Page.start(demo))
    demo.queue().launch(**launch_kwargs())
