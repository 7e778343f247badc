"""Progress and stopping: one JSON line per log step in the run's trainer_log.jsonl, and a stop
request (the Stop button, a STOP file, the time limit) turned into the Trainer's own stop."""
import math
import threading
import time

from transformers import TrainerCallback

from engine.core import runs
from engine.core.jsonio import append_jsonl

STOP_FILE = "STOP"  # a stop request another process (the UI, a script) can leave in the run folder


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
