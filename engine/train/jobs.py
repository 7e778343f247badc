"""Training jobs as the app sees them: put in line, followed by polling, stopped or taken out of line.

The web server never trains. A training goes into the queue (engine.train.queue), whose scheduler
runs it in a child process; the UI reads its place in line, then its progress (the run's
trainer_log.jsonl and log.txt), as often as it likes. A reloaded page finds its job again by the
owner key its browser keeps.
"""
import time
from dataclasses import asdict
from types import SimpleNamespace

from engine.core import runs
from engine.core.jsonio import read_jsonl
from engine.core.messages import StudioError, current_language
from engine.core.paths import public_mode
from engine.models import storage
from engine.models.store import check_new_name
from engine.train import queue
from engine.train.config import TrainConfig

LOG_TAIL_LINES = 30
PUBLIC_SEARCH = 4  # places one visitor's search may take in a public Space's line


class Job:
    """One queued training, read from its files each time it is asked about."""

    def __init__(self, data: dict):
        self.data = data

    def refresh(self) -> "Job":
        self.data = queue.load(self.data["id"]) or self.data
        return self

    @property
    def state(self) -> str:
        return self.data["state"]

    @property
    def running(self) -> bool:
        """Not ended yet: waiting in line or training."""
        return self.refresh().state in (queue.QUEUED, queue.RUNNING)

    @property
    def config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.data["config"])

    @property
    def run(self):
        run_id = self.data.get("run_id")
        return SimpleNamespace(id=run_id, trainer_log_path=runs.run_folder(run_id) / "trainer_log.jsonl") if run_id else None

    @property
    def outcome(self):
        return self.data.get("outcome")

    @property
    def error(self) -> str:
        return self.data.get("error") or ""

    @property
    def stop_requested(self) -> bool:
        from engine.train.progress import STOP_FILE

        run = self.run
        return (queue.queue_dir() / self.data["id"] / "stop").exists() or bool(run and (
            runs.run_folder(run.id) / STOP_FILE).exists())

    def wait(self, timeout: float) -> bool:
        """Wait until the job has ended (True), or `timeout` seconds have passed (False)."""
        deadline = time.time() + timeout
        while self.running:
            if time.time() > deadline:
                return False
            time.sleep(0.2)
        return True


class TrainingJobs:
    """The server's trainings, all owners together (module-level on purpose: the queue is shared)."""

    def start(self, config: TrainConfig, owner: str, allow_paths: bool = True) -> Job:
        config.check()
        check_new_name(config.name)  # refuse before taking a place in line
        if config.csv:  # a file the training would refuse at the front of the line is refused now
            config.read_rows()
        return self._put_in_line([config], owner, allow_paths)[0]

    def start_search(self, configs: list, owner: str, allow_paths: bool = True) -> list:
        """Put a search's trainings in line together (engine.train.search.configs made and checked
        them). On a public Space a visitor's search takes at most PUBLIC_SEARCH places."""
        if public_mode() and len(configs) > PUBLIC_SEARCH:
            raise StudioError("search.too_many_public", count=len(configs), limit=PUBLIC_SEARCH)
        return self._put_in_line(configs, owner, allow_paths)

    @staticmethod
    def _put_in_line(configs: list, owner: str, allow_paths: bool) -> list:
        for config in configs:
            queue.require_free_name(config.name)
        storage.check_room(owner)
        mine = queue.latest_for(owner)
        if public_mode() and mine and mine["state"] in (queue.QUEUED, queue.RUNNING):
            raise StudioError("train.already_in_line", name=mine["name"])  # one place (or search) per visitor
        found = [Job(queue.submit(asdict(c), owner, allow_paths, current_language())) for c in configs]
        queue.SCHEDULER.ensure_running()
        return found

    def for_owner(self, owner: str):
        job = queue.latest_for(owner)
        return Job(job) if job else None

    def busy_with(self):
        """A training running now, whoever owns it (to tell others why theirs waits)."""
        running = [job for job in queue.jobs() if job["state"] == queue.RUNNING]
        return Job(running[0]) if running else None

    def stop(self, owner: str) -> str:
        """Take the owner's waiting training out of line, or stop their running one (it saves).
        Returns the state it acted on ("queued" or "running"), or "" when there was nothing to stop."""
        job = queue.latest_for(owner)
        state = job["state"] if job else ""
        return state if job and queue.cancel(job) else ""


JOBS = TrainingJobs()


def progress(job: Job) -> dict:
    """What the UI shows about a job: status, place in line, step counts, losses, timings, curve, log.
    The step total is the one asked for until the trainer reports its own (epochs can set it)."""
    job.refresh()
    data = job.data
    started = data.get("started") or data["submitted"]
    info = {"name": data["name"], "status": data["state"], "error": data.get("error") or "",
            "step": 0, "max_steps": max(0, int(data["config"].get("max_steps") or 0)), "epoch": 0.0, "loss": None, "eval_loss": None, "learning_rate": None,
            "elapsed": (data.get("ended") or time.time()) - started, "eta": None, "curve": None, "log": "",
            "run_id": data.get("run_id") or "", "place": queue.place(data), "starts_in": None}
    if data["state"] == queue.QUEUED:
        info["starts_in"] = queue.starts_in(data)
    if job.run is not None:
        info.update(summarize(read_jsonl(job.run.trainer_log_path)))
        info["log"] = runs.read_log(job.run.id, tail_lines=LOG_TAIL_LINES)
    if job.outcome:
        info["outcome"] = job.outcome
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
