"""Loading a model to generate with: a stored model's name, the bundled base, a local folder or
(online only) a Hugging Face Hub id. Loaded models stay in a small LRU cache, so the Try tab does
not reload weights per click. Only safetensors, and never code from a model's folder."""
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from engine.core import paths
from engine.core.messages import StudioError
from engine.models import store
from engine.models.publishing import is_reachable

CACHE_SIZE = 2  # models kept in memory; each small T5 is ~250 MB, base ~900 MB


@dataclass
class LoadedModel:
    model: object
    tokenizer: object
    source: str  # what the user asked for
    path: str  # the folder or Hub id it came from
    device: str


_CACHE = OrderedDict()  # key -> LoadedModel, most recently used last
_CACHE_LOCK = threading.Lock()
_LOAD_LOCKS = {}  # one lock per key, so two users asking for one model load it once


def device_name() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


def _in_catalog(model_id: str) -> bool:
    from engine.models.catalog import card_entries  # lazy: the catalog reads markdown files

    return any(entry.id == model_id for entry in card_entries())


def resolve_source(source: str, allow_paths: bool = True) -> tuple:
    """(kind, location) for a model reference: ("bundled"|"store"|"local"|"hub", path or id).

    allow_paths=False (the web app) accepts only store names and Hub ids: a visitor must not
    make the server open folders of its own choosing.
    """
    source = (source or "").strip()
    if not source:
        raise StudioError("generation.no_model")
    bundled = bundled_path(source)
    if bundled is not None:
        return "bundled", str(bundled)
    try:
        folder = store.model_path(source)
        if store.is_complete(folder):
            return "store", str(folder)
    except StudioError:
        pass  # not a valid store name: maybe a path or a Hub id
    if allow_paths and Path(source).is_dir():
        return "local", str(Path(source).resolve())
    looks_like_path = source.startswith((".", "/", "~", "\\")) or "\\" in source or Path(source).exists()
    if not looks_like_path and HUB_ID.match(source) and ("/" in source or _in_catalog(source)):
        return "hub", source  # owner/name, or a legacy bare id of the catalog such as t5-small
    raise StudioError("generation.model_not_found", name=source)


def bundled_path(name: str):
    """The folder of a model shipped with the app (`t5studio-distractor-base`), or None."""
    folder = paths.BUNDLED_DIR / name
    if name == paths.BUNDLED_BASE and (folder / "config.json").exists():
        return folder
    return None


def _cache_key(kind: str, location: str) -> str:
    if kind == "hub":
        return f"hub:{location}"
    # A model re-saved under the same name must not be served from the old weights.
    stamps = sorted(f"{p.name}:{p.stat().st_mtime_ns}" for p in Path(location).glob("*.safetensors"))
    return f"{location}|{'|'.join(stamps)}"


def load_model(source: str, allow_paths: bool = True) -> LoadedModel:
    """The model and tokenizer for `source`, loaded once and cached (thread-safe, LRU).

    allow_paths: accept local folders (the CLI does; the web app does not, see resolve_source).
    """
    kind, location = resolve_source(source, allow_paths)
    key = _cache_key(kind, location)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        lock = _LOAD_LOCKS.setdefault(key, threading.Lock())
    with lock:
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
        loaded = _load_uncached(kind, location, source)
        with _CACHE_LOCK:
            _CACHE[key] = loaded
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
            _LOAD_LOCKS.pop(key, None)
    return loaded


def _load_uncached(kind: str, location: str, source: str) -> LoadedModel:
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

    offline = kind == "hub" and not is_reachable()  # a model in the download cache still loads
    if kind in ("local", "bundled") and not any(Path(location).glob("*.safetensors")):
        raise StudioError("generation.no_safetensors", name=source)
    # safetensors only (never a pickle) and never code from the model's folder.
    options = {"trust_remote_code": False}
    if kind == "hub":
        options["local_files_only"] = offline
    try:
        config = AutoConfig.from_pretrained(location, **options)
        if not getattr(config, "is_encoder_decoder", False):
            raise StudioError("generation.not_seq2seq", name=source, model_type=config.model_type)
        tokenizer = AutoTokenizer.from_pretrained(location, **options)
        model = AutoModelForSeq2SeqLM.from_pretrained(location, use_safetensors=True, **options)
    except StudioError:
        raise
    except (OSError, ValueError) as exc:
        if kind == "hub" and offline:
            raise StudioError("generation.hub_offline", name=source) from exc
        raise StudioError("generation.load_failed", name=source, detail=f"{type(exc).__name__}: {exc}"[:300]) from exc
    device = device_name()
    model.to(device)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, source=source, path=location, device=device)


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
