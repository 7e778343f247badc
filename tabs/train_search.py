"""The Train tab's search section: a small table of values, each combination one training put in the
server's line (engine.train.search, engine.train.jobs), followed until all have ended, then ranked by
validation loss. The form above it gives every other setting.

API name (for gradio_client): search — inputs: owner, the table of values, random draws, the form.
"""
import time

import gradio as gr
import pandas as pd

from engine.core.jsonio import read_jsonl
from engine.core.messages import field_label, finite_number, text
from engine.core.paths import public_mode
from engine.train import queue
from engine.train.jobs import JOBS
from engine.train.search import configs, parse_grid
from tabs.common import guarded_gen, remember_owner, t, whole_or_decimal

POLL_SECONDS = 2.0
EXAMPLE = "learning_rate=1e-4,3e-4\nbatch_size=8,16"


def create_section(page, config_inputs: list, build_config) -> None:
    """Widgets and wiring; build_config turns the Train form's values into a TrainConfig."""
    with gr.Accordion(t("search_ui.title"), open=False):
        gr.Markdown(t("search_ui.help"))
        with gr.Row():
            grid = gr.Textbox(label=t("search_ui.grid"), info=t("search_ui.grid_info"), value=EXAMPLE, lines=3)
            draws = whole_or_decimal(label=t("search_ui.random"), info=t("search_ui.random_info"), value=0)
        start = gr.Button(t("search_ui.start"), variant="secondary")
        status = gr.Markdown()
        table = gr.Dataframe(label=t("search_ui.results"), interactive=False, wrap=True, datatype="str")

    def run(owner, request: gr.Request, grid_text, draws_value, *form):
        yield from follow_search(owner, request, grid_text, draws_value, form, build_config)

    start.click(guarded_gen(run), [page.owner, grid, draws, *config_inputs], [status, table, page.owner],
                api_name="search", concurrency_limit=None, show_progress_on=[status])


def follow_search(owner, request, grid_text, draws_value, form, build_config):
    owner = remember_owner(owner, request)
    grid = parse_grid([line for line in str(grid_text or "").splitlines() if line.strip()])
    draws = finite_number(0 if draws_value is None else draws_value, text("search_ui.random"), whole=True)
    planned = configs(build_config(*form), grid, max(0, draws))
    jobs = JOBS.start_search(planned, owner, allow_paths=not public_mode())
    while True:
        rows = [_row(job.refresh().data, grid) for job in jobs]
        ended = all(job.state not in (queue.QUEUED, queue.RUNNING) for job in jobs)
        yield _status(rows, len(jobs), ended), _table(rows, grid, ended), owner
        if ended:
            return
        time.sleep(POLL_SECONDS)


def _row(job: dict, grid: dict) -> dict:
    """A job's name, values, state and validation loss (its last one so far, or its final one)."""
    loss = (job.get("outcome") or {}).get("eval_loss")
    if loss is None and job.get("run_id"):
        from engine.core import runs

        losses = [r["eval_loss"] for r in read_jsonl(runs.run_folder(job["run_id"]) / "trainer_log.jsonl")
                  if r.get("eval_loss") is not None]
        loss = losses[-1] if losses else None
    return {"name": job["name"], **{key: job["config"][key] for key in grid}, "state": job["state"],
            "eval_loss": loss, "run_id": job.get("run_id") or ""}


def _table(rows: list, grid: dict, ended: bool) -> pd.DataFrame:
    if ended:  # ranked once every training has ended; the best first
        rows = sorted(rows, key=lambda r: (r["eval_loss"] is None, r["eval_loss"] or 0.0))
    shown = [[r["name"], *[str(r[key]) for key in grid], text(f"train.status_{r['state']}"),
              "—" if r["eval_loss"] is None else f"{r['eval_loss']:.4f}", r["run_id"]] for r in rows]
    columns = [text("search_ui.col_name"), *[field_label(key) for key in grid], text("search_ui.col_state"),
               field_label("eval_loss"), field_label("run_id")]
    return pd.DataFrame(shown, columns=columns)


def _status(rows: list, total: int, ended: bool) -> str:
    done = sum(r["state"] not in (queue.QUEUED, queue.RUNNING) for r in rows)
    if not ended:
        return text("search_ui.progress", done=done, total=total)
    scored = [r for r in rows if r["eval_loss"] is not None]
    if not scored:
        return text("search.no_best")
    best = min(scored, key=lambda r: r["eval_loss"])
    return text("search.best", name=best["name"], loss=f"{best['eval_loss']:.4f}")

