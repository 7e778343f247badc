"""Trainings waiting in line, each run in its own process.

A submitted training is a folder in <data home>/queue/ named so that folders sort in the order they
were submitted. job.json (the server's) holds its settings, its owner (the digest runs keep), the
submitter's language and its state: queued -> running -> finished | stopped | failed | cancelled.
The child writes run_id and outcome.json beside it, and its output goes to child.log.

The scheduler (one thread per server) starts the oldest queued job whenever fewer than `slots()`
run, as `python -m engine.train --job FOLDER`, the CLI people use, so `accelerate launch` works the
same way. It watches each child: one that dies (killed, out of memory) leaves its run marked failed
with the reason, and the next job starts. Jobs are files, so a restarted server finds its queue:
a job that was running when the server went down is marked failed, and the queue goes on.
"""
import os
import secrets
import subprocess
import sys
import threading
import time

from engine.core import paths, runs
from engine.core.jsonio import read_json, read_jsonl, write_json
from engine.core.messages import StudioError, text

POLL_SECONDS = 0.5
QUEUED, RUNNING = "queued", "running"
DONE = ("finished", "stopped", "failed", "cancelled")
DEFAULT_MINUTES = 3.0  # the expected length of a training before any has finished here


def queue_dir():
    folder = paths.data_home() / "queue"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def slots() -> int:
    """How many trainings run at once: T5STUDIO_TRAIN_SLOTS, else one per GPU, else one."""
    if os.environ.get("T5STUDIO_TRAIN_SLOTS", "").isdigit():
        return max(1, int(os.environ["T5STUDIO_TRAIN_SLOTS"]))
    import torch

    return max(1, torch.cuda.device_count())


def submit(config: dict, owner: str, allow_paths: bool, lang: str) -> dict:
    """Put a training in line (config: TrainConfig as a dict, already checked); returns its job."""
    job_id = f"{time.time_ns():020d}-{secrets.token_hex(3)}"
    job = {"id": job_id, "name": config["name"], "config": config, "owner": runs.owner_id(owner),
           "allow_paths": allow_paths, "lang": lang, "state": QUEUED, "submitted": time.time(),
           "started": None, "ended": None, "error": ""}
    (queue_dir() / job_id).mkdir()
    _save(job)
    return job


def _save(job: dict, folder=None) -> None:
    write_json((folder or queue_dir() / job["id"]) / "job.json", job)


def load(job_id: str, folder=None) -> dict:
    """A job with what its child wrote beside it; None when it is not there. `folder` pins the job's
    own folder (a scheduler keeps it while the child runs)."""
    folder = folder or queue_dir() / job_id
    job = read_json(folder / "job.json")
    if job is None:
        return None
    run_file = folder / "run_id"
    job["run_id"] = run_file.read_text().strip() if run_file.exists() else ""
    job["outcome"] = read_json(folder / "outcome.json")
    return job


def jobs() -> list:
    """Every job, oldest first."""
    return [job for job in (load(p.name) for p in sorted(queue_dir().iterdir()) if p.is_dir()) if job]


def latest_for(owner: str) -> dict:
    """The owner's job in line or running, else their last one; None when they have none."""
    mine = [job for job in jobs() if job["owner"] == runs.owner_id(owner)]
    waiting = [job for job in mine if job["state"] in (QUEUED, RUNNING)]
    return (waiting or mine or [None])[-1]


def names_taken() -> set:
    """Model names that jobs in line or running will write."""
    return {job["name"] for job in jobs() if job["state"] in (QUEUED, RUNNING)}


def place(job: dict) -> int:
    """1 for the next job to start, 2 for the one after, ...; 0 once it is no longer waiting."""
    if job["state"] != QUEUED:
        return 0
    waiting = [j["id"] for j in jobs() if j["state"] == QUEUED]
    return waiting.index(job["id"]) + 1 if job["id"] in waiting else 0


def starts_in(job: dict) -> float:
    """Seconds until `job` starts, estimated: the time the running jobs have left, then the usual
    length of a training for each job ahead in line, shared among the slots."""
    ahead = place(job) - 1
    if ahead < 0:
        return 0.0
    running = [j for j in jobs() if j["state"] == RUNNING]
    usual = usual_seconds()
    left = sorted(_seconds_left(j, usual) for j in running)
    free_at = left[0] if len(running) >= slots() and left else 0.0
    return free_at + ahead * usual / slots()


def usual_seconds() -> float:
    """The median length of the last trainings that finished here."""
    lengths = sorted(j["ended"] - j["started"] for j in jobs()[-20:]
                     if j["state"] in ("finished", "stopped") and j["started"] and j["ended"])
    return lengths[len(lengths) // 2] if lengths else DEFAULT_MINUTES * 60


def _seconds_left(job: dict, usual: float) -> float:
    if job.get("run_id"):
        etas = [r["eta"] for r in read_jsonl(runs.run_folder(job["run_id"]) / "trainer_log.jsonl") if r.get("eta")]
        if etas:
            return float(etas[-1])
    return max(0.0, usual - (time.time() - (job["started"] or time.time())))


def cancel(job: dict) -> bool:
    """Take a waiting job out of line, or ask a running one to stop at its next step (it saves)."""
    if job["state"] == QUEUED:
        job.update(state="cancelled", ended=time.time())
        _save(job)
        return True
    if job["state"] == RUNNING:
        if not job.get("run_id"):  # still loading: the child looks for the request when its run exists
            (queue_dir() / job["id"] / "stop").write_text("stop\n")
            return True
        from engine.train.progress import STOP_FILE

        (runs.run_folder(job["run_id"]) / STOP_FILE).write_text("stop\n")
        return True
    return False


class Scheduler:
    """Starts queued jobs as children and watches them (see the module docstring)."""

    def __init__(self):
        # job id -> (Popen, job folder). The folder is kept, not looked up again: the data home is
        # read from the environment, and tests serve one app after another from different homes.
        self.children = {}
        self.lock = threading.Lock()
        self.thread = None
        self.stopping = threading.Event()

    def ensure_running(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self._recover()
                self.thread = threading.Thread(target=self._loop, name="train-scheduler", daemon=True)
                self.thread.start()

    def stop(self) -> None:
        """End the watching thread after its current tick (children already started keep running)."""
        self.stopping.set()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the scheduler must outlive any one bad job file
                import logging

                logging.getLogger("t5studio").exception("training scheduler")
            time.sleep(POLL_SECONDS)

    def tick(self) -> None:
        """Reap ended children, then start queued jobs while a slot is free."""
        for job_id, (child, folder) in list(self.children.items()):
            if child.poll() is not None:
                self._reap(job_id, folder, child.returncode)
        waiting = [job for job in jobs() if job["state"] == QUEUED]
        while waiting and len(self.children) < slots():
            job = waiting.pop(0)
            if _claim(queue_dir() / job["id"]):
                self._start(job)

    def _start(self, job: dict) -> None:
        folder = queue_dir() / job["id"]
        log = open(folder / "child.log", "ab")  # noqa: SIM115 - the child holds it; closed on reaping
        child = subprocess.Popen([sys.executable, "-m", "engine.train", "--job", str(folder)],
                                 cwd=paths.REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
        log.close()
        self.children[job["id"]] = (child, folder)
        job.update(state=RUNNING, started=time.time(), pid=child.pid)
        _save(job)

    def _reap(self, job_id: str, folder, returncode: int) -> None:
        del self.children[job_id]
        job = load(job_id, folder)
        if job is None:  # its folder is gone (a data home removed under it): nothing left to record
            return
        outcome = job.get("outcome") or {}
        if returncode == 0 and outcome:
            job.update(state=outcome.get("status", "finished"), ended=time.time())
        else:
            reason = _death_reason(returncode, outcome)
            job.update(state="failed", ended=time.time(), error=reason)
            if job.get("run_id"):
                fail_run(folder.parent.parent / paths.runs_dir().name / job["run_id"], reason)  # the job's own home
        _save(job, folder)

    def _recover(self) -> None:
        """Jobs left 'running' by a server that went down: their children went with it (see
        engine.train.__main__.die_with_parent), and the run history marks their runs interrupted,
        so they can be resumed."""
        for job in jobs():
            if job["state"] == RUNNING and job["id"] not in self.children:
                job.update(state="failed", ended=time.time(), error=text("train.server_restarted"))
                _save(job)


def _claim(folder) -> bool:
    """Take a waiting job for this scheduler: True for exactly one caller, even when two schedulers
    (two servers over one data home, an old and a new one) see it waiting at the same moment."""
    try:
        os.close(os.open(folder / "claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def fail_run(folder, reason: str) -> None:
    """End the run in `folder` whose child died without ending it (killed, out of memory) as failed,
    with the reason; a run that ended on its own keeps its own ending."""
    data = read_json(folder / "run.json")
    if data is None or data.get("status") not in ("running", "interrupted"):
        return
    data.update(status="failed", ended=data.get("ended") or runs.now_iso(), error=reason)
    write_json(folder / "run.json", data)
    with open(folder / "log.txt", "a", encoding="utf-8") as handle:
        handle.write(f"[{time.strftime('%H:%M:%S')}] status: failed ({reason})\n")


def _death_reason(returncode: int, outcome: dict) -> str:
    if outcome.get("error"):
        return outcome["error"]
    if returncode is not None and returncode < 0:
        return text("train.child_killed", signal=-returncode)
    return text("train.child_failed", code=returncode)


SCHEDULER = Scheduler()


def require_free_name(name: str) -> None:
    if name in names_taken():
        raise StudioError("train.name_in_queue", name=name)
