"""The run history: every training, evaluation, generation batch and vector training.

Each run is a folder runs/<id>/ with run.json (kind, status, times, settings, metrics, error),
log.txt (the text log) and, for training, trainer_log.jsonl. A run left "running" by a process
that no longer exists is reported as interrupted: a killed process cannot say so itself.
"""
import hashlib
import math
import os
import re
import secrets
import threading
import traceback
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from engine.core import paths
from engine.core.jsonio import pid_alive, read_json, write_json
from engine.core.messages import explain_os_error, text

KINDS = ("train", "evaluate", "generate", "vectors")
STATUSES = ("running", "finished", "stopped", "failed", "interrupted")
DONE_STATUSES = ("finished", "stopped", "failed", "interrupted")


def label(value: str) -> str:
    """A run kind or status in the reader's words (train -> 訓練, stopped -> 停止)."""
    area = "kind" if value in KINDS else "status" if value in STATUSES else ""
    return text(f"logs.{area}_{value}") if area else str(value)


PRIVATE_FILE = "private.json"
OWNER_ID = re.compile(r"[0-9a-f]{32}")

_LIVE_RUNS = set()  # ids of runs this process is working on right now
_LOCK = threading.Lock()


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


@dataclass
class RunRecord:
    id: str
    kind: str
    name: str = ""
    status: str = "running"
    started: str = field(default_factory=now_iso)
    ended: str = ""
    settings: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    error: str = ""  # plain Japanese, shown first
    error_detail: str = ""  # the technical detail, shown below it
    owner: str = ""  # owner_id() of the browser that started it: a digest, never the secret key
    warnings: list = field(default_factory=list)  # plain sentences: what the user should know of a result
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=lambda: os.uname().nodename)


class Run:
    """A run in progress; write its log and end it with finish()."""

    def __init__(self, record: RunRecord, folder: Path):
        self.record = record
        self.folder = folder

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def log_path(self) -> Path:
        return self.folder / "log.txt"

    @property
    def trainer_log_path(self) -> Path:
        return self.folder / "trainer_log.jsonl"

    def save(self) -> None:
        write_json(self.folder / "run.json", asdict(self.record))

    def log(self, line: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(f"[{stamp}] {line}\n")

    def update(self, **fields) -> None:
        for key, value in fields.items():
            setattr(self.record, key, value)
        self.save()

    def finish(self, status: str, metrics: dict = None, error: str = "", error_detail: str = "",
               warnings: list = None) -> None:
        assert status in DONE_STATUSES, status
        if metrics:
            self.record.metrics.update(metrics)
        self.update(status=status, ended=now_iso(), error=error, error_detail=error_detail,
                    warnings=list(warnings or []))
        self.log(f"status: {status}" + (f" ({error})" if error else ""))
        with _LOCK:
            _LIVE_RUNS.discard(self.id)

    def fail(self, exc: BaseException) -> None:
        """End as failed, with the user's message first and the traceback as detail."""
        message = exc.message() if hasattr(exc, "message") else f"{type(exc).__name__}: {exc}"
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.finish("failed", error=message, error_detail=detail)


class OwnerDigest(str):
    """An owner digest handed on as it is (never a string a visitor sent: only code makes these)."""


def owner_id(owner_key: str) -> str:
    """What a run record keeps of its owner: a one-way digest of the owner's secret key.

    Records are listed and downloaded; the key itself is what stops, watches and lists a browser's
    runs, so it must never appear in them. Comparing digests tells "mine" from "not mine"."""
    if not owner_key:
        return ""
    if isinstance(owner_key, OwnerDigest):  # a queued training's child is given only the digest
        return str(owner_key)
    return hashlib.sha256(f"t5studio-owner:{owner_key}".encode()).hexdigest()[:32]


def start_run(kind: str, name: str = "", settings: dict = None, owner: str = "", private: dict = None) -> Run:
    """A new run. owner: the owner's secret key (only its digest is stored).
    private: what the run needs but users must not see (a data file's path on this server), kept
    beside run.json in private.json, which is never listed or downloaded."""
    assert kind in KINDS, kind
    run_id = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{kind}-{secrets.token_hex(3)}"
    folder = paths.runs_dir() / run_id
    folder.mkdir(parents=True)
    if private:
        write_json(folder / PRIVATE_FILE, private)
    record = RunRecord(id=run_id, kind=kind, name=name, settings=dict(settings or {}), owner=owner_id(owner))
    run = Run(record, folder)
    with _LOCK:
        _LIVE_RUNS.add(run_id)
    run.save()
    run.log(f"start {kind} {name}".strip())
    return run


@contextmanager
def ending(run: Run, writes: bool = True):
    """End `run` however the body ends: finished, unless the body ended it itself; interrupted on
    Ctrl-C; failed, with the user's message, on any other exception. Exceptions go on, a disk-full
    or permission error as its plain explanation. writes=False: another process keeps the record."""
    try:
        yield run
    except KeyboardInterrupt:
        if writes and run.record.status == "running":
            run.finish("interrupted", error=text("common.interrupted"))
        raise
    except BaseException as exc:
        explained = explain_os_error(exc)
        if writes and run.record.status == "running":
            run.fail(explained or exc)
        if explained:
            raise explained from exc
        raise
    if writes and run.record.status == "running":
        run.finish("finished")


@contextmanager
def running(kind: str, name: str = "", settings: dict = None, owner: str = "", private: dict = None):
    """A new run (see start_run) for the body, ended as `ending` says."""
    with ending(start_run(kind, name, settings, owner, private)) as run:
        yield run


def load_private(run_id: str) -> dict:
    """The private part of a run's settings (see start_run), or {} (also for an id that is no run)."""
    try:
        return read_json(run_folder(run_id) / PRIVATE_FILE, {}) or {}
    except ValueError:
        return {}


def attach_run(run_id: str, live: bool = True) -> Run:
    """A Run object for an existing run (to resume it, or to read it from another process)."""
    folder = run_folder(run_id)
    data = read_json(folder / "run.json")
    if data is None:
        raise FileNotFoundError(run_id)
    known = RunRecord.__dataclass_fields__
    record = RunRecord(**{k: v for k, v in data.items() if k in known})
    if live:
        with _LOCK:
            _LIVE_RUNS.add(run_id)
    return Run(record, folder)


def _is_orphaned(data: dict) -> bool:
    """A 'running' record whose process is gone, or is us but no longer working on it."""
    if data.get("host") not in (None, os.uname().nodename):
        return False  # another machine's run: we cannot tell
    pid = data.get("pid")
    if pid == os.getpid():
        return data["id"] not in _LIVE_RUNS
    return not pid or not pid_alive(pid)


def load_run(run_id: str) -> dict:
    """One run's record, with a dead 'running' one turned into 'interrupted' (and saved so)."""
    folder = paths.runs_dir() / run_id
    data = read_json(folder / "run.json")
    if data is None:
        return None
    if data.get("owner") and not OWNER_ID.fullmatch(str(data["owner"])):
        data["owner"] = owner_id(str(data["owner"]))  # written before owners were digests: hide the key
        write_json(folder / "run.json", data)
    if data.get("status") == "running" and _is_orphaned(data):
        data["status"] = "interrupted"
        data["ended"] = data.get("ended") or now_iso()
        write_json(folder / "run.json", data)
    return data


def list_runs(kind: str = None, status: str = None) -> list:
    """All runs, newest first, optionally filtered."""
    runs = []
    for folder in sorted(paths.runs_dir().iterdir(), reverse=True):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        data = load_run(folder.name)
        if data is None:
            continue
        if kind and data.get("kind") != kind:
            continue
        if status and data.get("status") != status:
            continue
        runs.append(data)
    return runs


def run_folder(run_id: str) -> Path:
    folder = (paths.runs_dir() / run_id).resolve()
    if folder.parent != paths.runs_dir().resolve():
        raise ValueError("bad run id")
    return folder


def read_log(run_id: str, tail_lines: int = None) -> str:
    try:
        lines = (run_folder(run_id) / "log.txt").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return ""
    if tail_lines:
        lines = lines[-tail_lines:]
    return "\n".join(lines)


# The loss curve: the one reader of trainer_log.jsonl, for the Train tab's live plot and the Logs tab.
# Its columns, in the order they are written to a download:
CURVE_COLUMNS = ("step", "epoch", "loss", "eval_loss", "learning_rate", "grad_norm")
# Where the step number may live: transformers' log_history says "step", LLaMA-Factory-style
# logs say "current_steps".
STEP_KEYS = ("step", "current_steps", "global_step")


def _number(value):
    """A finite float, or None: NaN/inf and text are not drawn."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def loss_curve(entries: list):
    """The trainer log as a table: step, epoch, loss, eval_loss, learning_rate, grad_norm.

    A line without a step number is placed at its position in the file, so such logs still draw.
    Non-finite values become empty cells: NaN would silently break the plot's scale.
    """
    import pandas as pd

    rows = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            continue
        steps = [_number(entry.get(key)) for key in STEP_KEYS]
        step = next((s for s in steps if s is not None), float(position))
        row = {"step": step}
        for column in CURVE_COLUMNS[1:]:
            row[column] = _number(entry.get(column))
        if row["loss"] is None and row["eval_loss"] is None and row["learning_rate"] is None:
            continue  # e.g. the final summary line (train_runtime, …): nothing to draw
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(CURVE_COLUMNS), dtype=float)
    return frame.dropna(axis=1, how="all") if not frame.empty else frame
