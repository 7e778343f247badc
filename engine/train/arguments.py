"""How long a training runs and how the Trainer is set up: steps, the server's budget, TrainingArguments,
and the checkpoint to resume from."""
import math
import os
from pathlib import Path

import torch
from transformers import Seq2SeqTrainingArguments

from engine.core.messages import StudioError
from engine.train.config import OPTIMIZERS, TrainConfig, train_limits


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
        use_cpu=use_cpu(),
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


def use_cpu() -> bool:
    return not torch.cuda.is_available() or os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true")
