"""Fair turns: how long one visitor's one-word request takes while another's largest batch runs.

The whole app is served in public mode in this process. A visitor sends, one after another,
`--requests` one-word generations (greedy) to a trained tiny model, first alone (the baseline),
then while a second visitor's batch runs: the largest public mode accepts (engine.generate.turns.PUBLIC:
64 beams x 64 new tokens x as many rows as the work budget allows) to an untrained model, which
writes every output to full length. Before fair turns, a request waited for the whole batch.

    OMP_NUM_THREADS=1 python bench/fair_turns.py --requests 10

Last line: `ratio p50: X, ratio max: Y` (latency during the batch / latency alone).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ["T5STUDIO_PUBLIC"] = "1"

GREEDY = ["greedy", 1, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]


def one_word_latencies(client, requests: int) -> list:
    latencies = []
    for k in range(requests):
        started = time.perf_counter()
        client.predict("tiny-bench", ["dog", "cat", "sun", "red"][k % 4], *GREEDY, api_name="/try_generate")
        latencies.append(time.perf_counter() - started)
    return latencies


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="t5studio-bench-"))
    os.environ["T5STUDIO_HOME"] = str(home)
    from gradio_client import Client, handle_file

    import app
    from engine.core import paths
    from engine.generate import turns
    from tests.launching import served
    from tests.model_fixtures import build_trained_tiny

    build_trained_tiny(paths.models_dir() / "tiny-bench", steps=30)
    build_trained_tiny(paths.models_dir() / "untrained-bench", steps=0)
    rows = turns.PUBLIC.work // turns.PUBLIC.row_work
    words = home / "words.csv"
    words.write_text("Input\n" + "".join(f"word{i}\n" for i in range(rows)), encoding="utf-8")
    largest = ["beam", 50, turns.PUBLIC.row_work // 64, 64, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]
    with served(app.build_app()) as (url, visitor):
        one_word_latencies(visitor, 2)  # load the model once, outside the measurement
        alone = one_word_latencies(visitor, args.requests)
        batch_client = Client(url, verbose=False)
        started = time.perf_counter()
        batch = batch_client.submit("untrained-bench", handle_file(str(words)), *largest, api_name="/try_generate_csv")
        time.sleep(3)  # the batch is past loading and computing
        during = one_word_latencies(visitor, args.requests)
        still_running = not batch.done()
        batch.result()
        batch_seconds = time.perf_counter() - started
    print(f"batch: {rows} rows x 64 beams x {largest[2]} new tokens, {batch_seconds:.1f} s; "
          f"still running after the last one-word request: {still_running}")
    print(f"one word alone:        p50 {statistics.median(alone):.2f} s, max {max(alone):.2f} s")
    print(f"one word during batch: p50 {statistics.median(during):.2f} s, max {max(during):.2f} s")
    print(f"ratio p50: {statistics.median(during) / statistics.median(alone):.1f}, "
          f"ratio max: {max(during) / max(alone):.1f}")


if __name__ == "__main__":
    main()
