"""Many users at once: N gradio_client users generate on the Try tab while a training runs.

The whole app is served in this process over a temporary data home holding a tiny stored model.
A training is started through the Train tab's /train API (max_steps large) and stopped at the end.
Each user sends its requests one after another; generation shares the app's one "heavy" slot,
so the latencies show the queue. Failed requests are counted, never retried.

    OMP_NUM_THREADS=1 python bench/concurrency.py --users 10 --requests 5

Last line: `p50: X s, p90: Y s, p99: Z s, max: W s, errors: E`.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

WORDS = "apple dog cat red blue big small hot cold run walk eat drink book pen car".split()
BEAM3 = ["beam", 3, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]
# epochs, max_steps, learning_rate, batch_size, grad_accum, warmup_ratio, weight_decay, max_input_length,
# max_target_length, validation_split, seed, early_stopping_patience, label_smoothing, eval_every
TRAINING = [3.0, 100000, 3e-4, 4, 1, 0.0, 0.0, 32, 32, 0.1, 42, 0, 0.0, 100000]


def percentile(values: list, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def user(url: str, index: int, requests: int, latencies: list, errors: list) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    for k in range(requests):
        word = WORDS[(index + k) % len(WORDS)]
        started = time.perf_counter()
        try:
            table = client.predict("tiny-bench", word, *BEAM3, api_name="/try_generate")
            assert len(table["data"]) == 3, table
            latencies.append(time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - counted and shown, never retried
            errors.append(f"user {index}: {type(exc).__name__}: {str(exc)[:200]}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--requests", type=int, default=5, help="requests per user, one after another")
    parser.add_argument("--no-training", action="store_true", help="measure without a training running")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="t5studio-bench-"))
    os.environ["T5STUDIO_HOME"] = str(home)
    from gradio_client import handle_file

    import app
    from engine.core import paths
    from tests.launching import served
    from tests.model_fixtures import build_trained_tiny

    build_trained_tiny(paths.models_dir() / "tiny-bench", steps=30)
    with served(app.build_app()) as (url, trainer):
        training = None
        if not args.no_training:
            trainer.predict(handle_file(str(ROOT / "tests" / "data" / "pairs.csv")), api_name="/upload_csv")
            training = trainer.submit("bench-trainer", "English", "Japanese", "bench-training", "scratch", "tiny",
                                      *TRAINING, "adamw", "linear", api_name="/train")
            time.sleep(5)  # let it get past loading, so generation competes with training steps
        latencies, errors = [], []
        threads = [threading.Thread(target=user, args=(url, i, args.requests, latencies, errors))
                   for i in range(args.users)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        if training is not None:
            still_training = not training.done()
            trainer.predict(None, api_name="/stop")  # from the trainer's own session: its key stays there
            print(f"training still running during the whole measurement: {still_training}")
    for error in errors[:10]:
        print("error:", error)
    sent = args.users * args.requests
    print(f"users: {args.users}, requests: {sent}, finished: {len(latencies)}, wall: {wall:.1f} s, "
          f"throughput: {len(latencies) / wall:.2f} req/s, mean: {statistics.mean(latencies or [0]):.2f} s")
    if latencies:
        print(f"p50: {percentile(latencies, 0.5):.2f} s, p90: {percentile(latencies, 0.9):.2f} s, "
              f"p99: {percentile(latencies, 0.99):.2f} s, max: {max(latencies):.2f} s, errors: {len(errors)}")
    else:
        print(f"p50: - s, p90: - s, p99: - s, max: - s, errors: {len(errors)}")


if __name__ == "__main__":
    main()
