"""Command line for training: `python -m engine.train --csv FILE --name NAME [--base BASE] ...`.

Prints one progress line per log step and ends with one JSON line (name, path, status, losses).
Runs unchanged under `accelerate launch` (only the main process prints and writes).
"""
import argparse
import json
import sys
from dataclasses import MISSING, fields
from pathlib import Path

from transformers import TrainerCallback

from engine.core import runs
from engine.core.jsonio import read_json, write_json
from engine.core.messages import DEFAULT_LANG, StudioError, speaking
from engine.logs.view import check_run_id
from engine.train.config import TrainConfig
from engine.train.progress import STOP_FILE
from engine.train.training import train

FLAG_NAMES = {"grad_accum": "gradient-accumulation"}


class PrintProgress(TrainerCallback):
    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero:
            shown = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in (logs or {}).items())
            print(f"step {state.global_step}/{state.max_steps} epoch {state.epoch or 0:.2f} {shown}", flush=True)


def build_parser(run_flags: bool = True) -> argparse.ArgumentParser:
    """Every TrainConfig field as a flag; run_flags adds --resume and --stop (one training's own)."""
    parser = argparse.ArgumentParser(prog="python -m engine.train", description="Fine-tune a T5 model on a CSV.")
    for item in fields(TrainConfig):
        flag = "--" + FLAG_NAMES.get(item.name, item.name).replace("_", "-")
        help_text = item.metadata.get("help", "")
        if item.type in (bool, "bool"):
            parser.add_argument(flag, dest=item.name, action="store_true", help=help_text)
            continue
        kind = {"int": int, "float": float, "str": str}.get(getattr(item.type, "__name__", item.type), str)
        default = item.default if item.default is not MISSING else None
        parser.add_argument(flag, dest=item.name, type=kind, default=default, help=f"{help_text} (default: {default})")
    if run_flags:
        parser.add_argument("--resume", metavar="RUN_ID", help="resume an interrupted run from its last complete checkpoint")
        parser.add_argument("--stop", metavar="RUN_ID", help="ask a running training to stop at its next step, then exit")
        parser.add_argument("--job", type=Path, metavar="FOLDER", help="train a queued job (the app's scheduler starts this)")
    return parser


def request_stop(run_id: str) -> dict:
    folder = runs.run_folder(check_run_id(run_id))
    (folder / STOP_FILE).write_text("stop\n")
    return {"run_id": run_id, "stop_requested": True}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except StudioError as exc:  # one Japanese line and a non-zero exit, never a traceback
        print(exc.message(), file=sys.stderr)
        print(json.dumps({"name": args.name, "status": "failed", "error": exc.message()}, ensure_ascii=False))
        return 1


def die_with_parent() -> None:
    """Ask Linux to kill this child when the server that started it dies, so a training never
    outlives its server unseen (the run history then marks it interrupted, to resume)."""
    import ctypes
    import os
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: the child may outlive a crashed server
    if os.getppid() == 1:  # the server died before the request was made
        os._exit(1)


def run_job(folder: Path) -> int:
    """Train the job the app's queue put in `folder` (engine.train.queue): its settings, owner and
    language from job.json; its run id and outcome written beside it for the scheduler."""
    die_with_parent()
    job = read_json(folder / "job.json")
    config = TrainConfig.from_dict(job["config"])

    def on_run(run):
        (folder / "run_id").write_text(run.id)
        if (folder / "stop").exists():  # Stop was pressed while the child was starting
            (run.folder / STOP_FILE).write_text("stop\n")

    with speaking(job.get("lang") or DEFAULT_LANG):
        try:
            result = train(config, owner=runs.OwnerDigest(job["owner"]), on_run=on_run, allow_paths=job["allow_paths"],
                           extra_callbacks=[PrintProgress()]).to_dict()
        except StudioError as exc:
            result = {"name": config.name, "status": "failed", "error": exc.message()}
    write_json(folder / "outcome.json", result)
    print(json.dumps(result, ensure_ascii=False))
    return 1 if result["status"] == "failed" else 0


def _run(args) -> int:
    if args.job:
        return run_job(args.job)
    if args.stop:
        print(json.dumps(request_stop(args.stop), ensure_ascii=False))
        return 0
    options = {k: v for k, v in vars(args).items() if k not in ("resume", "stop", "job")}
    if args.resume:
        record = runs.load_run(check_run_id(args.resume)) or {}
        saved = {**record.get("settings", {}), **runs.load_private(args.resume)}  # the data file's own path
        defaults = vars(build_parser().parse_args([]))  # only flags typed now override the saved run
        options = {**saved, **{k: v for k, v in options.items() if v not in (None, "") and v != defaults.get(k)}}
        options["name"] = record.get("settings", {}).get("name", options.get("name"))
    config = TrainConfig.from_dict(options)
    try:
        outcome = train(config, extra_callbacks=[PrintProgress()], resume_run_id=args.resume,
                        on_run=lambda run: print(f"run {run.id}", flush=True))
    except StudioError as exc:
        print(exc.message(), file=sys.stderr)
        print(json.dumps({"name": config.name, "status": "failed", "error": exc.message()}, ensure_ascii=False))
        return 1
    if outcome.path and _is_main():
        print(json.dumps(outcome.to_dict(), ensure_ascii=False))
    return 0


def _is_main() -> bool:
    from engine.train.training import _distributed_state

    return _distributed_state().is_main_process


if __name__ == "__main__":
    sys.exit(main())
