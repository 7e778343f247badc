"""ログ Logs: the run history across restarts; one run's settings, metrics, log and loss curves.

Widgets, then wiring, then thin handlers over engine.logs. API names (for gradio_client):
`/list_runs` (kind, status, mine_only) -> table, run picker; `/show_run` (run_id) -> the run;
`/activity` () -> what is running now.
"""
import re
import shutil

import gradio as gr

from engine.core import runs
from engine.core.csvdata import write_download
from engine.core.messages import StudioError, aside, field_label, text
from engine.core.paths import public_mode
from engine.logs import view
from engine.logs.compare import MAX_RUNS, compare_runs, comparison_figure, data_files
from engine.logs.lines import readable_log
from engine.models import store
from tabs.common import Page, escape, guarded, owner_key, result_file, t

ACTIVITY_SECONDS = 10  # how often the "running now" line is refreshed; every open page polls
ALL = "all"
LOG_TAIL_LINES = 2000  # shown on screen; the download holds the whole log
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
RUN_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[a-z_]+-[0-9a-f]{6}")  # as engine.core.runs names them


def create_tab(page: Page) -> None:
    gr.Markdown(t("logs.intro"))
    with gr.Row(equal_height=True):
        kind = gr.Dropdown(
            [(t("logs.all"), ALL)] + [(t(f"logs.kind_{k}"), k) for k in runs.KINDS], value=ALL, label=t("logs.kind")
        )
        status = gr.Dropdown(
            [(t("logs.all"), ALL)] + [(t(f"logs.status_{s}"), s) for s in runs.STATUSES], value=ALL, label=t("logs.status")
        )
        # On a public Space people see only their own runs unless they ask for everyone's.
        # In public mode the server lists only the visitor's own runs, whatever the box says.
        mine = gr.Checkbox(value=public_mode(), label=t("logs.mine_only"), interactive=not public_mode())
        refresh = gr.Button(t("logs.refresh"), variant="secondary", scale=0, min_width=160)
    activity = gr.Markdown()
    table = gr.Dataframe(
        value=view.runs_table([]),
        label=t("logs.runs"),
        interactive=False,
        datatype="str",  # names are user text: shown as text, never as markdown or HTML
        wrap=True,
        max_height=360,
        column_widths=["15%", "8%", "6%", "17%", "8%", "26%", "20%"],
    )
    run_id = gr.Dropdown(
        choices=[], value=None, label=t("logs.run"), info=t("logs.run_info"), allow_custom_value=True
    )
    # A failed run's plain Japanese message comes first; the traceback waits in a closed accordion.
    error = gr.Markdown(visible=False)
    with gr.Accordion(t("logs.error_detail"), open=False, visible=False) as detail_box:
        detail = gr.Code(language=None, interactive=False, show_label=False)
    with gr.Row():
        summary = gr.Markdown()
        metrics = gr.Markdown()
        settings = gr.Markdown()
    plot = gr.Plot(label=t("logs.curves"), visible=False, show_label=False,  # titled by the run's name
                   elem_classes=["t5s-run-curve"])
    no_curve = gr.Markdown(visible=False)
    log_text = gr.Textbox(label=t("logs.log"), lines=12, max_lines=20, interactive=False, buttons=["copy"])
    files = gr.File(label=t("logs.downloads"), file_count="multiple", interactive=False)
    with gr.Row():
        delete = gr.Button(t("logs.delete_model"), variant="stop", size="sm", scale=0, min_width=200)
        deleted = gr.Markdown()
    timer = gr.Timer(ACTIVITY_SECONDS)
    with gr.Accordion(t("logs.compare_title"), open=False):
        compare_ids = gr.Dropdown(choices=[], value=[], multiselect=True, max_choices=MAX_RUNS, allow_custom_value=True,
                                  label=t("logs.compare_runs"), info=t("logs.compare_info"))
        compare = gr.Button(t("logs.compare_button"), variant="secondary")
        compare_note = gr.Markdown()
        compare_plot = gr.Plot(label=t("logs.compare_plot"), visible=False, show_label=False)
        compare_table = gr.Dataframe(label=t("logs.compare_table"), interactive=False, wrap=True, datatype="str")

    listing = dict(fn=list_runs, inputs=[kind, status, mine], outputs=[table, run_id, activity])
    refresh.click(api_name="list_runs", **listing)
    gr.on([kind.change, status.change, mine.change], api_name=False, **listing)
    page.on_models(listing["fn"], listing["inputs"], listing["outputs"])  # a training just ended is listed
    choosing = dict(fn=compare_choices, inputs=[kind, status, mine], outputs=[compare_ids])
    gr.on([refresh.click, kind.change, status.change, mine.change], api_name=False, **choosing)
    page.on_models(choosing["fn"], choosing["inputs"], choosing["outputs"])
    compare.click(compare_selected, [compare_ids], [compare_note, compare_plot, compare_table], api_name="compare_runs")
    table.select(pick_row, None, run_id, api_name=False)
    run_id.change(
        show_run, run_id, [error, detail_box, detail, summary, metrics, settings, plot, no_curve, log_text, files], api_name="show_run"
    )
    page.models_changed(delete.click(delete_model, run_id, deleted, api_name="delete_model"))
    # A link from elsewhere on the page (the search results: ?run=ID) opens that run here.
    def linked_run(request: gr.Request):
        return open_linked_run(request, with_tab=page.tabs is not None)

    page.demo.load(linked_run, None, [run_id] + ([page.tabs] if page.tabs is not None else []), api_name=False)
    # Outside the queue: the "running now" line must never wait behind a training job.
    timer.tick(activity_text, None, activity, api_name="activity", show_progress="hidden", queue=False)


@guarded
def list_runs(kind: str, status: str, mine: bool, request: gr.Request = None):
    """Inputs: kind, status, mine_only / Outputs: table, run picker (choices), activity line."""
    mine = mine or public_mode()
    owner = owner_key(None, request) if mine else None
    records = view.list_records(kind, status, owner)
    choices = [(view.run_choice_label(r), r["id"]) for r in records]
    return view.runs_table(records), gr.update(choices=choices), activity_text()


@guarded
def compare_choices(kind: str, status: str, mine: bool, request: gr.Request = None):
    """Inputs: the filters / Outputs: the runs that can be compared (what the table lists)."""
    owner = owner_key(None, request) if mine or public_mode() else None
    return gr.update(choices=[(view.run_choice_label(r), r["id"]) for r in view.list_records(kind, status, owner)])


@guarded
def compare_selected(run_ids: list, request: gr.Request = None):
    """Inputs: run ids / Outputs: a note (which run is best), the curves on one chart, the settings that differ."""
    owner = owner_key(None, request) if public_mode() else None  # strangers' runs stay unknown to each other
    found = compare_runs(run_ids, owner=owner)
    notes = [text("logs.compare_best", name=escape(found["best"])) if found["best"] else text("logs.compare_no_eval")]
    if found["differences"].empty:
        notes.append(text("logs.compare_same"))
    elif data_files(found["runs"]):
        notes.append(text("logs.compare_other_data"))
    figure = comparison_figure(found["curves"])
    return "\n\n".join(notes), gr.update(value=figure, visible=figure is not None), found["differences"]


def open_linked_run(request: gr.Request, with_tab: bool = True):
    """On page load: the run named by ?run=ID in the address, with this tab brought forward; nothing
    without one. Whether the visitor may see it is checked by show_run, as for a run picked here."""
    wanted = str((request.query_params if request else {}).get("run", ""))
    found = RUN_ID.fullmatch(wanted) is not None
    answer = (wanted if found else gr.skip(), gr.Tabs(selected="logs") if found else gr.skip())
    return answer if with_tab else answer[0]


def pick_row(evt: gr.SelectData):
    """Inputs: a clicked table cell / Outputs: the run picker (the row's id is its last cell)."""
    row = evt.row_value or []
    return row[-1] if row else gr.update()


def activity_text() -> str:
    running = view.running_records()
    if not running:
        return text("logs.activity_none")
    lines = [f"**{escape(text('logs.activity_some', count=len(running)))}**"]
    for record in running[:5]:
        lines.append(
            "- " + escape(aside(f"{runs.label(record['kind'])} {view.shown_name(record)}",
                                view.duration_text(record)))
        )
    return "\n".join(lines)


@guarded
def show_run(run_id: str, request: gr.Request = None):
    """Inputs: run id / Outputs: error, detail accordion, detail, summary, metrics, settings, plot,
    no-curve note, log, files."""
    if not run_id:  # the picker was emptied by a new listing: clear the view, no error
        return _empty_view()
    owner = owner_key(None, request) if public_mode() else None  # strangers' runs stay unknown to each other
    details = view.run_details(run_id, log_tail=LOG_TAIL_LINES, owner=owner)
    record, curve, log = details["record"], details["curve"], details["log"]
    error_md, detail_text = _error_parts(record)
    figure = view.loss_figure(curve, title=record.get("name", ""))
    return (
        gr.update(value=error_md, visible=bool(error_md)),
        gr.update(visible=bool(detail_text)),
        detail_text,
        *_record_markdown(record),
        gr.update(value=figure, visible=figure is not None),
        gr.update(value=text("logs.no_curve"), visible=figure is None),
        readable_log(log),
        _downloads(request, record, curve),
    )


@guarded
def delete_model(run_id: str, request: gr.Request = None):
    """Inputs: run id / Outputs: a line saying which model was deleted. Only the model a training
    run made; in public mode only one's own (room under the storage quota, engine.models.storage)."""
    owner = owner_key(None, request) if public_mode() else None
    record = view.run_details(run_id, log_tail=0, owner=owner)["record"]
    name = record.get("name", "")
    if record.get("kind") != "train" or not store.exists(name) or store.load_meta(name).get("run_id") != record["id"]:
        raise StudioError("logs.no_model_to_delete")
    store.delete_model(name)
    return text("logs.model_deleted", name=escape(name))


def _empty_view():
    hidden = gr.update(value="", visible=False)
    return hidden, gr.update(visible=False), "", "", "", "", gr.update(value=None, visible=False), hidden, "", None


def _error_parts(record: dict) -> tuple:
    """(markdown of the plain message, technical detail) for failed and interrupted runs."""
    error = view.error_text(record)
    if record.get("status") not in ("failed", "interrupted") or not (error or record.get("error_detail")):
        return _warnings_markdown(record.get("warnings") or []), ""
    title = text("logs.error_title" if record["status"] == "failed" else "logs.interrupted_title")
    message = escape(error).replace("\n", "  \n")
    if not JAPANESE.search(message):  # an unexpected exception's own words: say it in Japanese first
        message = f"{escape(text('logs.error_unexplained'))}\n\n{message}" if message else escape(text("logs.error_unexplained"))
    return f"### ⚠️ {escape(title)}\n\n{message}", record.get("error_detail") or ""


def _warnings_markdown(warnings: list) -> str:
    """What the run warned of (overfitting, skipped rows, a stop), above its tables, as it ended."""
    if not warnings:
        return ""
    return f"### ⚠️ {escape(text('logs.warnings_title'))}\n\n" + "\n".join(f"- {escape(w)}" for w in warnings)


def _cell(value: str) -> str:
    """A text made safe for one markdown table cell."""
    return escape(value).replace("|", "&#124;").replace("\n", " ")


def _key_value_table(values: dict, empty_key: str) -> str:
    if not values:
        return text(empty_key)
    rows = [f"| {escape(text('logs.field'))} | {escape(text('logs.value'))} |", "| --- | --- |"]
    rows += [f"| {_cell(field_label(key))} | {_cell(view.shown_value(key, value))} |" for key, value in values.items()]
    return "\n".join(rows)


def _record_markdown(record: dict) -> tuple:
    """(summary, metrics, settings) as three markdown tables, user text escaped."""
    head = {
        text("logs.id"): record.get("id", ""),
        text("logs.kind"): runs.label(record.get("kind", "")),
        text("logs.status"): runs.label(record.get("status", "")),
        text("logs.name"): record.get("name", ""),
        text("logs.started"): view.short_time(record.get("started", "")),
        text("logs.ended"): view.short_time(record.get("ended", "")),
        text("logs.duration"): view.duration_text(record),
    }
    return (
        f"### {escape(text('logs.summary'))}\n\n" + _key_value_table({k: v for k, v in head.items() if v}, "logs.no_settings"),
        f"### {escape(text('logs.metrics'))}\n\n" + _key_value_table(record.get("metrics") or {}, "logs.no_metrics"),
        f"### {escape(text('logs.settings'))}\n\n" + _key_value_table(record.get("settings") or {}, "logs.no_settings"),
    )


def _downloads(request, record: dict, curve) -> list:
    """The log, the curve's numbers (CSV for Excel), the run record and raw trainer log, for this session."""
    run_id = record["id"]
    folder = runs.run_folder(run_id)
    files = []
    for name in ("log.txt", "curve.csv", "run.json", "trainer_log.jsonl"):
        if name == "curve.csv":
            if not curve.empty:
                files.append(str(write_download(curve, result_file(request, f"{run_id}-{name}"))))
        elif (folder / name).is_file():
            target = result_file(request, f"{run_id}-{name}")
            shutil.copyfile(folder / name, target)
            files.append(str(target))
    return files


if __name__ == "__main__":
    from tabs.common import launch_kwargs

    with gr.Blocks(title="T5 Studio — Logs") as demo:
        create_tab(Page.start(demo))
    demo.queue(default_concurrency_limit=1).launch(**launch_kwargs())
