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
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import (
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    DataCollatorForSeq2Seq,
    EarlyStoppingCallback,
    Seq2SeqTrainer,
    Seq2SeqTrainingArguments,
    TrainerCallback,
)

from transformers.trainer_callback import PrinterCallback

from engine import prompts, runs, store
from engine.config import OPTIMIZERS, TrainConfig, train_limits
from engine.csvdata import load_pairs
from engine.generation import resolve_source
from engine.hub import is_reachable
from engine.jsonio import append_jsonl, write_json
from engine.messages import StudioError, explain_os_error, text
from engine.modelcard import render_model_card
from engine.scratch import build_scratch

MIN_TRAIN_ROWS = 2
UNKNOWN_WARN_SHARE = 0.05  # more <unk> than this means the base vocabulary cannot spell the data
STOP_FILE = "STOP"  # a stop request another process (the UI, a script) can leave in the run folder


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


class ProgressCallback(TrainerCallback):
    """Writes progress to the run and stops at the next step when asked or when the loss is not finite."""

    def __init__(self, run: "runs.Run", stop_event: threading.Event = None, is_main: bool = True,
                 minutes: float = 0):
        self.run = run
        self.stop_event = stop_event or threading.Event()
        self.is_main = is_main
        self.started = time.monotonic()
        self.minutes = minutes  # the time limit (0 = none)
        self.non_finite = None  # the bad value, when the loss diverged
        self.stopped_by_user = False
        self.stopped_for_time = False

    def stop_requested(self) -> bool:
        return self.stop_event.is_set() or (self.run.folder / STOP_FILE).exists()

    def check_stop(self) -> None:
        """Between the phases before training (reading, loading, tokenizing): end now if asked to."""
        if self.stop_requested():
            raise StoppedBeforeTraining()

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.monotonic()
        self._write({"event": "begin", "step": state.global_step, "max_steps": state.max_steps})

    def on_step_end(self, args, state, control, **kwargs):
        if self.stop_requested():
            self.stopped_by_user = True
        elif self.minutes and time.monotonic() - self.started > self.minutes * 60:
            self.stopped_for_time = True
        if self.stopped_by_user or self.stopped_for_time:
            control.should_training_stop = True
            control.should_evaluate = False  # a stop means now, not after one more pass over the validation rows
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = dict(logs or {})
        for key in ("loss", "eval_loss"):
            value = logs.get(key)
            if value is not None and not math.isfinite(value):
                self.non_finite = value
                control.should_training_stop = True
        elapsed = time.monotonic() - self.started
        done = max(state.global_step, 1)
        remaining = (state.max_steps - state.global_step) * elapsed / done if state.max_steps else None
        record = {"step": state.global_step, "max_steps": state.max_steps, "epoch": state.epoch,
                  "elapsed": round(elapsed, 2), "eta": None if remaining is None else round(remaining, 2), **logs}
        self._write(record)
        return control

    def _write(self, record: dict) -> None:
        if not self.is_main:
            return
        record["time"] = time.time()
        append_jsonl(self.run.trainer_log_path, record)
        shown = ", ".join(f"{k}={_short(v)}" for k, v in record.items() if k not in ("time", "max_steps"))
        self.run.log(shown)


class StoppedBeforeTraining(Exception):
    """Stop was pressed before the first training step: there is nothing to save."""


def _short(value):
    return f"{value:.4g}" if isinstance(value, float) else value


# Base models --------------------------------------------------------------------------------

def resolve_base(base: str, allow_paths: bool = True) -> tuple:
    """('scratch'|'store'|'local'|'hub', location) for what the user typed as base model.

    Store names, folders and Hub ids are told apart exactly as generation does; allow_paths=False
    (the app on a Space) keeps visitors from opening server folders of their choosing.
    """
    base = str(base).strip()
    if base == "scratch":
        return "scratch", None
    try:
        return resolve_source(base, allow_paths=allow_paths)
    except StudioError as exc:
        raise StudioError("train.base_not_found", base=base) from exc


def load_base(base: str, texts: list, size: str, seed: int, allow_paths: bool = True):
    """(model, tokenizer) for the chosen base; scratch models get a tokenizer trained on `texts`."""
    kind, location = resolve_base(base, allow_paths)
    if kind == "scratch":
        return build_scratch(texts, size=size, seed=seed)
    # Never run code from a model folder: uploaded or downloaded folders are untrusted.
    options = {"trust_remote_code": False}
    if kind == "hub" and not is_reachable():
        options["local_files_only"] = True  # a model already downloaded still works; others fail at once
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, **options)
        model = AutoModelForSeq2SeqLM.from_pretrained(location, use_safetensors=kind != "hub" or None, **options)
    except (OSError, ValueError) as exc:
        reason = str(exc).lower()
        if kind == "hub" and ("local_files_only" in options or "offline" in reason or "connect" in reason):
            raise StudioError("train.hub_offline", base=base) from exc
        raise StudioError("train.base_load_failed", base=base, detail=str(exc).splitlines()[0][:200]) from exc
    if not model.config.is_encoder_decoder:
        raise StudioError("train.not_seq2seq", base=base, model_type=model.config.model_type)
    return model, tokenizer


def with_model_inputs(frame, model, tokenizer):
    """The rows as the model reads them: a word=answer base gets each row's answer beside the word
    (the Correct column's first suitable one, else the dictionary's), as it does when generating."""
    corrects = list(frame["Correct"]) if "Correct" in frame.columns else None
    frame = frame.copy()
    frame["Input"] = prompts.model_inputs(model.config, tokenizer, list(frame["Input"]), corrects)
    return frame


def unknown_share(tokenizer, texts: list) -> float:
    """Share of tokens that become <unk> (original T5 vocabularies cannot spell most Japanese)."""
    unk = tokenizer.unk_token_id
    if unk is None:
        return 0.0
    total = unknown = 0
    for ids in tokenizer(texts[:500], add_special_tokens=False)["input_ids"]:
        total += len(ids)
        unknown += sum(1 for i in ids if i == unk)
    return unknown / total if total else 0.0


# Data ---------------------------------------------------------------------------------------

def _validation_count(rows: int, validation_split: float) -> int:
    return max(1, int(round(rows * validation_split))) if validation_split > 0 else 0


def split_rows(frame, validation_split: float, seed: int) -> tuple:
    """(train, validation) frames; the validation part is empty when the split is 0."""
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    n_val = _validation_count(len(shuffled), validation_split)
    train, val = shuffled.iloc[n_val:], shuffled.iloc[:n_val]
    if len(train) < MIN_TRAIN_ROWS:
        raise StudioError("train.too_few_rows", rows=len(frame), needed=MIN_TRAIN_ROWS + n_val)
    return train.reset_index(drop=True), val.reset_index(drop=True)


TOKENIZE_ROWS = 5000  # rows tokenized between two looks at the stop button


def tokenize_frame(frame, tokenizer, config: TrainConfig, check_stop=None):
    """Tokenize once, in batches, without padding: the collator pads each batch to its own longest row."""
    from datasets import Dataset

    columns = {"input_ids": [], "attention_mask": [], "labels": []}
    for start in range(0, len(frame), TOKENIZE_ROWS):
        if check_stop:
            check_stop()
        part = frame.iloc[start : start + TOKENIZE_ROWS]
        inputs = tokenizer(list(part["Input"]), max_length=config.max_input_length, truncation=True)
        labels = tokenizer(text_target=list(part["Output"]), max_length=config.max_target_length, truncation=True)
        columns["input_ids"] += inputs["input_ids"]
        columns["attention_mask"] += inputs["attention_mask"]
        columns["labels"] += labels["input_ids"]
    columns["length"] = [len(ids) for ids in columns["input_ids"]]  # lets the sampler group similar lengths
    return Dataset.from_dict(columns)


# Training -----------------------------------------------------------------------------------

def steps_per_epoch(rows: int, config: TrainConfig, world_size: int) -> int:
    return max(1, math.ceil(rows / (config.batch_size * world_size)) // config.grad_accum)


def total_steps(train_rows: int, config: TrainConfig, world_size: int) -> int:
    return config.max_steps or max(1, math.ceil(steps_per_epoch(train_rows, config, world_size) * config.epochs))


def check_budget(rows: int, train_rows: int, config: TrainConfig, world_size: int) -> None:
    """Refuse a training bigger than this server allows (train_limits), saying what to change."""
    limits = train_limits()
    if rows > limits.rows:
        raise StudioError("train.too_many_rows", rows=rows, limit=limits.rows)
    steps = total_steps(train_rows, config, world_size)
    if steps > limits.steps:
        raise StudioError("train.too_many_steps", steps=steps, limit=limits.steps)


def training_arguments(config: TrainConfig, run_folder: Path, train_rows: int, has_eval: bool, world_size: int):
    total = total_steps(train_rows, config, world_size)
    eval_every = config.eval_every or max(1, total // 10)
    use_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return Seq2SeqTrainingArguments(
        output_dir=str(run_folder / "checkpoints"),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        learning_rate=config.learning_rate,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        warmup_steps=config.warmup_ratio,  # a float below 1 is a share of all steps
        weight_decay=config.weight_decay,
        optim=OPTIMIZERS[config.optimizer],
        lr_scheduler_type=config.scheduler,
        label_smoothing_factor=config.label_smoothing,
        seed=config.seed,
        data_seed=config.seed,
        train_sampling_strategy="group_by_length",  # less padding per batch, same data
        logging_strategy="steps",
        logging_steps=max(1, min(eval_every, total // 100)),  # ~100 points for the live curve
        logging_first_step=True,
        logging_nan_inf_filter=False,  # a hidden NaN would let a diverged run look healthy
        eval_strategy="steps" if has_eval else "no",
        eval_steps=eval_every,
        save_strategy="steps",
        save_steps=eval_every,  # checkpoints to resume from after a crash
        save_total_limit=2,
        load_best_model_at_end=bool(config.early_stopping_patience),
        metric_for_best_model="eval_loss" if config.early_stopping_patience else None,
        greater_is_better=False if config.early_stopping_patience else None,
        bf16=use_bf16,  # T5 overflows in fp16; bf16 keeps fp32's range
        use_cpu=_use_cpu(),
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        save_only_model=False,
    )


def last_complete_checkpoint(run_folder: Path):
    """The newest checkpoint that was written completely (it has trainer_state.json), or None.

    A kill during saving leaves a checkpoint folder without it, which transformers'
    get_last_checkpoint would still pick.
    """
    folder = run_folder / "checkpoints"
    candidates = []
    for child in folder.glob("checkpoint-*"):
        step = child.name.rsplit("-", 1)[-1]
        has_weights = any(child.glob("*.safetensors")) or (child / "pytorch_model.bin").exists()
        if step.isdigit() and (child / "trainer_state.json").exists() and has_weights:
            candidates.append((int(step), child))
    return max(candidates)[1] if candidates else None


def _use_cpu() -> bool:
    return not torch.cuda.is_available() or os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true")


def _distributed_state():
    """Accelerate's process state. On a machine without a GPU, several processes talk over gloo."""
    from accelerate import PartialState

    return PartialState(cpu=_use_cpu())


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
    try:
        return _train_in_run(config, run, state, progress, extra_callbacks or [], resume_run_id, allow_paths)
    except StoppedBeforeTraining:
        note = text("train.stopped_before_training")
        if state.is_main_process:
            run.finish("stopped", error=note)
        return TrainOutcome(config.name, "", "stopped", run.id, warnings=[note])
    except BaseException as exc:
        explained = explain_os_error(exc)  # disk full, unwritable folder: say so in plain words
        if state.is_main_process:
            if isinstance(exc, KeyboardInterrupt):
                run.finish("interrupted", error=text("train.status_interrupted"))
            else:
                run.fail(explained or exc)
        if explained:
            raise explained from exc
        raise


def _load_base_shared(base, texts, config, run, state, allow_paths=True):
    """load_base(), but a scratch tokenizer is trained once (main process) and read by the others."""
    if base != "scratch" or state.num_processes == 1:
        return load_base(base, texts, config.size, config.seed, allow_paths)
    shared = run.folder / "scratch_tokenizer"
    if state.is_main_process:
        model, tokenizer = load_base(base, texts, config.size, config.seed)
        tokenizer.save_pretrained(shared)
    state.wait_for_everyone()
    if not state.is_main_process:
        from engine.scratch import build_model

        tokenizer = AutoTokenizer.from_pretrained(shared)
        model = build_model(tokenizer, config.size, config.seed)
    return model, tokenizer


def _train_in_run(config, run, state, progress, extra_callbacks, resume_run_id, allow_paths=True) -> TrainOutcome:
    frame = table_rows = None
    warnings = []
    checkpoint = None
    if resume_run_id:
        checkpoint = last_complete_checkpoint(run.folder)
        if checkpoint is None:
            raise StudioError("train.resume_not_found", run_id=resume_run_id)
    if config.csv:
        frame, table = load_pairs(config.csv, {"Input": config.input_column, "Output": config.output_column,
                                               "Correct": None})
        table_rows = {"data_rows": len(frame), "data_sha256": table.sha256}
        warnings += [text(key, **params) for key, params in table.warnings]
    texts = list(frame["Input"]) + list(frame["Output"]) if frame is not None else []
    if frame is not None and not config.save_only:
        check_budget(len(frame), len(frame) - _validation_count(len(frame), config.validation_split), config, state.num_processes)
    progress.check_stop()
    base = str(checkpoint) if checkpoint else config.base
    # A resumed run loads its own checkpoint folder, whatever visitors may open.
    model, tokenizer = _load_base_shared(base, texts, config, run, state, allow_paths or checkpoint is not None)
    if texts and config.base != "scratch":
        share = unknown_share(tokenizer, texts)
        if share > UNKNOWN_WARN_SHARE:
            warnings.append(text("train.unknown_tokens", percent=f"{share * 100:.0f}"))
    progress.check_stop()
    if frame is not None:
        frame = with_model_inputs(frame, model, tokenizer)
    for warning in warnings:
        run.log(f"warning: {warning}")
    meta = {"name": config.name, "base_model": config.base, "settings": config.public_dict(),
            "run_id": run.id, "created": run.record.started, **(table_rows or {})}
    if config.save_only:
        return _save(model, tokenizer, None, config, run, state, meta, "finished", {}, warnings)

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
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    if progress.non_finite is not None:
        raise StudioError("train.non_finite_loss", value=progress.non_finite)
    metrics = {"train_loss": result.training_loss, "steps": trainer.state.global_step}
    stopped = progress.stopped_by_user or progress.stopped_for_time
    if eval_set is not None and not stopped:  # after a Stop the user wants the model now, not a long evaluation
        eval_metrics = trainer.evaluate()
        if not math.isfinite(eval_metrics.get("eval_loss", 0.0)):
            raise StudioError("train.non_finite_loss", value=eval_metrics["eval_loss"])
        metrics["eval_loss"] = eval_metrics["eval_loss"]
    status = "stopped" if stopped else "finished"
    if progress.stopped_by_user:
        warnings.append(text("train.stopped_by_user"))
    elif progress.stopped_for_time:
        warnings.append(text("train.stopped_for_time", minutes=f"{progress.minutes:g}"))
    meta["data_rows_train"], meta["data_rows_validation"] = len(train_rows), len(val_rows)
    return _save(model, tokenizer, trainer, config, run, state, meta, status, metrics, warnings)


def _save(model, tokenizer, trainer, config, run, state, meta, status, metrics, warnings) -> TrainOutcome:
    """Write the model into a staging folder, then rename it into the store in one step."""
    target = store.models_root() / config.name
    if state.num_processes > 1:
        staging = store.models_root() / f"{store.STAGING_PREFIX}{config.name}-{run.record.pid}-{run.id.replace('-', '')}"
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
        run.finish(status, metrics=clean_metrics)
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
