"""Launch a real Gradio server on localhost for a test, and talk to it with gradio_client."""
import contextlib
import socket

import gradio as gr
from gradio_client import Client

from tabs.common import Page, launch_kwargs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def single_tab_blocks(module) -> gr.Blocks:
    """A Blocks holding just one tab module, as the tab's own __main__ does."""
    return tab_blocks(module)


def tab_blocks(*modules) -> gr.Blocks:
    """A Blocks with the given tab modules, one tab each, on one page (one owner key), as app.py builds them."""
    with gr.Blocks() as demo:
        page = Page.start(demo)
        for module in modules:
            with gr.Tab(module.__name__):
                module.create_tab(page)
    demo.queue(default_concurrency_limit=1)
    return demo


@contextlib.contextmanager
def served(demo: gr.Blocks):
    """Serve `demo` on a free port; yield (url, Client). Closed afterwards."""
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs())
    url = f"http://127.0.0.1:{port}/"
    try:
        yield url, Client(url, verbose=False)
    finally:
        demo.close()
