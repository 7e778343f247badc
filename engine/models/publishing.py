"""Publishing a stored model to the Hugging Face Hub with the user's own token.

Why so careful (RELIABILITY.md 15-18): a Space is public, and huggingface_hub falls back to the
server's own token (`HF_TOKEN`, `login()`) when a call gets none, so a visitor could push into
the Space owner's account. Here the token is an argument of push_model(), is passed explicitly to
every Hub call, and is never stored, logged or written to a file; an empty token is refused
before anything is sent. `private=` is ignored by the Hub for an existing repo, so we read the
repo's visibility first and refuse to put a model meant to be private into a public repo.
Only the files needed to use the model are sent (weights, config, tokenizer, model card):
no run.json, logs or pickles (training_args.bin).
"""
import logging
import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, HFValidationError, OfflineModeIsEnabled,
                                    RepositoryNotFoundError)

from engine.core import runs
from engine.core.jsonio import STAGING_PREFIX
from engine.core.messages import StudioError
from engine.models import store
from engine.models.card import render_model_card

log = logging.getLogger("t5studio.hub")

HUB_URL = "https://huggingface.co"
# What a user of the published model needs; anything else in the model folder stays here.
UPLOAD_PATTERNS = (
    "*.safetensors", "*.safetensors.index.json", "config.json", "generation_config.json",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "spiece.model",
)
_REPO_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,94}[A-Za-z0-9]$|^[A-Za-z0-9]$")
# huggingface_hub 2.x talks through httpx2; its transport errors are not OSError.
CONNECTION_ERRORS = (ConnectionError, TimeoutError, httpx2.TransportError)


@dataclass
class PushResult:
    repo_id: str
    url: str
    private: bool
    created: bool  # True when the repo was made by this push
    files: list


def is_offline() -> bool:
    """True when the Hub is switched off for this process.

    huggingface_hub reads HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) once, at import; the variable is
    read again here so that a change made later in the process counts too.
    """
    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    return env or bool(constants.HF_HUB_OFFLINE)


REACH_TIMEOUT_S = 4.0  # one short question; a model download that cannot connect retries for ~50 s
REACH_MEMORY_S = 60.0
_reach = {"at": -math.inf, "ok": False}


def is_reachable() -> bool:
    """Whether the Hub answers at all, asked with one short request and remembered for a minute.

    Loading a model from a Hub that cannot be reached otherwise waits through the retries of
    every file it tries; asking first turns that into a message within a few seconds."""
    if is_offline():
        return False
    now = time.monotonic()
    if now - _reach["at"] < REACH_MEMORY_S:
        return _reach["ok"]
    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    try:
        httpx2.head(endpoint, timeout=REACH_TIMEOUT_S)  # any HTTP answer, even an error page, is an answer
        ok = True
    except httpx2.TransportError:
        ok = False
    _reach.update(at=now, ok=ok)
    return ok


def require_token(token) -> str:
    """The user's token, stripped; refuses an empty one (never falls back to the server's)."""
    token = (token or "").strip() if isinstance(token, str) else ""
    if not token:
        raise StudioError("hub.no_token")
    if any(ch.isspace() for ch in token) or len(token) > 512:
        raise StudioError("hub.bad_token")
    return token


def check_repo_name(repo_name: str) -> tuple:
    """(namespace or None, name) of "name" or "namespace/name"; StudioError when the Hub would refuse it."""
    repo_name = (repo_name or "").strip()
    parts = repo_name.split("/")
    if not repo_name or len(parts) > 2:
        raise StudioError("hub.bad_repo_name", name=repo_name)
    for part in parts:
        if not _REPO_PART.match(part) or ".." in part or "--" in part or part.endswith(".git"):
            raise StudioError("hub.bad_repo_name", name=repo_name)
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _scrub(message: str, token: str) -> str:
    """An error text without the token in it, short enough to show."""
    message = str(message or "")
    if token:
        message = message.replace(token, "***")
    return " ".join(message.split())[:300]


def hub_error(exc: BaseException, token: str, repo_id: str = "") -> StudioError:
    """The StudioError a user sees for a failed Hub call (after huggingface_hub's own retries)."""
    if isinstance(exc, StudioError):
        return exc
    if isinstance(exc, OfflineModeIsEnabled):
        return StudioError("hub.offline")
    if isinstance(exc, HFValidationError):
        return StudioError("hub.bad_repo_name", name=repo_id)
    if isinstance(exc, HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        detail = _scrub(getattr(exc, "server_message", None) or exc, token)
        key = {401: "hub.unauthorized", 403: "hub.forbidden", 409: "hub.conflict", 429: "hub.rate_limited"}.get(status)
        if key:
            return StudioError(key, repo_id=repo_id, detail=detail)
        if status is not None and status >= 500:
            return StudioError("hub.server_error", status=status, detail=detail)
        return StudioError("hub.http_error", status=status or "?", detail=detail)
    if isinstance(exc, CONNECTION_ERRORS):
        return StudioError("hub.connection", detail=type(exc).__name__)
    return StudioError("hub.failed", detail=type(exc).__name__)


def resolve_repo_id(api, repo_name: str, token: str) -> str:
    """"namespace/name"; a bare name goes under the token owner's own account."""
    namespace, name = check_repo_name(repo_name)
    if namespace is None:
        namespace = api.whoami(token=token)["name"]
    return f"{namespace}/{name}"


def ensure_repo(api, repo_id: str, private: bool, token: str) -> tuple:
    """Make the repo or check the existing one; returns (private, created).

    The Hub ignores `private=` for a repo that exists, so a model meant to be private is
    refused when the repo turns out to be public (or its visibility cannot be read).
    """
    try:
        info = api.repo_info(repo_id, repo_type="model", token=token)
    except GatedRepoError as exc:  # exists, but this token may not even read it
        raise StudioError("hub.forbidden", repo_id=repo_id, detail=_scrub(exc, token)) from None
    except RepositoryNotFoundError:
        api.create_repo(repo_id, token=token, private=private, repo_type="model", exist_ok=False)
        return private, True
    visibility = getattr(info, "private", None)
    if private and visibility is not True:
        key = "hub.public_repo_exists" if visibility is False else "hub.unknown_visibility"
        raise StudioError(key, repo_id=repo_id)
    return bool(visibility), False


def upload_files(folder: Path) -> list:
    """The files of a model folder that go to the Hub (README.md is written fresh)."""
    chosen = set()
    for pattern in UPLOAD_PATTERNS:
        chosen.update(path for path in folder.glob(pattern) if path.is_file())
    return sorted(chosen)


def _stage_upload(model_folder: Path, card: str, workdir: Path) -> list:
    """Link (or copy) the files to send into `workdir`, plus README.md; returns their names."""
    names = []
    for path in upload_files(model_folder):
        target = workdir / path.name
        try:
            os.link(path, target)  # no copy of gigabytes of weights when the filesystem allows
        except OSError:
            shutil.copy2(path, target)
        names.append(path.name)
    (workdir / "README.md").write_text(card, encoding="utf-8")
    return sorted(names + ["README.md"])


def push_model(name: str, repo_name: str, token: str, private: bool = True, commit_message: str = "") -> PushResult:
    """Publish the stored model `name` as repo `repo_name` with the user's `token`.

    Everything that can be checked here is checked before the first byte goes out: the token,
    offline mode, the repo name, the model itself. On success the model's run.json gets
    hub_url / hub_repo_id / hub_private and its README.md the link.
    """
    token = require_token(token)
    if is_offline():
        raise StudioError("hub.offline")
    check_repo_name(repo_name)
    meta = store.load_meta(name)
    folder = Path(meta["path"])
    if not upload_files(folder):
        raise StudioError("hub.nothing_to_push", name=name)
    api = HfApi()
    repo_id = repo_name
    try:
        repo_id = resolve_repo_id(api, repo_name, token)
        is_private, created = ensure_repo(api, repo_id, bool(private), token)
        url = f"{HUB_URL}/{repo_id}"
        card_meta = {**meta, "hub_url": url, "hub_repo_id": repo_id}
        message = (commit_message or "").strip() or f"Upload {name} from T5 Studio"
        # The upload folder lies inside the store (hard links need one filesystem) and is named
        # like a staging folder with our pid, so clean_staging() leaves it alone while we live
        # and sweeps it away after a kill.
        prefix = f"{STAGING_PREFIX}push-{os.getpid()}-"
        with tempfile.TemporaryDirectory(dir=store.models_root(), prefix=prefix) as tmp:
            files = _stage_upload(folder, render_model_card(card_meta), Path(tmp))
            api.upload_folder(repo_id=repo_id, folder_path=tmp, commit_message=message[:200],
                              token=token, repo_type="model")
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear message
        error = hub_error(exc, token, repo_id)
        log.warning("push of %s to %s failed: %s", name, repo_id, error.key)
        raise error from None
    store.update_meta(name, hub_url=url, hub_repo_id=repo_id, hub_private=is_private, hub_pushed=runs.now_iso())
    (folder / "README.md").write_text(render_model_card(store.load_meta(name)), encoding="utf-8")
    log.info("pushed %s to %s (private=%s)", name, repo_id, is_private)
    return PushResult(repo_id=repo_id, url=url, private=is_private, created=created, files=files)
