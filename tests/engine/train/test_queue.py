"""Trainings in line, each in its own process (issue 14, items 1 and 2): none refused, run in the
order they came, a killed child leaves its run failed with the reason and the next one starts,
a waiting one can be taken out of line, and the line survives a server restart."""
import os
import signal
import time

import pytest

from engine.core import runs
from engine.core.jsonio import read_jsonl
from engine.core.messages import StudioError
from engine.models import store
from engine.train import queue
from engine.train.config import TrainConfig
from engine.train.jobs import JOBS, progress
from tests.places import PAIRS


def config(name, **changes):
    return TrainConfig(**{"csv": str(PAIRS), "name": name, "base": "scratch", "size": "tiny", "max_steps": 2,
                          "batch_size": 4, "max_input_length": 16, "max_target_length": 16, **changes})


def owner(n: int) -> str:
    return f"{n:048x}"


def wait_for(condition, timeout=120):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.2)


def test_five_trainings_from_five_people_all_finish_in_the_order_they_came(home):
    jobs = [JOBS.start(config(f"class-{n}"), owner=owner(n)) for n in range(5)]  # none refused
    wait_for(lambda: jobs[0].refresh().state == "running")
    assert [progress(job)["place"] for job in jobs[1:]] == [1, 2, 3, 4]  # each sees its place in line
    assert progress(jobs[-1])["starts_in"] > 0  # an estimate, from the usual length of a training
    assert all(job.wait(600) for job in jobs)
    assert [job.data["state"] for job in jobs] == ["finished"] * 5
    starts = [job.data["started"] for job in jobs]
    assert starts == sorted(starts)  # first come, first trained
    assert all(a.data["ended"] <= b.data["started"] + 1 for a, b in zip(jobs, jobs[1:]))  # one at a time
    assert sorted(store.model_names()) == [f"class-{n}" for n in range(5)]
    assert {runs.load_run(job.run.id)["owner"] for job in jobs} == {runs.owner_id(owner(n)) for n in range(5)}


def test_a_killed_training_reads_failed_within_seconds_and_the_next_one_starts(home):
    victim = JOBS.start(config("victim", max_steps=5000, eval_every=5000), owner=owner(1))
    after = JOBS.start(config("after"), owner=owner(2))
    wait_for(lambda: victim.refresh().run is not None and victim.data.get("pid"))
    wait_for(lambda: any(r.get("step") for r in read_jsonl(victim.run.trainer_log_path)))
    os.kill(victim.data["pid"], signal.SIGKILL)
    killed = time.time()
    wait_for(lambda: runs.load_run(victim.run.id)["status"] == "failed", timeout=5)
    assert time.time() - killed < 5
    record = runs.load_run(victim.run.id)
    assert "シグナル 9" in record["error"] and victim.refresh().data["state"] == "failed"
    assert after.wait(300) and after.data["state"] == "finished"
    assert "victim" not in store.model_names()  # a half-trained model is never listed as finished


def test_a_waiting_training_can_be_taken_out_of_line(home):
    first = JOBS.start(config("first", max_steps=5000, eval_every=5000), owner=owner(1))
    second = JOBS.start(config("second"), owner=owner(2))
    assert JOBS.stop(owner(2)) == "queued" and second.refresh().data["state"] == "cancelled"
    assert not second.running and JOBS.stop(owner(2)) == ""
    assert JOBS.stop(owner(1)) in ("queued", "running")
    assert first.wait(300) and "second" not in store.model_names()


def test_names_in_line_are_taken_and_a_public_visitor_has_one_place(home, monkeypatch):
    JOBS.start(config("mine", max_steps=5000, eval_every=5000), owner=owner(1))
    try:
        with pytest.raises(StudioError) as taken:
            JOBS.start(config("mine"), owner=owner(2))
        assert taken.value.key == "train.name_in_queue"
        monkeypatch.setenv("T5STUDIO_PUBLIC", "1")
        with pytest.raises(StudioError) as again:
            JOBS.start(config("another"), owner=owner(1))
        assert again.value.key == "train.already_in_line"
    finally:
        JOBS.stop(owner(1))
        JOBS.for_owner(owner(1)).wait(300)


def test_the_line_survives_a_server_restart(home):
    """Jobs are files: a job that was running when the server died is failed with the reason, and
    one still waiting is trained by the next server."""
    dead = queue.submit(config("dead").__dict__, owner(1), True, "ja")
    dead.update(state=queue.RUNNING, started=time.time())
    queue._save(dead)
    waiting = queue.submit(config("waiting").__dict__, owner(2), True, "ja")
    restarted = queue.Scheduler()  # what a new server process starts with
    restarted.ensure_running()
    try:
        assert queue.load(dead["id"])["state"] == "failed" and "サーバー" in queue.load(dead["id"])["error"]
        wait_for(lambda: queue.load(waiting["id"])["state"] == "finished", timeout=300)
    finally:
        restarted.stop()  # this process's own scheduler goes on serving the tests after this one


def test_a_waiting_job_is_started_once_when_two_schedulers_see_it(home):
    """Two schedulers over one data home (an old server and a new one): the job trains once."""
    job = queue.submit(config("once").__dict__, owner(1), True, "ja")
    first, second = queue.Scheduler(), queue.Scheduler()
    first.tick()
    second.tick()
    assert len(first.children) + len(second.children) <= 1  # this process's own scheduler may have taken it
    for scheduler in (first, second):
        for child, _ in list(scheduler.children.values()):
            child.wait(300)
        scheduler.tick()  # reaps its child: the job reads finished
    wait_for(lambda: queue.load(job["id"])["state"] == "finished", timeout=300)
    assert len(runs.list_runs(kind="train")) == 1 and store.model_names() == ["once"]
