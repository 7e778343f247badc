"""engine.models.publishing: pushes with a fake HfApi that records calls; the user's token goes only to the Hub
calls, never into a file or a log; no token / offline / a public repo stop the push before
anything is sent. A real push runs only with HF_TOKEN set, and deletes its repo afterwards."""
import logging
import os
import secrets
from types import SimpleNamespace

import httpx2
import pytest
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from engine.core.messages import StudioError
from engine.models import catalog, publishing, store
from tests.engine.models.test_catalog import make_model

FAKE_TOKEN = "hf_FAKEtokenFORtests" + "x7Q2" * 6
EXPECTED_FILES = {"README.md", "config.json", "generation_config.json", "model.safetensors",
                  "tokenizer.json", "tokenizer_config.json"}
NEVER_SENT = ("run.json", "log.txt", "trainer_log.jsonl", "training_args.bin")


def _response(status: int, method: str = "GET") -> httpx2.Response:
    return httpx2.Response(status, request=httpx2.Request(method, "https://huggingface.co/api/models/x/y"))


class FakeHfApi:
    """Stands in for huggingface_hub.HfApi: records every call, holds repos in a class dict."""

    calls = []
    repos = {}  # repo_id -> private
    fail_upload = None  # an exception upload_folder raises
    user = "teacher"

    def __init__(self, *args, **kwargs):
        assert not args and not kwargs.get("token"), "the token must go to each call, not to HfApi()"

    def whoami(self, token=None, **kwargs):
        self.calls.append(("whoami", {"token": token}))
        return {"name": self.user, "type": "user"}

    def repo_info(self, repo_id, **kwargs):
        self.calls.append(("repo_info", {"repo_id": repo_id, **kwargs}))
        if repo_id not in self.repos:
            raise RepositoryNotFoundError("not found", response=_response(404))
        return SimpleNamespace(id=repo_id, private=self.repos[repo_id])

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        self.repos[repo_id] = bool(kwargs.get("private"))
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, **kwargs):
        folder = kwargs["folder_path"]
        files = {p.name: p.read_bytes() for p in __import__("pathlib").Path(folder).iterdir()}
        self.calls.append(("upload_folder", {**kwargs, "files": files}))
        if self.fail_upload is not None:
            raise self.fail_upload
        return SimpleNamespace(commit_url=f"https://huggingface.co/{kwargs['repo_id']}/commit/abc")


@pytest.fixture
def fake_api(monkeypatch, home):
    FakeHfApi.calls = []
    FakeHfApi.repos = {}
    FakeHfApi.fail_upload = None
    monkeypatch.setattr(publishing, "HfApi", FakeHfApi)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(publishing.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return FakeHfApi


@pytest.fixture
def model(home):
    name = make_model("quiz-model")
    folder = store.model_path(name)
    for extra in NEVER_SENT[1:]:  # files a trained model folder may hold besides run.json
        (folder / extra).write_text("local only", encoding="utf-8")
    return name


def _names(calls):
    return [name for name, _ in calls]


def test_push_creates_private_repo_and_sends_model_files(fake_api, model):
    result = publishing.push_model(model, "quiz-model", FAKE_TOKEN, commit_message="first upload")
    assert result.repo_id == "teacher/quiz-model" and result.private is True and result.created
    assert _names(fake_api.calls) == ["whoami", "repo_info", "create_repo", "upload_folder"]
    create = dict(fake_api.calls)["create_repo"]
    assert create["repo_id"] == "teacher/quiz-model" and create["private"] is True and create["repo_type"] == "model"
    upload = dict(fake_api.calls)["upload_folder"]
    assert upload["repo_id"] == "teacher/quiz-model" and upload["commit_message"] == "first upload"
    assert set(upload["files"]) == EXPECTED_FILES
    assert not set(upload["files"]) & set(NEVER_SENT)
    readme = upload["files"]["README.md"].decode("utf-8")
    assert readme.startswith("---\n") and "library_name: transformers" in readme
    assert "訓練損失" in readme and "https://huggingface.co/teacher/quiz-model" in readme
    # Every Hub call got the user's token explicitly.
    assert all(kwargs.get("token") == FAKE_TOKEN for _, kwargs in fake_api.calls)


def test_push_records_hub_link_and_catalog_shows_it(fake_api, model):
    publishing.push_model(model, "quiz-model", FAKE_TOKEN)
    meta = store.load_meta(model)
    assert meta["hub_url"] == "https://huggingface.co/teacher/quiz-model" and meta["hub_private"] is True
    assert "https://huggingface.co/teacher/quiz-model" in (store.model_path(model) / "README.md").read_text("utf-8")
    entry = catalog.find_entry("mine:quiz-model")
    assert entry.hub_url == meta["hub_url"]
    assert meta["hub_url"] in catalog.render_entry(entry)
    assert not list(store.models_root().glob(".*"))  # the upload staging folder is gone


@pytest.mark.parametrize("token", ["", None, "   "])
def test_refuses_without_token_before_sending(fake_api, model, token):
    with pytest.raises(StudioError) as info:
        publishing.push_model(model, "quiz-model", token)
    assert info.value.key == "hub.no_token"
    assert fake_api.calls == []


def test_never_falls_back_to_server_token(fake_api, model, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_server_owner_token")
    with pytest.raises(StudioError) as info:
        publishing.push_model(model, "quiz-model", "")
    assert info.value.key == "hub.no_token" and fake_api.calls == []


def test_offline_is_refused_before_sending(fake_api, model, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(StudioError) as info:
        publishing.push_model(model, "quiz-model", FAKE_TOKEN)
    assert info.value.key == "hub.offline" and fake_api.calls == []
    assert "オフライン" in info.value.message()


def test_private_model_is_not_pushed_into_existing_public_repo(fake_api, model):
    fake_api.repos["teacher/quiz-model"] = False
    with pytest.raises(StudioError) as info:
        publishing.push_model(model, "quiz-model", FAKE_TOKEN, private=True)
    assert info.value.key == "hub.public_repo_exists"
    assert "create_repo" not in _names(fake_api.calls) and "upload_folder" not in _names(fake_api.calls)
    assert "hub_url" not in store.load_meta(model)


def test_existing_repos_with_compatible_visibility(fake_api, model):
    fake_api.repos["teacher/quiz-model"] = True
    result = publishing.push_model(model, "teacher/quiz-model", FAKE_TOKEN, private=False)
    assert result.private is True and not result.created  # a private repo stays private
    assert "whoami" not in _names(fake_api.calls)  # namespace given, no need to ask
    fake_api.repos["org/shared"] = False
    result = publishing.push_model(model, "org/shared", FAKE_TOKEN, private=False)
    assert result.private is False and _names(fake_api.calls)[-1] == "upload_folder"


@pytest.mark.parametrize("name", ["", "a/b/c", "-bad", "bad-", "a..b", "a--b", "spaces here", "日本語", "x" * 97, "ok.git"])
def test_bad_repo_names_are_refused_before_sending(fake_api, model, name):
    with pytest.raises(StudioError) as info:
        publishing.push_model(model, name, FAKE_TOKEN)
    assert info.value.key == "hub.bad_repo_name" and fake_api.calls == []


def test_unknown_model_is_refused(fake_api, home):
    with pytest.raises(StudioError) as info:
        publishing.push_model("nothing-here", "repo", FAKE_TOKEN)
    assert info.value.key == "store.not_found" and fake_api.calls == []


@pytest.mark.parametrize("status,key", [(401, "hub.unauthorized"), (403, "hub.forbidden"), (409, "hub.conflict"),
                                        (429, "hub.rate_limited"), (503, "hub.server_error"), (400, "hub.http_error")])
def test_final_http_failure_is_reported_clearly(fake_api, model, status, key):
    fake_api.fail_upload = HfHubHTTPError(f"{status} error", response=_response(status, "POST"),
                                          server_message=f"server said {FAKE_TOKEN}")
    with pytest.raises(StudioError) as info:
        publishing.push_model(model, "quiz-model", FAKE_TOKEN)
    assert info.value.key == key
    assert FAKE_TOKEN not in info.value.message() and FAKE_TOKEN not in str(info.value)
    assert "hub_url" not in store.load_meta(model)


def test_connection_error_is_reported(fake_api, model):
    fake_api.fail_upload = httpx2.ConnectError("name resolution failed")
    with pytest.raises(StudioError) as info:
        publishing.push_model(model, "quiz-model", FAKE_TOKEN)
    assert info.value.key == "hub.connection"


def test_token_never_reaches_files_or_logs(fake_api, model, home, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    publishing.push_model(model, "quiz-model", FAKE_TOKEN)
    fake_api.fail_upload = HfHubHTTPError("500", response=_response(500, "POST"))
    with pytest.raises(StudioError):
        publishing.push_model(model, "quiz-model", FAKE_TOKEN)
    secret = FAKE_TOKEN.encode()
    files = [p for p in home.rglob("*") if p.is_file()]
    assert files and not [p for p in files if secret in p.read_bytes()]
    out, err = capsys.readouterr()
    assert FAKE_TOKEN not in caplog.text and FAKE_TOKEN not in out and FAKE_TOKEN not in err
    assert any("quiz-model" in record.getMessage() for record in caplog.records)  # we did log, just not the token


@pytest.mark.skipif(not os.environ.get("HF_TOKEN"), reason="a real push needs HF_TOKEN and internet")
def test_real_push_to_the_hub(home, monkeypatch):
    from huggingface_hub import HfApi

    token = os.environ["HF_TOKEN"]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(publishing.constants, "HF_HUB_OFFLINE", False)
    name = make_model("real-push")
    repo = f"t5studio-test-{secrets.token_hex(4)}"
    result = None
    try:
        result = publishing.push_model(name, repo, token, private=True, commit_message="T5 Studio test push")
        info = HfApi().repo_info(result.repo_id, token=token, files_metadata=False)
        assert info.private is True
        assert {"README.md", "model.safetensors", "config.json"} <= {s.rfilename for s in info.siblings}
    finally:
        repo_id = result.repo_id if result else f"{HfApi().whoami(token=token)['name']}/{repo}"
        HfApi().delete_repo(repo_id, token=token, missing_ok=True)
