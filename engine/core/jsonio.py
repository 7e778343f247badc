"""Small file helpers: JSON written atomically, JSON lines appended, folders staged then renamed."""
import json
import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


def write_json(path, data) -> None:
    """Write JSON so a reader never sees half a file: temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path, default=None):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def append_jsonl(path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def read_jsonl(path) -> list:
    """Every complete line of a JSON-lines file; a torn last line (from a kill) is skipped."""
    records = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        pass
    return records


# Folders written whole or not at all ----------------------------------------------------------

STAGING_PREFIX = ".staging-"


@contextmanager
def staged_folder(root: Path, name: str, already_there, replace: bool = False, tag: str = None):
    """Yield an empty hidden folder under `root`; on normal exit it becomes root/<name>, on error it vanishes.

    already_there: the exception to raise when root/<name> exists (unless replace=True, which swaps the
    old folder out first). The pid in the folder name lets a later start tell a dead process's
    leftovers from work in progress; `tag` names it predictably so several processes can share it.
    """
    tmp = Path(root) / f"{STAGING_PREFIX}{name}-{os.getpid()}-{tag or secrets.token_hex(4)}"
    tmp.mkdir(exist_ok=bool(tag))
    try:
        yield tmp
        target = Path(root) / name
        if target.exists() and replace:
            trash = Path(root) / f".old-{name}-{secrets.token_hex(4)}"
            os.replace(target, trash)
            shutil.rmtree(trash, ignore_errors=True)
        if target.exists():
            raise already_there
        os.replace(tmp, target)  # atomic on one filesystem
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def clean_staged(root: Path) -> int:
    """Remove staging folders under `root` whose process is gone; returns how many were removed."""
    removed = 0
    for folder in Path(root).glob(f"{STAGING_PREFIX}*"):
        pid = staging_pid(folder.name)
        if pid is not None and pid != os.getpid() and pid_alive(pid):
            continue  # another process is still writing it
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def staging_pid(folder_name: str):
    parts = folder_name.rsplit("-", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A process that has ended but not been reaped yet (a training child whose server was killed
    lingers so until its new parent collects it): it is not working on anything."""
    try:
        return open(f"/proc/{pid}/stat", encoding="ascii").read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
