"""Room on disk (engine.models.storage): quotas in public mode, the disk-full message for every writer,
cleanup of old uploads, downloads and abandoned checkpoints, and deleting one's own model."""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.core import paths, runs
from engine.core.messages import StudioError, explain_os_error
from engine.models import storage, store
from tests.model_fixtures import tiny_model_dir  # noqa: F401 - fixture
from tests.places import PAIRS, ROOT

ALICE, BOB = "a" * 48, "b" * 48


def _fill(folder: Path, megabytes: float, name="blob.bin") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"\0" * int(megabytes * storage.MB))
    return path


@pytest.fixture
def public(monkeypatch):
    monkeypatch.setenv("T5STUDIO_PUBLIC", "1")


def test_a_visitor_over_their_quota_cannot_train_save_or_upload_but_others_can(home, public, monkeypatch):
    from engine.train.config import TrainConfig
    from engine.train.jobs import JOBS
    from tabs.common import owner_key, stash_upload

    monkeypatch.setattr(storage, "OWNER_QUOTA_MB", 1)
    run = runs.start_run("train", "alices", owner=ALICE)
    _fill(run.folder, 1.5)
    run.finish("failed", error="x")
    with pytest.raises(StudioError) as caught:
        JOBS.start(TrainConfig(csv=str(PAIRS), name="one-more", base="scratch", save_only=True), owner=ALICE)
    assert caught.value.key == "storage.owner_full" and "上限 1 MB" in caught.value.message()
    # Uploads are refused too; the session is Alice's because its owner key is hers.
    alice_session = SimpleNamespace(session_hash="alice01")
    from tabs.common import remember_owner

    remember_owner(ALICE, alice_session)
    assert owner_key(None, alice_session) == ALICE
    with pytest.raises(StudioError, match="上限"):
        stash_upload(str(PAIRS), alice_session)
    storage.check_room(BOB)  # Bob's own files are few: he is not held back by Alice's
    monkeypatch.setenv("T5STUDIO_PUBLIC", "0")
    storage.check_room(ALICE)  # on one's own machine there is no quota


def test_a_full_data_home_stops_everybody_in_public_mode(home, public, monkeypatch):
    monkeypatch.setattr(storage, "HOME_QUOTA_MB", 1)
    _fill(paths.models_dir() / "somebody", 1.5)
    with pytest.raises(StudioError) as caught:
        storage.check_room(BOB)
    assert caught.value.key == "storage.home_full"


def test_owner_usage_counts_their_models_runs_vectors_and_uploads(home):
    from tests.model_fixtures import build_trained_tiny

    run = runs.start_run("train", "mine", owner=ALICE)
    folder = build_trained_tiny(paths.models_dir() / "mine", steps=1)
    meta = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**meta, "run_id": run.id}))
    run.finish("finished")
    _fill(paths.uploads_dir() / runs.owner_id(ALICE), 0.5, "words.csv")
    vecs = paths.vectors_dir() / "alice-vecs"
    _fill(vecs, 0.25)
    (vecs / "meta.json").write_text(json.dumps({"owner": runs.owner_id(ALICE)}))
    expected = sum(storage.folder_bytes(p) for p in (folder, run.folder, vecs, paths.uploads_dir()))
    assert storage.owner_bytes(ALICE) == expected
    assert storage.owner_bytes(BOB) == 0


@pytest.mark.parametrize("exc", [
    OSError(28, "No space left on device"),
    RuntimeError("SafetensorError: Error while serializing: IoError(Os { code: 28, kind: StorageFull, "
                 "message: \"No space left on device\" })"),
])
def test_a_full_disk_is_explained_whatever_library_wrote(exc):
    assert explain_os_error(exc).key == "common.disk_full"
    try:
        try:
            raise exc
        except Exception as inner:
            raise ValueError("saving failed") from inner
    except ValueError as outer:
        assert explain_os_error(outer).key == "common.disk_full"  # found through the cause
    assert explain_os_error(ValueError("something else")) is None


def _age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (then, then))


def test_cleanup_removes_old_uploads_downloads_and_abandoned_checkpoints_only(home):
    uploads = paths.uploads_dir() / runs.owner_id(ALICE)
    old_upload, new_upload = _fill(uploads, 0.01, "old.csv"), _fill(uploads, 0.01, "new.csv")
    _age(old_upload, 2)
    downloads = Path(tempfile.gettempdir()) / storage.DOWNLOADS_DIR / "test-session" / "x"
    old_download = _fill(downloads, 0.01, "generated.csv")
    _age(old_download, 2)
    checkpoints = {}
    for status in ("stopped", "failed", "interrupted", "finished", "running"):
        run = runs.start_run("train", f"m-{status}", owner=ALICE)
        folder = run.folder / "checkpoints" / "checkpoint-10"
        _fill(folder, 0.01, "model.safetensors")
        _age(run.folder / "checkpoints", storage.CHECKPOINT_DAYS + 1)
        if status != "running":
            run.finish(status)
        checkpoints[status] = run.folder / "checkpoints"
    recent = runs.start_run("train", "recent", owner=ALICE)
    _fill(recent.folder / "checkpoints" / "checkpoint-5", 0.01)
    recent.finish("stopped")  # stopped yesterday: can still be resumed

    planned = storage.clean(dry_run=True)
    assert all(p.exists() for p in planned)  # a dry run removes nothing
    removed = set(storage.clean())
    assert removed == set(planned)
    assert old_upload in removed and not old_upload.exists() and new_upload.exists()
    assert old_download in removed and not old_download.exists()
    # Ended unfinished a week ago: gone. Finished (already superseded) or alive: kept; stopped lately: kept.
    # A run "running" in a dead process is marked interrupted on listing, so its checkpoints go too.
    for status in ("stopped", "failed", "interrupted"):
        assert not checkpoints[status].exists(), status
    assert checkpoints["finished"].exists() and (recent.folder / "checkpoints").exists()
    assert all((runs.run_folder(r["id"]) / "run.json").exists() for r in runs.list_runs())  # records stay


def test_the_cleanup_cli_prints_what_it_would_remove(home):
    old = _fill(paths.uploads_dir() / "someone", 0.01, "old.csv")
    _age(old, 3)
    env = {**os.environ, "T5STUDIO_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "engine.models.storage", "--clean", "--dry-run"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["removed"] == [str(old)] and old.exists()


def test_deleting_a_model_takes_it_off_the_list_at_once(home, tiny_model_dir):
    import shutil

    shutil.copytree(tiny_model_dir, paths.models_dir() / "gone")
    store.delete_model("gone")
    assert "gone" not in store.model_names() and not (paths.models_dir() / "gone").exists()
    assert not list(paths.models_dir().iterdir())  # nothing hidden left behind
    with pytest.raises(StudioError):
        store.delete_model("gone")


def test_in_public_mode_only_the_owner_can_delete_a_runs_model_from_logs(home, public, tiny_model_dir):
    import shutil

    from tabs import logs
    from tabs.common import remember_owner

    run = runs.start_run("train", "alices-model", owner=ALICE)
    shutil.copytree(tiny_model_dir, paths.models_dir() / "alices-model")
    store.update_meta("alices-model", run_id=run.id)
    run.finish("finished")
    alice, bob = SimpleNamespace(session_hash="alice02"), SimpleNamespace(session_hash="bob02")
    remember_owner(ALICE, alice)
    remember_owner(BOB, bob)
    with pytest.raises(Exception, match="見つかりません"):
        logs.delete_model(run.id, bob)
    assert "alices-model" in store.model_names()
    assert "alices-model" in logs.delete_model(run.id, alice)
    assert "alices-model" not in store.model_names()
    with pytest.raises(Exception, match="保存されていません"):
        logs.delete_model(run.id, alice)

