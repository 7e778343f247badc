"""Word vectors from the Hugging Face Hub: a public repo holding a word2vec text/binary file.

The file is downloaded and then read exactly like an upload (engine.vectors.sets.read_word2vec):
never with gensim's pickle-based loaders. We pass token=False on every call: a Space owner's
HF_TOKEN must not let a visitor read the owner's private repositories. Offline (HF_HUB_OFFLINE=1,
or no network), the person gets a clear message and the other sources keep working.
"""
import re
from pathlib import Path

from engine.core.messages import StudioError
from engine.models.publishing import is_offline
from engine.vectors import sets

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.\-]{0,95}/[A-Za-z0-9][\w.\-]{0,95}$")
VECTOR_SUFFIXES = (".txt", ".vec", ".bin", ".w2v", ".txt.gz")  # .gz is listed only to be named
SKIPPED_NAMES = ("readme", "license", "requirements")


def pick_file(files: list) -> str:
    """The file in a repo listing that most looks like word2vec vectors, or ""."""
    candidates = [
        f for f in files
        if f.lower().endswith(VECTOR_SUFFIXES[:4]) and not Path(f).name.lower().startswith(SKIPPED_NAMES)
    ]
    return sorted(candidates, key=lambda f: (f.count("/"), f))[0] if candidates else ""


def fetch_from_hub(repo_id: str, filename: str, name: str, owner: str = "") -> dict:
    """Download `filename` (or the likeliest vectors file) from a public Hub repo and store it as `name`."""
    from huggingface_hub import errors as hub_errors
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url, list_repo_files

    from engine.vectors.sources import import_word2vec

    repo_id = (repo_id or "").strip()
    filename = (filename or "").strip()
    if not REPO_ID.match(repo_id):
        raise StudioError("vectors.hub_bad_repo", repo=repo_id[:100])
    sets.check_new_name(name)
    try:
        if not filename:
            filename = pick_file(list_repo_files(repo_id, token=False))
            if not filename:
                raise StudioError("vectors.hub_no_file", repo=repo_id)
        size = get_hf_file_metadata(hf_hub_url(repo_id, filename), token=False).size or 0
        if size > sets.MAX_FILE_BYTES:
            raise StudioError("vectors.file_too_large", size_mb=f"{size / 1e6:.0f}",
                              limit_mb=f"{sets.MAX_FILE_BYTES / 1e6:.0f}")
        local = hf_hub_download(repo_id, filename, token=False)
    except StudioError:
        raise
    except (hub_errors.OfflineModeIsEnabled, hub_errors.LocalEntryNotFoundError):
        raise StudioError("vectors.hub_offline") from None
    except (hub_errors.RepositoryNotFoundError, hub_errors.EntryNotFoundError, hub_errors.GatedRepoError,
            hub_errors.RevisionNotFoundError):
        raise StudioError("vectors.hub_not_found", repo=repo_id, filename=filename or "?") from None
    except Exception as exc:  # noqa: BLE001 - network stacks raise many types; all mean "failed"
        if is_offline() or _no_network(exc):
            raise StudioError("vectors.hub_offline") from None
        raise StudioError("vectors.hub_failed", detail=type(exc).__name__) from None
    return import_word2vec(local, name, kind="hub", origin=f"{repo_id}/{filename}", owner=owner)


def _no_network(exc: BaseException) -> bool:
    """True for the connection failures of httpx/requests (no route, DNS, timeout)."""
    names = " ".join(cls.__name__ for cls in type(exc).__mro__)
    return any(word in names for word in ("ConnectError", "ConnectTimeout", "ConnectionError", "NetworkError"))
