"""The model store: one folder per model under <data home>/models.

A model folder holds the weights (safetensors), the tokenizer, run.json (what it was made from
and how), trainer_log.jsonl, log.txt and a generated model card README.md. A model is written
into a hidden staging folder first and renamed into place only when complete, so a crash or a
kill never leaves a half-written model that looks finished.
"""
from pathlib import Path

from engine.core import paths
from engine.core.jsonio import STAGING_PREFIX, clean_staged, read_json, staged_folder, write_json
from engine.core.messages import StudioError
from engine.core.names import check_name

META_FILE = "run.json"
USABLE_STATUSES = ("finished", "stopped")  # a stopped run still saves a usable model


def models_root() -> Path:
    return paths.models_dir()


def model_path(name: str) -> Path:
    return models_root() / check_name(name)


def is_complete(folder: Path) -> bool:
    """A folder is a usable model only with its metadata, weights and tokenizer all present."""
    meta = read_json(folder / META_FILE)
    if not meta or meta.get("status") not in USABLE_STATUSES:
        return False
    has_weights = any(folder.glob("*.safetensors"))
    has_tokenizer = (folder / "tokenizer.json").exists() or (folder / "spiece.model").exists()
    return has_weights and has_tokenizer


def list_models() -> list:
    """Metadata of every complete model, newest first; staging and broken folders are left out."""
    found = []
    for folder in models_root().iterdir():
        if folder.name.startswith(".") or not folder.is_dir() or not is_complete(folder):
            continue
        meta = read_json(folder / META_FILE)
        meta["name"] = folder.name
        meta["path"] = str(folder)
        found.append(meta)
    return sorted(found, key=lambda m: m.get("ended") or m.get("created") or "", reverse=True)


def model_names() -> list:
    return [m["name"] for m in list_models()]


def exists(name: str) -> bool:
    return model_path(name).exists()


def load_meta(name: str) -> dict:
    folder = model_path(name)
    if not is_complete(folder):
        raise StudioError("store.not_found", name=name)
    meta = read_json(folder / META_FILE)
    meta["name"] = name
    meta["path"] = str(folder)
    return meta


def update_meta(name: str, **fields) -> dict:
    """Change fields of a stored model's run.json (e.g. add an evaluation or a Hub link)."""
    folder = model_path(name)
    meta = read_json(folder / META_FILE, {})
    meta.update(fields)
    write_json(folder / META_FILE, meta)
    return meta


def delete_model(name: str) -> None:
    """Remove a stored model. It is renamed out of the list first, so a crash midway leaves a hidden
    staging folder (cleaned at the next start), never a half-deleted model that is still listed."""
    import os
    import secrets
    import shutil

    folder = model_path(name)
    if not folder.is_dir():
        raise StudioError("store.not_found", name=name)
    doomed = models_root() / f"{STAGING_PREFIX}{name}-{os.getpid()}-deleted{secrets.token_hex(4)}"
    os.replace(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def check_new_name(name: str) -> str:
    name = check_name(name)
    if name == paths.BUNDLED_BASE:  # a stored model of that name could never be opened
        raise StudioError("store.reserved", name=name)
    if (models_root() / name).exists():
        raise StudioError("store.exists", name=name)
    return name


def staging(name: str, tag: str = None):
    """Yield an empty hidden folder; on normal exit it becomes models/<name>, on error it is removed.

    `tag` names the folder predictably (a run id) so that every process of a distributed run
    writes into the same one; by default it is random.
    """
    name = check_new_name(name)
    return staged_folder(models_root(), name, StudioError("store.exists", name=name), tag=tag)


def clean_staging() -> int:
    """Remove staging folders left by processes that are gone; returns how many were removed."""
    return clean_staged(models_root())
