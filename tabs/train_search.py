"""The Train tab's search section: a small table of values, each combination one training put in the
server's line (engine.train.search, engine.train.jobs), followed until all have ended, then ranked by
validation loss or by a metric of a held-out CSV that each trained model translates. The form above
it gives every other setting. Each row links to its run in the Logs tab (tabs/logs: ?run=ID).

API name (for gradio_client): search — inputs: owner, the table of values, random draws, held-out
CSV, rank by, the form.
"""
import time

import gradio as gr
import pandas as pd

from engine.core.jsonio import read_jsonl
from engine.core.messages import field_label, finite_number, text
from engine.core.paths import public_mode
from engine.train import queue
from engine.train.jobs import JOBS, summarize
from engine.train.search import RANK_BY, Judge, configs, held_out_rows, parse_grid, ranked
from tabs.common import guarded_gen, remember_owner, stash_upload, t, whole_or_decimal

POLL_SECONDS = 2.0
EXAMPLE = "learning_rate=1e-4,3e-4\nbatch_size=8,16"


def create_section(page, config_inputs: list, build_config) -> None:
    """Widgets and wiring; build_config turns the Train form's values into a TrainConfig."""
    with gr.Accordion(t("search_ui.title"), open=False):
        gr.Markdown(t("search_ui.help"))
        with gr.Row():
            grid = gr.Textbox(label=t("search_ui.grid"), info=t("search_ui.grid_info"), value=EXAMPLE, lines=3)
            draws = whole_or_decimal(label=t("search_ui.random"), info=t("search_ui.random_info"), value=0)
        with gr.Row():
            held_out = gr.File(label=t("search_ui.held_out"), file_types=[".csv"], height=120)
            rank_by = gr.Dropdown([(t(f"fields.{key}") if key == "eval_loss" else t(f"evaluation.{key}"), key)
                                   for key in RANK_BY], value="eval_loss", label=t("search_ui.rank_by"),
                                  info=t("search_ui.rank_by_info"))
        start = gr.Button(t("search_ui.start"), variant="secondary")
        status = gr.Markdown()
        # Names are user text, shown as text; only the last column (a link made here) is markdown.
        table = gr.Dataframe(label=t("search_ui.results"), interactive=False, wrap=True)

    def run(owner, request: gr.Request, grid_text, draws_value, held_out_file, rank_by_value, *form):
        yield from follow_search(owner, request, grid_text, draws_value, held_out_file, rank_by_value, form,
                                 build_config)

    start.click(guarded_gen(run), [page.owner, grid, draws, held_out, rank_by, *config_inputs],
                [status, table, page.owner], api_name="search", concurrency_limit=None, show_progress_on=[status])


def follow_search(owner, request, grid_text, draws_value, held_out_file, rank_by, form, build_config):
    owner = remember_owner(owner, request)
    grid = parse_grid([line for line in str(grid_text or "").splitlines() if line.strip()])
    draws = finite_number(0 if draws_value is None else draws_value, text("search_ui.random"), whole=True)
    judge = Judge(rank_by or "eval_loss", held_out_rows(stash_upload(held_out_file, request)) if held_out_file else None)
    planned = configs(build_config(*form), grid, max(0, draws))
    judge.check_fits(len(planned))
    jobs = JOBS.start_search(planned, owner, allow_paths=not public_mode())
    scores = {}  # job id -> the held-out metric of its model, measured once it has ended
    while True:
        rows = [_row(job.refresh(), grid) for job in jobs]
        for row in rows:
            if row["state"] not in (queue.QUEUED, queue.RUNNING) and row["id"] not in scores:
                scores[row["id"]] = judge.score(row["name"], row["state"], owner, allow_paths=False)
            row[judge.rank_by] = scores.get(row["id"]) if judge.held_out is not None else row["eval_loss"]
        ended = len(scores) == len(jobs)
        yield _status(rows, len(jobs), ended, judge), _table(rows, grid, ended, judge), owner
        if ended:
            return
        time.sleep(POLL_SECONDS)


def _row(job, grid: dict) -> dict:
    """A job's name, values, state and validation loss (its last one so far, or its final one)."""
    data = job.data
    loss = (data.get("outcome") or {}).get("eval_loss")
    if loss is None and job.run is not None:
        loss = summarize(read_jsonl(job.run.trainer_log_path)).get("eval_loss")
    return {"id": data["id"], "name": data["name"], **{key: data["config"][key] for key in grid},
            "state": data["state"], "eval_loss": loss, "run_id": data.get("run_id") or ""}


def _number(value) -> str:
    return "—" if value is None else f"{value:.4f}"


def run_link(run_id: str) -> str:
    """A markdown link that opens the run in the Logs tab (run ids are made here: letters, digits, -)."""
    return f"[{run_id}](?run={run_id})" if run_id else ""


def _table(rows: list, grid: dict, ended: bool, judge: Judge) -> gr.Dataframe:
    if ended:  # ranked once every training has ended; the best first
        rows = ranked(rows, judge)
    extra = [judge.rank_by] if judge.held_out is not None else []
    shown = [[r["name"], *[str(r[key]) for key in grid], text(f"train.status_{r['state']}"), _number(r["eval_loss"]),
              *[_number(r[key]) for key in extra], run_link(r["run_id"])] for r in rows]
    columns = [text("search_ui.col_name"), *[field_label(key) for key in grid], text("search_ui.col_state"),
               field_label("eval_loss"), *[field_label(key) for key in extra], text("search_ui.col_run")]
    return gr.Dataframe(pd.DataFrame(shown, columns=columns), datatype=["str"] * (len(columns) - 1) + ["markdown"])


def _status(rows: list, total: int, ended: bool, judge: Judge) -> str:
    done = sum(r["state"] not in (queue.QUEUED, queue.RUNNING) for r in rows)
    if not ended:
        return text("search_ui.progress", done=done, total=total)
    best = next((r for r in ranked(rows, judge) if r.get(judge.rank_by) is not None), None)
    if best is None:
        return text("search.no_best" if judge.rank_by == "eval_loss" else "search.no_scored")
    if judge.rank_by == "eval_loss":
        return text("search.best", name=best["name"], loss=_number(best["eval_loss"]))
    return text("search.best_by", name=best["name"], metric=field_label(judge.rank_by), value=_number(best[judge.rank_by]))

