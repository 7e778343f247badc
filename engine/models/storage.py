"""Room on disk: quotas per visitor and for the whole data home (public mode), and cleanup.

A Space's persistent storage is small and shared by a class. In public mode a visitor may not
start a training, a save or an upload once their own files (models, runs, vector sets, uploads)
pass OWNER_QUOTA_MB, nor anybody once the data home passes HOME_QUOTA_MB. Both can be set through
the environment.

Cleanup (at start and every hour while the app runs, or `python -m engine.models.storage --clean`)
removes what nobody needs to keep: uploaded files after UPLOAD_HOURS, downloads made for a page
after UPLOAD_HOURS, and the checkpoints of runs that ended without finishing (failed, stopped,
interrupted) after CHECKPOINT_DAYS, when they can no longer be resumed. Models, run records and
logs are never removed by it.

    python -m engine.models.storage --usage
    python -m engine.models.storage --clean [--dry-run]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from engine.core import paths, runs
from engine.core.jsonio import read_json
from engine.core.messages import StudioError
from engine.models import store

OWNER_QUOTA_MB = int(os.environ.get("T5STUDIO_OWNER_QUOTA_MB", "2000"))
HOME_QUOTA_MB = int(os.environ.get("T5STUDIO_HOME_QUOTA_MB", "40000"))
UPLOAD_HOURS = 24
CHECKPOINT_DAYS = 7
DOWNLOADS_DIR = "t5studio-downloads"  # under the system temp folder (tabs.common.result_file)
ENDED_UNFINISHED = ("failed", "stopped", "interrupted")
MB = 1024 * 1024


def folder_bytes(path: Path) -> int:
    """Bytes of every file under `path` (0 when it does not exist); links are not followed."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass  # removed while we counted
    return total


def owner_bytes(owner_key: str) -> int:
    """Bytes of everything kept for one owner: their runs, the models and vector sets they made, uploads."""
    owner = runs.owner_id(owner_key)
    total = folder_bytes(paths.uploads_dir() / owner)
    own_runs = [r for r in runs.list_runs() if r.get("owner") == owner]
    run_ids = {r["id"] for r in own_runs}
    total += sum(folder_bytes(runs.run_folder(r["id"])) for r in own_runs)
    for meta in store.list_models():
        if meta.get("run_id") in run_ids:
            total += folder_bytes(store.model_path(meta["name"]))
    for folder in paths.vectors_dir().iterdir():
        meta_file = folder / "meta.json"
        if meta_file.is_file() and (read_json(meta_file, {}) or {}).get("owner") == owner:
            total += folder_bytes(folder)
    return total


def check_room(owner_key: str) -> None:
    """In public mode, raise StudioError when the owner's or the whole home's quota is used up."""
    if not paths.public_mode():
        return
    used = folder_bytes(paths.data_home())
    if used > HOME_QUOTA_MB * MB:
        raise StudioError("storage.home_full", used_mb=used // MB, limit_mb=HOME_QUOTA_MB)
    mine = owner_bytes(owner_key)
    if mine > OWNER_QUOTA_MB * MB:
        raise StudioError("storage.owner_full", used_mb=mine // MB, limit_mb=OWNER_QUOTA_MB)


def clean(now: float = None, dry_run: bool = False) -> list:
    """Remove old uploads, downloads and the checkpoints of runs that ended unfinished; returns the paths."""
    now = time.time() if now is None else now
    removed = []
    upload_cutoff = now - UPLOAD_HOURS * 3600
    short_lived = (paths.uploads_dir(), Path(tempfile.gettempdir()) / DOWNLOADS_DIR)
    for root in short_lived:
        removed += _old_files(root, upload_cutoff)
    checkpoint_cutoff = now - CHECKPOINT_DAYS * 86400
    for record in runs.list_runs():
        folder = runs.run_folder(record["id"]) / "checkpoints"
        if record.get("status") in ENDED_UNFINISHED and folder.is_dir() and _newest(folder) < checkpoint_cutoff:
            removed.append(folder)
    for path in removed if not dry_run else ():
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    for root in short_lived if not dry_run else ():
        _drop_empty_folders(root)
    return removed


def _old_files(root: Path, cutoff: float) -> list:
    if not root.is_dir():
        return []
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and p.stat().st_mtime < cutoff]


def _newest(folder: Path) -> float:
    return max((p.stat().st_mtime for p in folder.rglob("*")), default=folder.stat().st_mtime)


def _drop_empty_folders(root: Path) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()  # only succeeds when empty
        except OSError:
            pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.models.storage", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--usage", action="store_true", help="print the data home's size in MB")
    action.add_argument("--clean", action="store_true", help="remove old uploads, downloads and checkpoints")
    parser.add_argument("--dry-run", action="store_true", help="with --clean: list what would go, remove nothing")
    args = parser.parse_args(argv)
    try:
        if args.usage:
            print(json.dumps({"home": str(paths.data_home()), "mb": round(folder_bytes(paths.data_home()) / MB, 1)}))
        else:
            removed = clean(dry_run=args.dry_run)
            print(json.dumps({"removed": [str(p) for p in removed], "dry_run": args.dry_run}, ensure_ascii=False))
    except StudioError as exc:
        print(exc.message(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
