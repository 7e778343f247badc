"""A public Space: files outside the app stay unreadable, and users never see each other's work."""
import os
import re

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file

from tabs import train
from tests.launching import served, single_tab_blocks, tab_blocks
from tests.model_fixtures import (stored_model, tiny_model_dir, untrained_model,  # noqa: F401 - fixtures
                                  untrained_model_dir)
from tests.places import PAIRS


@pytest.fixture
def server(home):
    with served(single_tab_blocks(train)) as (url, client):
        yield url, client


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd"])
def test_file_route_refuses_paths_outside_the_app(server, target):
    url, _ = server
    response = httpx.get(f"{url}gradio_api/file={target}")
    assert response.status_code in (403, 404)
    assert "root:" not in response.text


def test_data_home_is_not_served(server, home):
    url, client = server
    client.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    uploads = list((home / "uploads").rglob("*.csv"))
    assert uploads  # the session's own copy exists on disk...
    response = httpx.get(f"{url}gradio_api/file={uploads[0]}")
    assert response.status_code in (403, 404)  # ...but nobody can fetch it by path


def test_two_users_do_not_share_uploads_or_state(server, home):
    url, alice = server
    bob = Client(url, verbose=False)
    alice.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    # Bob never uploaded: his session has no CSV, whatever Alice did.
    with pytest.raises(Exception) as info:
        bob.predict("bob", "Input", "Output", "bobs-model", "scratch", "tiny", 1, 2, 3e-4, 2, 1, 0, 0, 16, 16,
                    0.0, 1, 0, 0, 0, "adamw", "linear", api_name="/train")
    assert "CSV" in str(info.value)
    folders = [p for p in (home / "uploads").iterdir() if p.is_dir()]
    assert len(folders) == 1  # only Alice's session folder
    assert all(os.path.basename(str(PAIRS)) in f.name for f in folders[0].iterdir())


# ---------------------------------------------------------------- Try, Evaluate, Word2Vec and Logs

GREEDY = ["greedy", 1, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]


@pytest.fixture
def space(monkeypatch, home, stored_model):
    """Try, Evaluate, Word2Vec and Logs in one app, served as on a Hugging Face Space."""

    from tabs import evaluate, logs, try_t5, word2vec

    monkeypatch.setenv("SYSTEM", "spaces")
    monkeypatch.setenv("SPACE_ID", "someone/t5-studio")
    monkeypatch.setenv("T5STUDIO_PUBLIC", "1")  # what a Space implies, kept while serving
    demo = tab_blocks(try_t5, evaluate, word2vec, logs)
    monkeypatch.delenv("SYSTEM")  # the tabs are built as on a Space; launch() need not act as one
    with served(demo) as (url, client):
        yield url, client


def _listed(client, mine=True) -> set:
    table, _picker, _activity = client.predict("all", "all", mine, api_name="/list_runs")
    return {row[-1] for row in table["data"]}


def test_users_see_only_their_own_runs_files_and_outputs(space, home, stored_model, tmp_path):
    from engine.core import runs
    from engine.vectors import sources

    url, alice = space
    bob = Client(url, verbose=False)
    info = alice.view_api(print_info=False, return_format="dict")["named_endpoints"]["/list_runs"]
    assert info["parameters"][2]["parameter_default"] is True  # on a Space, "only mine" is the default

    mine, theirs = tmp_path / "alice.csv", tmp_path / "bob.csv"
    mine.write_text("Input,Output\nalice-secret,ねこ\n", encoding="utf-8")
    theirs.write_text("Input,Output\nbob-word,いぬ\n", encoding="utf-8")
    alice_try = alice.predict(stored_model, handle_file(str(mine)), *GREEDY, api_name="/try_generate_csv")
    alice_eval = alice.predict(handle_file(str(mine)), [stored_model], *GREEDY, api_name="/evaluate")
    vec = tmp_path / "v.txt"
    vec.write_text("2 2\n犬 0.1 0.9\n猫 0.2 0.8\n", encoding="utf-8")
    alice.predict(handle_file(str(vec)), "alice-vecs", api_name="/upload_vectors")
    bob_try = bob.predict(stored_model, handle_file(str(theirs)), *GREEDY, api_name="/try_generate_csv")

    # Outputs and downloads: each got only their own rows, in files of their own.
    assert [r[0] for r in alice_try[1]["data"]] == ["alice-secret"]
    assert [r[0] for r in bob_try[1]["data"]] == ["bob-word"]
    assert alice_try[2] != bob_try[2] and "alice-secret" not in open(bob_try[2], encoding="utf-8-sig").read()
    assert "alice-secret" in open(alice_eval[4], encoding="utf-8-sig").read()

    # Uploads: one folder per session, and nothing of Alice's in Bob's.
    folders = {p.name: {f.name for f in p.iterdir()} for p in (home / "uploads").iterdir()}
    assert len(folders) == 2
    assert sum("alice.csv" in name for files in folders.values() for name in files) == 2
    assert not any("alice" in name and "bob" in name for files in folders.values() for name in " ".join(files).split())
    assert all(not ({"alice.csv", "bob.csv"} <= {n.split("-", 1)[1] for n in files}) for files in folders.values())

    # Runs: all recorded under one owner per user; records keep a digest, never the key itself.
    owners = {r["owner"] for r in runs.list_runs()}
    assert len(owners) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", o) for o in owners)
    by_owner = {o: {r["id"] for r in runs.list_runs() if r["owner"] == o} for o in owners}
    alice_runs, bob_runs = _listed(alice), _listed(bob)
    assert alice_runs in by_owner.values() and bob_runs in by_owner.values()
    assert len(alice_runs) == 2 and len(bob_runs) == 1 and not alice_runs & bob_runs
    [meta] = [m for m in sources.list_sources() if m["name"] == "alice-vecs"]
    assert meta["owner"] == next(o for o, ids in by_owner.items() if ids == alice_runs)
    # In public mode, asking for everyone's runs still lists only one's own.
    assert _listed(bob, mine=False) == bob_runs


def test_logs_show_everyone_by_default_when_run_locally(monkeypatch, home):
    from tabs import logs

    monkeypatch.delenv("SYSTEM", raising=False)
    with served(single_tab_blocks(logs)) as (_url, client):
        info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/list_runs"]
        assert info["parameters"][2]["parameter_default"] is False


def test_a_browser_keeps_one_owner_key_across_its_sessions():
    from types import SimpleNamespace

    from tabs.common import owner_key, remember_owner

    first, reloaded, api = (SimpleNamespace(session_hash=h) for h in ("first01", "reload02", "api03"))
    key = remember_owner(None, first)  # first visit: a new random key becomes the browser's
    assert re.fullmatch(r"[0-9a-f]{48}", key) and "first01" not in key and owner_key(None, first) == key
    assert remember_owner(key, reloaded) == key  # after a reload the BrowserState brings it back
    assert owner_key(None, reloaded) == key  # ...and every tab of the new session records under it
    api_key = owner_key(None, api)  # an API client gets a key of its own session
    assert api_key not in (key, "session-api03") and owner_key(None, api) == api_key
    # Anything else a client sends is not a key: neither a path nor the old session-derived form.
    assert owner_key("../../x<script>", api) == api_key and owner_key("session-first01", api) == api_key


def test_every_handler_that_asks_for_the_request_gets_it(home):
    """gradio 6 passes gr.Request and gr.Progress only to parameters placed before *args;
    one declared after them silently stays None, and the handler loses track of who is asking."""
    import inspect

    import app

    demo = app.build_app()
    checked = 0
    for block_fn in demo.fns.values():
        fn = inspect.unwrap(block_fn.fn) if block_fn.fn else None
        if fn is None:
            continue
        params = list(inspect.signature(fn).parameters.values())
        seen_varargs = False
        for param in params:
            if param.kind is param.VAR_POSITIONAL:
                seen_varargs = True
            elif param.annotation in (gr.Request, "gr.Request") or param.name in ("request", "progress"):
                checked += 1
                assert not seen_varargs and param.kind is not param.KEYWORD_ONLY, (block_fn.name, param.name)
    assert checked >= 10


def test_in_public_mode_a_second_visitor_cannot_find_stop_or_watch_the_first_ones_training(monkeypatch, home):
    """Two gradio_client sessions against one server in public mode. Alice trains; Bob, who even
    holds a copy of Alice's run record (as if it had leaked), can neither list it, stop it, watch it
    nor learn her session hash or upload path from anything he can reach."""
    from engine.train import queue
    from engine.train.jobs import JOBS
    from tabs import logs

    monkeypatch.setenv("T5STUDIO_PUBLIC", "1")
    demo = tab_blocks(train, logs)
    try:
        with served(demo) as (url, alice):
            _alice_trains_and_bob_tries_to_interfere(url, alice)
    finally:  # never leave a training running for the tests after this one
        left = JOBS.busy_with()
        if left is not None:
            queue.cancel(left.data)
            left.wait(120)


def _alice_trains_and_bob_tries_to_interfere(url, alice):
    import json
    import time

    from engine.core import runs
    from engine.train.jobs import JOBS

    bob = Client(url, verbose=False)
    alice.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    alice.submit("", "English", "Japanese", "alices-model", "scratch", "tiny", 3.0, 20000, 3e-4, 2, 1,
                 0.0, 0.0, 16, 16, 0.1, 42, 0, 0.0, 100000, "adamw", "linear", api_name="/train")
    for _ in range(120):
        if JOBS.busy_with() is not None and JOBS.busy_with().run is not None:
            break
        time.sleep(0.5)
    running = JOBS.busy_with()
    assert running is not None and running.config.name == "alices-model"
    record = runs.load_run(running.run.id)
    shown = json.dumps(record, ensure_ascii=False)
    assert alice.session_hash not in shown and "uploads" not in shown
    assert record["settings"]["csv"].endswith("-pairs.csv")  # the file's name, not where it lies

    # Listing: Bob sees none of Alice's runs, even asking for everyone's.
    table, _picker, _activity = bob.predict("all", "all", False, api_name="/list_runs")
    assert all(running.run.id not in row for row in table["data"])
    with pytest.raises(Exception):
        bob.predict(running.run.id, api_name="/show_run")
    # Stop and watch with what a leaked record holds (the owner digest), with nothing, or the old key form.
    for guess in (record["owner"], None, "session-" + alice.session_hash):
        bob.predict(guess, api_name="/stop")
        assert running.running and not running.stop_requested
    _status, curve, log_tail, result, _owner = bob.predict(record["owner"], api_name="/watch")
    assert curve is None and log_tail == "" and result is None  # told someone else trains, nothing more
    # Alice's own session still can: her key stays with her.
    alice.predict(None, api_name="/stop")
    for _ in range(120):
        if not running.running:
            break
        time.sleep(0.5)
    assert runs.load_run(running.run.id)["status"] == "stopped"


def test_in_public_mode_a_visitors_largest_batch_does_not_hold_up_anothers_word(monkeypatch, home, untrained_model,
                                                                                tmp_path):
    """Alice sends the largest batch public mode allows, to a model that writes every output to full
    length; Bob's one word, asked a moment later, is answered within 30 s while Alice's batch still
    runs. Bob cannot cancel it; Alice can."""
    import time

    from engine.generate import turns
    from tabs import try_t5

    monkeypatch.setenv("T5STUDIO_PUBLIC", "1")
    beams, tokens = 64, turns.PUBLIC.row_work // 64
    rows = turns.PUBLIC.work // turns.PUBLIC.row_work
    words = tmp_path / "words.csv"
    words.write_text("Input\n" + "".join(f"word{i}\n" for i in range(rows)), encoding="utf-8")
    largest = ["beam", 50, tokens, beams, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]
    with served(single_tab_blocks(try_t5)) as (url, alice):
        bob = Client(url, verbose=False)
        with pytest.raises(Exception, match="上限"):  # one row more is refused at once, before any work
            words_over = tmp_path / "over.csv"
            words_over.write_text(words.read_text() + "one-more\n", encoding="utf-8")
            alice.predict(untrained_model, handle_file(str(words_over)), *largest, api_name="/try_generate_csv")
        batch = alice.submit(untrained_model, handle_file(str(words)), *largest, api_name="/try_generate_csv")
        time.sleep(3)
        assert not batch.done()
        asked = time.monotonic()
        outputs = bob.predict(untrained_model, "dog", *GREEDY, api_name="/try_generate")
        waited = time.monotonic() - asked
        assert outputs["headers"] and waited < 30
        assert not batch.done(), "Alice's batch ended before Bob's word: nothing was shown"
        bob.predict(api_name="/cancel")
        time.sleep(1)
        assert not batch.done()
        alice.predict(api_name="/cancel")
        ended = time.monotonic()
        while not batch.done() and time.monotonic() - ended < 30:
            time.sleep(0.2)
        assert batch.done()
        with pytest.raises(Exception):
            batch.result()
