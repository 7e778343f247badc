"""Fine-tuning T5 with transformers' Seq2SeqTrainer, reporting progress through a TrainerCallback.

The same code runs from the UI (in a background thread), from `python -m engine.train`, and under
`accelerate launch` on several processes. Progress leaves the engine only through
ProgressCallback, which appends one JSON line per log step to the run's trainer_log.jsonl and
turns a stop request into `control.should_training_stop` at the next step.
"""
import math
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from transformers import DataCollatorForSeq2Seq, EarlyStoppingCallback, Seq2SeqTrainer
from transformers.trainer_callback import PrinterCallback

from engine.core import runs
from engine.core.jsonio import STAGING_PREFIX, write_json
from engine.core.messages import StudioError, text
from engine.models import store
from engine.models.card import render_model_card
from engine.train.arguments import check_budget, last_complete_checkpoint, training_arguments, use_cpu
from engine.train.base import load_base_shared
from engine.train.config import TrainConfig, train_limits
from engine.train.data import (UNKNOWN_WARN_SHARE, overfitting_warning, split_rows, tokenize_frame, unknown_share,
                               validation_count, with_model_inputs)
from engine.train.progress import ProgressCallback, StoppedBeforeTraining


@dataclass
class TrainOutcome:
    name: str
    path: str
    status: str
    run_id: str
    steps: int = 0
    metrics: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "path": self.path, "status": self.status, "run_id": self.run_id,
                "steps": self.steps, **self.metrics, "warnings": self.warnings}


def _distributed_state():
    """Accelerate's process state. On a machine without a GPU, several processes talk over gloo."""
    from accelerate import PartialState

    return PartialState(cpu=use_cpu())


def _share_run(state, config: TrainConfig, owner: str, resume_run_id: str = None) -> "runs.Run":
    """Every process gets the same Run; only the main one creates and writes it."""
    from accelerate.utils import broadcast_object_list

    holder = [None]
    if state.is_main_process:
        if resume_run_id:
            run = runs.attach_run(resume_run_id)
            run.update(status="running", ended="", error="", error_detail="", pid=os.getpid())
            run.log("resume")
        else:
            run = runs.start_run("train", config.name, config.public_dict(), owner=owner, private={"csv": config.csv})
        holder = [run.id]
    if state.num_processes > 1:
        broadcast_object_list(holder)
    return run if state.is_main_process else runs.attach_run(holder[0], live=False)


def train(config: TrainConfig, owner: str = "", stop_event: threading.Event = None,
          extra_callbacks: list = None, resume_run_id: str = None, on_run=None,
          allow_paths: bool = True) -> TrainOutcome:
    """Train (or, with save_only, just store) a model as `config` says; returns the outcome.

    on_run(run) is called as soon as the run exists, so a caller can follow its progress.
    allow_paths=False refuses local folders as base model (the app on a public Space).
    """
    config.check()
    store.check_new_name(config.name)
    state = _distributed_state()
    run = _share_run(state, config, owner, resume_run_id)
    if on_run:
        on_run(run)
    progress = ProgressCallback(run, stop_event, is_main=state.is_main_process, minutes=train_limits().minutes)
    with runs.ending(run, writes=state.is_main_process):
        try:
            return _train_in_run(config, run, state, progress, extra_callbacks or [], resume_run_id, allow_paths)
        except StoppedBeforeTraining:
            note = text("train.stopped_before_training")
            if state.is_main_process:
                run.finish("stopped", error=note)
            return TrainOutcome(config.name, "", "stopped", run.id, warnings=[note])


def _train_in_run(config, run, state, progress, extra_callbacks, resume_run_id, allow_paths=True) -> TrainOutcome:
    checkpoint = None
    if resume_run_id:
        checkpoint = last_complete_checkpoint(run.folder)
        if checkpoint is None:
            raise StudioError("train.resume_not_found", run_id=resume_run_id)
    frame, table_rows, warnings = _read_data(config, state)
    if table_rows and state.is_main_process:  # which file it learnt from: the run comparison tells files apart
        run.update(settings={**run.record.settings, "data_sha256": table_rows["data_sha256"]})
    progress.check_stop()
    texts = list(frame["Input"]) + list(frame["Output"]) if frame is not None else []
    base = str(checkpoint) if checkpoint else config.base
    # A resumed run loads its own checkpoint folder, whatever visitors may open.
    model, tokenizer = load_base_shared(base, texts, config, run, state, allow_paths or checkpoint is not None)
    share = unknown_share(tokenizer, texts) if texts and config.base != "scratch" else 0.0
    if share > UNKNOWN_WARN_SHARE:
        warnings.append(text("train.unknown_tokens", percent=f"{share * 100:.0f}"))
    progress.check_stop()
    for warning in warnings:
        run.log(f"warning: {warning}")
    meta = {"name": config.name, "base_model": config.base, "settings": config.public_dict(),
            "run_id": run.id, "created": run.record.started, **table_rows}
    if config.save_only:
        return _save(model, tokenizer, None, config, run, state, meta, "finished", {}, warnings)
    frame = with_model_inputs(frame, model, tokenizer)
    trainer, rows = _trainer(config, run, state, progress, extra_callbacks, frame, model, tokenizer)
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    if progress.non_finite is not None:
        raise StudioError("train.non_finite_loss", value=progress.non_finite)
    metrics = {"train_loss": result.training_loss, "steps": trainer.state.global_step}
    stopped = progress.stopped_by_user or progress.stopped_for_time
    if trainer.eval_dataset is not None and not stopped:  # after a Stop the model is wanted now
        eval_loss = trainer.evaluate().get("eval_loss", 0.0)
        if not math.isfinite(eval_loss):
            raise StudioError("train.non_finite_loss", value=eval_loss)
        metrics["eval_loss"] = eval_loss
    late = [overfitting_warning([h.get("eval_loss") for h in trainer.state.log_history if "eval_loss" in h])]
    if progress.stopped_by_user:
        late.append(text("train.stopped_by_user"))
    elif progress.stopped_for_time:
        late.append(text("train.stopped_for_time", minutes=f"{progress.minutes:g}"))
    for warning in filter(None, late):
        run.log(f"warning: {warning}")
        warnings.append(warning)
    meta["data_rows_train"], meta["data_rows_validation"] = rows
    return _save(model, tokenizer, trainer, config, run, state, meta, "stopped" if stopped else "finished",
                 metrics, warnings)


def _read_data(config, state) -> tuple:
    """(rows or None, what the record says of them, warnings), refused when over the server's budget."""
    if not config.csv:
        return None, {}, []
    frame, table = config.read_rows()
    if not config.save_only:
        train_rows = len(frame) - validation_count(len(frame), config.validation_split)
        check_budget(len(frame), train_rows, config, state.num_processes)
    warnings = table.notes()
    return frame, {"data_rows": len(frame), "data_sha256": table.sha256}, warnings


def _trainer(config, run, state, progress, extra_callbacks, frame, model, tokenizer) -> tuple:
    """A Seq2SeqTrainer over the split, tokenized rows, and (training rows, validation rows)."""
    train_rows, val_rows = split_rows(frame, config.validation_split, config.seed)
    train_set = tokenize_frame(train_rows, tokenizer, config, progress.check_stop)
    eval_set = tokenize_frame(val_rows, tokenizer, config, progress.check_stop) if len(val_rows) else None
    progress.check_stop()
    args = training_arguments(config, run.folder, len(train_set), eval_set is not None, state.num_processes)
    callbacks = [progress, *extra_callbacks]
    if config.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer = Seq2SeqTrainer(
        model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
        data_collator=DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100),
        processing_class=tokenizer, callbacks=callbacks,
    )
    # T5's forward takes **kwargs but ignores num_items_in_batch, so transformers would neither divide
    # its loss by the accumulation steps nor undo the x num_processes scaling it applies for models
    # that do: gradients and logged losses would grow with grad_accum and the number of processes.
    trainer.model_accepts_loss_kwargs = False
    trainer.remove_callback(PrinterCallback)  # progress goes through ProgressCallback only
    return trainer, (len(train_rows), len(val_rows))


def _save(model, tokenizer, trainer, config, run, state, meta, status, metrics, warnings) -> TrainOutcome:
    """Write the model into a staging folder, then rename it into the store in one step."""
    target = store.models_root() / config.name
    if state.num_processes > 1:
        staging = store.models_root() / f"{STAGING_PREFIX}{config.name}-{run.record.pid}-{run.id.replace('-', '')}"
        if state.is_main_process:
            staging.mkdir(exist_ok=True)
        state.wait_for_everyone()
        trainer.save_model(str(staging))  # every process takes part; only the main one writes
        state.wait_for_everyone()
        if state.is_main_process:
            _finish_folder(staging, model, tokenizer, None, run, meta, status, metrics)
            os.replace(staging, target)
    else:
        with store.staging(config.name) as staging:
            _finish_folder(staging, model, tokenizer, trainer, run, meta, status, metrics)
    clean_metrics = {k: v for k, v in metrics.items() if v is not None}
    if state.is_main_process:
        run.finish(status, metrics=clean_metrics, warnings=warnings)
        shutil.rmtree(run.folder / "checkpoints", ignore_errors=True)  # the stored model supersedes them
    return TrainOutcome(config.name, str(target), status, run.id, int(metrics.get("steps", 0)), clean_metrics, warnings)


def _finish_folder(folder, model, tokenizer, trainer, run, meta, status, metrics) -> None:
    if trainer is not None:
        trainer.save_model(str(folder))
    elif not any(Path(folder).glob("*.safetensors")):
        model.save_pretrained(folder)  # safetensors is the default format
    tokenizer.save_pretrained(folder)
    meta = {**meta, "status": status, "metrics": {k: v for k, v in metrics.items() if v is not None},
            "ended": runs.now_iso()}
    for name in ("trainer_log.jsonl", "log.txt"):
        if (run.folder / name).exists():
            shutil.copyfile(run.folder / name, Path(folder) / name)
    (Path(folder) / "training_args.bin").unlink(missing_ok=True)  # a pickle; not needed to use the model
    write_json(Path(folder) / store.META_FILE, meta)
    (Path(folder) / "README.md").write_text(render_model_card(meta), encoding="utf-8")
