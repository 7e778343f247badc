"""T5 Studio: compose the tabs and launch. Run `python app.py`; it works offline."""
import argparse
import logging
import os
import threading
import time

import gradio as gr

from engine.core import runs
from engine.core.paths import PUBLIC_ENV
from engine.models import storage, store
from engine.train import queue
from engine.vectors import sets
from tabs import catalog, evaluate, guide, logs, train, try_t5, word2vec
from tabs.common import Page, launch_kwargs, t

# Order = order of the tabs on screen. Each module's create_tab(page) builds its tab.
TABS = (
    ("train", train),
    ("evaluate", evaluate),
    ("try", try_t5),
    ("word2vec", word2vec),
    ("logs", logs),
    ("catalog", catalog),
    ("guide", guide),
)
log = logging.getLogger("t5studio")
QUEUE_SIZE = 32  # requests waiting beyond this get "busy" instead of an endless wait


def build_app() -> gr.Blocks:
    store.clean_staging()  # half-written models and vector sets left by a killed process
    sets.clean_staging()
    runs.list_runs()  # marks runs left 'running' by a killed process as interrupted
    queue.SCHEDULER.ensure_running()  # trainings left in line by the last server start now
    with gr.Blocks(title="T5 Studio", delete_cache=(3600, 86400)) as demo:
        gr.Markdown("# T5 Studio")
        gr.Markdown(t("app.tagline"))
        page = Page.start(demo)  # before the tab strip: a component inside it would count as a tab
        with gr.Tabs() as tabs_widget:
            page.tabs = tabs_widget
            made = {}
            for key, module in TABS:
                with gr.Tab(t(f"app.tab_{key}"), id=key) as page.tab:
                    # The one hand-over between tabs: the Catalog fills the Train tab's base-model box.
                    extra = {"base_box": made["train"]} if module is catalog else {}
                    made[key] = module.create_tab(page, **extra)
            page.tab = None
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


LOOPBACK = ("127.0.0.1", "localhost", "::1")
CLEAN_EVERY_SECONDS = 3600


def keep_cleaning() -> None:
    """Remove old uploads, downloads and abandoned checkpoints now and every hour (engine.models.storage)."""

    def loop():
        while True:
            try:
                storage.clean()
            except OSError:
                log.exception("cleanup failed; trying again in an hour")
            time.sleep(CLEAN_EVERY_SECONDS)

    threading.Thread(target=loop, name="cleanup", daemon=True).start()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="T5 Studio")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--share", action="store_true", default=os.environ.get("GRADIO_SHARE", "").lower() == "true",
                        help="also open a public share link (gradio's tunnel); turns public mode on")
    args = parser.parse_args(argv)
    # Anyone who can reach the server may be a stranger to the others: unless T5STUDIO_PUBLIC says
    # otherwise, listening beyond this machine or sharing a link turns public mode on.
    if args.share or args.host not in LOOPBACK:
        os.environ.setdefault(PUBLIC_ENV, "1")
    keep_cleaning()
    build_app().launch(server_name=args.host, server_port=args.port, share=args.share, **launch_kwargs())


if __name__ == "__main__":
    main()
