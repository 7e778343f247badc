"""Many users at once: heavy work waits in one bounded queue, nobody's job is lost or mixed up."""
import concurrent.futures
import time

import gradio as gr
import pandas as pd
from gradio_client import Client, handle_file
from gradio_client.utils import Status

from tabs import try_t5
from tabs.common import Page
from tests.launching import served
from tests.model_fixtures import stored_model, tiny_model_dir  # noqa: F401 - fixtures

GREEDY = ["greedy", 1, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]
BEAM = ["beam", 4, 32, 8, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]
# Handlers that run a model share the "generate" slots (engine.generate.turns makes their model calls take
# fair turns); handlers that build a vector set wait one at a time in the "heavy" slot.
GENERATE = {"try_generate", "try_generate_csv", "evaluate", "distractors", "distractors_csv"}
HEAVY = {"upload_vectors", "train_vectors", "hub_vectors"}


def test_every_heavy_handler_waits_in_a_bounded_queue(home):
    import app
    from tabs import common

    demo = app.build_app()
    fns = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name}
    assert GENERATE | HEAVY <= set(fns)
    for name in GENERATE:
        assert (fns[name].concurrency_id, fns[name].concurrency_limit) == ("generate", common.GENERATE["concurrency_limit"]), name
    for name in HEAVY:
        assert (fns[name].concurrency_id, fns[name].concurrency_limit) == ("heavy", 1), name
    assert demo._queue.max_size == app.QUEUE_SIZE and app.QUEUE_SIZE > 0
    # Training has its own one-at-a-time slot (engine.train.jobs); its handler only follows progress.
    assert fns["train"].concurrency_limit is None


def _try_app(max_size: int):
    with gr.Blocks() as demo:
        try_t5.create_tab(Page.start(demo))
    demo.queue(max_size=max_size, default_concurrency_limit=1)
    return demo


def test_concurrent_users_each_get_their_own_result_and_see_their_place(stored_model, tmp_path):
    users = 8
    with served(_try_app(max_size=32)) as (url, _client):
        clients = [Client(url, verbose=False) for _ in range(users)]
        files = []
        for i in range(users):
            path = tmp_path / f"user{i}.csv"
            path.write_text(f"Input\nword-of-user-{i}\ndog\n", encoding="utf-8")
            files.append(path)
        jobs = [c.submit(stored_model, handle_file(str(f)), *GREEDY, api_name="/try_generate_csv")
                for c, f in zip(clients, files)]
        ranks = set()
        deadline = time.time() + 120
        while not all(job.done() for job in jobs) and time.time() < deadline:
            for job in jobs:
                update = job.status()
                if update.code == Status.IN_QUEUE and update.rank is not None:
                    ranks.add(update.rank)
            time.sleep(0.02)
        results = [job.result(timeout=60) for job in jobs]
    for i, (summary, table, download) in enumerate(results):  # no job lost, none mixed up
        assert "2 行" in summary
        assert [row[0] for row in table["data"]] == [f"word-of-user-{i}", "dog"]
        assert list(pd.read_csv(download, encoding="utf-8-sig")["Input"]) == [f"word-of-user-{i}", "dog"]
    assert len({r[2] for r in results}) == users
    assert ranks and max(ranks) >= 1  # people further back were told their place in the queue


def test_a_full_queue_says_busy_and_loses_no_accepted_job(stored_model):
    with served(_try_app(max_size=2)) as (url, _client):
        clients = [Client(url, verbose=False) for _ in range(8)]
        with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
            futures = [pool.submit(c.predict, stored_model, f"dog {i}", *BEAM, api_name="/try_generate")
                       for i, c in enumerate(clients)]
            outcomes = [f.exception(timeout=180) or f.result() for f in futures]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    served_ok = [o for o in outcomes if not isinstance(o, Exception)]
    assert refused, "8 users at once should overflow a queue of 2"
    # gradio's own words (its browser client says "This application is currently busy").
    assert all("Queue is full" in str(o) for o in refused), refused
    assert served_ok and all(len(table["data"]) == 4 for table in served_ok)


def _wait_for_a_step(timeout: float = 240) -> None:
    """Until the running training (a child process) has taken a step."""
    from engine.core.jsonio import read_jsonl
    from engine.train.jobs import JOBS

    deadline = time.time() + timeout
    while time.time() < deadline:
        job = JOBS.busy_with()
        if job is not None and job.run is not None and any(r.get("step") for r in read_jsonl(job.run.trainer_log_path)):
            return
        time.sleep(0.5)
    raise AssertionError("the training took no step")


def test_generation_keeps_working_while_a_training_runs(stored_model, tmp_path):
    """Users generate while someone trains: both finish, nothing fails (bench/concurrency.py measures it)."""
    import app
    from engine.models import store

    pairs = tmp_path / "pairs.csv"
    pairs.write_text("Input,Output\n" + "".join(f"w{i},語{i}\n" for i in range(40)), encoding="utf-8")
    with served(app.build_app()) as (url, trainer):
        trainer.predict(handle_file(str(pairs)), api_name="/upload_csv")
        training = trainer.submit("trainer", "Input", "Output", "while-busy", "scratch", "tiny",
                                  3.0, 100000, 3e-4, 4, 1, 0.0, 0.0, 32, 32, 0.1, 42, 0, 0.0, 100000,
                                  "adamw", "linear", api_name="/train")
        time.sleep(3)
        users = [Client(url, verbose=False) for _ in range(5)]
        with concurrent.futures.ThreadPoolExecutor(len(users)) as pool:
            tables = list(pool.map(lambda c: c.predict(stored_model, "dog", *GREEDY, api_name="/try_generate"),
                                   users))
        assert all(len(t["data"]) == 1 for t in tables)
        assert not training.done()
        _wait_for_a_step()  # a Stop before the first step saves nothing, by design
        trainer.predict(None, api_name="/stop")  # only the trainer's own session holds its key
        training.result(timeout=120)
    assert store.load_meta("while-busy")["status"] == "stopped"
