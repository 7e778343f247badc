"""Background training jobs for the app: one at a time per server, followed by polling.

The UI thread never trains. It starts a job here, then reads the job's progress (from the run's
trainer_log.jsonl and log.txt) as often as it likes; a reloaded page finds its job again by the
owner key its browser keeps.
"""
import threading
import time
from dataclasses import dataclass, field

from engine.core import runs
from engine.core.jsonio import read_jsonl
from engine.core.messages import StudioError, current_language, speaking
from engine.models import storage
from engine.models.store import check_new_name
from engine.train.config import TrainConfig
from engine.train.training import train

LOG_TAIL_LINES = 30


@dataclass
class Job:
    config: TrainConfig
    owner: str
    stop_event: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    run: "runs.Run" = None
    outcome: object = None
    error: str = ""
    started: float = field(default_factory=time.time)

    @property
    def running(self) -> bool:
        return not self.done.is_set()


class TrainingJobs:
    """The server's training slot. Module-level on purpose: the slot is shared by all users."""

    def __init__(self):
        self._lock = threading.Lock()
        self._current = None
        self._last_by_owner = {}

    def start(self, config: TrainConfig, owner: str, allow_paths: bool = True) -> Job:
        config.check()
        check_new_name(config.name)  # refuse before the slot is taken
        storage.check_room(owner)
        with self._lock:
            if self._current is not None and self._current.running:
                raise StudioError("train.busy", name=self._current.config.name)
            job = Job(config=config, owner=owner)
            self._current = job
            self._last_by_owner[owner] = job
        created = threading.Event()
        language = current_language()  # the thread writes its messages in its starter's language

        def on_run(run):
            job.run = run
            created.set()

        def work():
            try:
                with speaking(language):
                    job.outcome = train(config, owner=owner, stop_event=job.stop_event, on_run=on_run,
                                        allow_paths=allow_paths)
            except StudioError as exc:
                job.error = exc.message(language)
            except Exception as exc:  # noqa: BLE001 - the run records the details; the user gets a line
                job.error = f"{type(exc).__name__}: {exc}"
            finally:
                created.set()
                job.done.set()

        threading.Thread(target=work, name=f"train-{config.name}", daemon=True).start()
        created.wait(timeout=60)  # the run id exists before we return, unless loading failed first
        return job

    def for_owner(self, owner: str):
        with self._lock:
            return self._last_by_owner.get(owner)

    def busy_with(self):
        """The running job, whoever owns it (to tell others the server is busy)."""
        with self._lock:
            job = self._current
        return job if job is not None and job.running else None

    def stop(self, owner: str) -> bool:
        job = self.for_owner(owner)
        if job is None or not job.running:
            return False
        job.stop_event.set()
        return True


JOBS = TrainingJobs()


def progress(job: Job) -> dict:
    """What the UI shows about a job: status, step counts, losses, timings, curve points, log tail."""
    info = {"name": job.config.name, "status": "running" if job.running else "failed", "error": job.error,
            "step": 0, "max_steps": 0, "epoch": 0.0, "loss": None, "eval_loss": None, "learning_rate": None,
            "elapsed": time.time() - job.started, "eta": None, "curve": None, "log": "", "run_id": ""}
    if job.run is not None:
        info["run_id"] = job.run.id
        records = read_jsonl(job.run.trainer_log_path)
        info.update(summarize(records))
        info["log"] = runs.read_log(job.run.id, tail_lines=LOG_TAIL_LINES)
    if job.outcome is not None:
        info["status"] = job.outcome.status
        info["outcome"] = job.outcome.to_dict()
    return info


def summarize(records: list) -> dict:
    """Latest values, and the loss curve (runs.loss_curve: step, loss, eval_loss, learning_rate …)."""
    summary = {}
    for record in records:
        for key in ("step", "max_steps", "epoch", "learning_rate", "elapsed", "eta", "loss", "eval_loss"):
            if record.get(key) is not None:
                summary[key] = record[key]
    summary["curve"] = runs.loss_curve(records)
    return summary
