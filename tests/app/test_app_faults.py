"""The real server killed mid-training: after a restart the run reads as interrupted, no half model
is offered anywhere, and the command line resumes it to the end."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from engine.core import runs
from engine.models import store
from engine.train.arguments import last_complete_checkpoint
from tests.launching import free_port
from tests.places import PAIRS, ROOT

# epochs, max_steps, learning_rate, batch_size, grad_accum, warmup_ratio, weight_decay, max_input_length,
# max_target_length, validation_split, seed, early_stopping_patience, label_smoothing, eval_every
LONG_RUN = [3.0, 400, 3e-4, 2, 1, 0.0, 0.0, 32, 32, 0.1, 42, 0, 0.0, 2]


def environment(home) -> dict:
    return {**os.environ, "T5STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False"}


def start_server(home):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=environment(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        assert proc.poll() is None, "the app exited while starting"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise AssertionError("the app did not start")


def wait_for_checkpoint(home, job, timeout=240) -> Path:
    deadline = time.time() + timeout
    found = []
    while time.time() < deadline:
        found = list((home / "runs").glob("*-train-*")) if (home / "runs").exists() else []
        if found and last_complete_checkpoint(found[0]) is not None:
            return found[0]
        if job.done():
            break
        time.sleep(0.2)
    log = (found[0] / "log.txt").read_text(encoding="utf-8")[-2000:] if found else "no run folder"
    outcome = job.exception() if job.done() else "still running"
    raise AssertionError(f"no checkpoint appeared; job: {outcome}; log: {log}")


@pytest.mark.slow
def test_server_killed_mid_training_then_restarted_and_resumed(home):
    server, url = start_server(home)
    try:
        client = Client(url, verbose=False)
        client.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
        job = client.submit("", "English", "Japanese", "app-killed", "scratch", "tiny", *LONG_RUN, "adamw", "linear",
                            api_name="/train")
        run_folder = wait_for_checkpoint(home, job)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    assert json.loads((run_folder / "run.json").read_text())["status"] == "running"  # nobody could say otherwise

    server, url = start_server(home)
    try:
        client = Client(url, verbose=False)
        table, _picker, _activity = client.predict("train", "all", False, api_name="/list_runs")
        [row] = table["data"]
        assert row[-1] == run_folder.name and "中断" in row
        error, *_rest = client.predict(run_folder.name, api_name="/show_run")
        error_text = error["value"] if isinstance(error, dict) else error
        assert "中断されました" in error_text
        # The half-trained model is offered nowhere: not in the catalog, not as a base model, not to try.
        listing = client.predict("all", "all", "all", api_name="/catalog_list")
        assert "app-killed" not in json.dumps(listing, ensure_ascii=False)
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert "app-killed" not in json.dumps(endpoints["/train"], ensure_ascii=False)
        refreshed = client.predict(None, api_name="/try_refresh_models")
        assert "app-killed" not in json.dumps(refreshed, ensure_ascii=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert store.model_names() == []

    resumed = subprocess.run([sys.executable, "-m", "engine.train", "--resume", run_folder.name, "--max-steps", "8"],
                             cwd=ROOT, env=environment(home), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    result = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert result["status"] == "finished" and result["run_id"] == run_folder.name
    assert store.model_names() == ["app-killed"]
    assert runs.load_run(run_folder.name)["status"] == "finished"
    # ...and once finished it is offered where it was not before (so the checks above could fail).
    from engine.models.catalog import own_entries
    from tabs.train import base_choices

    assert "app-killed" in base_choices()
    assert "app-killed" in [e.id for e in own_entries()]
