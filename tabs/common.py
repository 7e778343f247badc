"""What every tab shares: translated labels, error display, per-session upload folders."""
import functools
import html
import json
import logging
import re
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from engine.core import paths, runs
from engine.core.messages import (LANGUAGES, StudioError, explain_os_error, language_of, set_language_source,
                                  speaking, text, texts)
from engine.generate import turns
from engine.models import storage

log = logging.getLogger("t5studio")

I18N = gr.I18n(**{lang: dict(texts(lang)) for lang in LANGUAGES})  # copies: localized() adds to them
MAX_FILE_SIZE = "25mb"  # Gradio refuses bigger uploads before they reach a handler


def request_language():
    """The visiting browser's language while a handler runs for it (gradio keeps the request in a
    context variable), so server messages speak the language the page's labels do; None elsewhere."""
    from gradio.context import LocalContext

    headers = getattr(LocalContext.request.get(None), "headers", None)
    return language_of(headers.get("accept-language", "")) if headers is not None else None


set_language_source(request_language)


def launch_kwargs() -> dict:
    """Arguments of launch() every server of ours uses (the app, a tab alone, the tests)."""
    return {"i18n": I18N, "max_file_size": MAX_FILE_SIZE, "theme": gr.themes.Soft()}


def t(key: str):
    """A label that the browser shows in the user's language (Japanese first)."""
    return I18N(key)


def localized(key: str, build):
    """A text put together when the page is built (a line of links, a guide page), registered in every
    language under `key` and shown in the reader's: build() is called once per language."""
    for lang in LANGUAGES:
        with speaking(lang):
            I18N.translations[lang][key] = build()
    return t(key)


def whole_or_decimal(**kwargs) -> gr.Number:
    """A number box that hands the handler what was sent, unrounded. With precision=0 gradio itself
    calls int() on NaN or infinity from an API client and answers with a bare "Error"; the handler
    checks every number with engine.core.messages.finite_number instead (whole numbers included)."""
    return gr.Number(precision=None, **kwargs)


def escape(value) -> str:
    """Escape what a user sent before it is echoed into HTML or Markdown."""
    return html.escape(str(value), quote=True)


def error_for(exc: BaseException) -> gr.Error:
    """The gr.Error a user sees for an exception: our message for StudioError, a short one otherwise."""
    exc = explain_os_error(exc) or exc
    title = text("common.error_title")  # gradio's own would be the English "Error"
    if isinstance(exc, StudioError):
        return gr.Error(escape(exc.message()), title=title, print_exception=False)
    log.exception("unexpected error", exc_info=exc)
    return gr.Error(escape(text("common.internal_error", detail=type(exc).__name__)), title=title,
                    print_exception=False)


def guarded(fn):
    """Turn exceptions raised by a handler into clear messages instead of a red 'Error'."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure must reach the user as a message
            raise error_for(exc) from exc

    return wrapper


def guarded_gen(fn):
    """guarded() for generator handlers (streaming progress)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            yield from fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001
            raise error_for(exc) from exc

    return wrapper


# Generation handlers (Try, Evaluate, distractors) may run side by side: engine.generate.turns serves their
# model calls in fair turns, so a short request is not stuck behind a long one. Adding a vector
# set stays one at a time in the "heavy" slot (it holds a whole set in memory).
GENERATE = {"concurrency_id": "generate", "concurrency_limit": 4}
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": 1}


def visitor_request(fn):
    """Run a handler as its visitor's request (engine.generate.turns): fair turns, a budget, and cancel.

    The handler must take a gr.Request, which gradio fills in."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        request = next((a for a in (*args, *kwargs.values()) if isinstance(a, gr.Request)), None)
        with turns.request(owner_key(None, request) if request is not None else ""):
            return fn(*args, **kwargs)

    return wrapper


def cancel_button(api_name, events: list) -> gr.Button:
    """A button that ends this visitor's running request at its next turn (and drops queued ones)."""
    button = gr.Button(t("turns.cancel"), variant="stop", size="sm", min_width=100)
    button.click(cancel_request, None, None, api_name=api_name, concurrency_limit=None, cancels=events)
    return button


def cancel_request(request: gr.Request) -> None:
    """Inputs: none (the visitor is known by their session) / Outputs: a notice"""
    if turns.cancel(owner_key(None, request)):
        gr.Info(text("turns.cancel_sent"), title=text("common.info_title"))
    else:
        gr.Info(text("turns.nothing_to_cancel"), title=text("common.info_title"))


def session_key(request: gr.Request) -> str:
    """A key for this browser session; uploads and results are kept apart per key."""
    key = getattr(request, "session_hash", None) or secrets.token_hex(8)
    return "".join(ch for ch in key if ch.isalnum())[:64] or secrets.token_hex(8)


# Who started a run. A browser keeps one owner key across reloads (a BrowserState in its local
# storage); a page load tells the server which key belongs to its session, so every tab records
# runs under the same key and the Logs tab can show "this browser's runs". API clients have no
# BrowserState: the server mints a key for their session. A key is a random secret: it is what
# stops, watches and lists a browser's runs, so records keep only its digest (runs.owner_id) and it
# is never derived from the session hash, which a client chooses and which gradio puts in URLs.
OWNER_STORAGE_KEY = "t5studio-owner"
OWNER_KEY = re.compile(r"[0-9a-f]{48}")
_OWNERS = OrderedDict()  # session key -> owner key; module-level on purpose, keyed per session
_OWNERS_LOCK = threading.Lock()
MAX_REMEMBERED_SESSIONS = 20_000


def owner_key(owner, request: gr.Request) -> str:
    """The owner key for this request: the browser's own (when given or remembered), else a new one.

    Keys of the earlier form "session-<hash>" are not accepted: they were derived from a session
    hash and written into run records, so others may know them."""
    if isinstance(owner, str) and OWNER_KEY.fullmatch(owner):
        return owner
    session = session_key(request)
    with _OWNERS_LOCK:
        key = _OWNERS.get(session)
        if key is None:
            key = secrets.token_hex(24)
            _remember(session, key)
    return key


def _remember(session: str, key: str) -> None:
    _OWNERS[session] = key
    _OWNERS.move_to_end(session)
    while len(_OWNERS) > MAX_REMEMBERED_SESSIONS:
        _OWNERS.popitem(last=False)


def remember_owner(owner, request: gr.Request) -> str:
    """Tie this session to the browser's owner key (minting one on a first visit); returns the key."""
    key = owner_key(owner, request)
    if getattr(request, "session_hash", None):
        with _OWNERS_LOCK:
            _remember(session_key(request), key)
    return key


# gradio 6 titles every toast with its type in English ("Error", "Warning", "Info") whatever title
# gr.Error is given; this rewrites the title in the page's language (the rule of language_of).
_TOAST_TITLES_JS = """
() => {
  const titles = %s;
  const lang = (navigator.languages || [navigator.language]).map((l) => l.slice(0, 2).toLowerCase())
    .find((l) => l in titles) || "ja";
  const fix = () => document.querySelectorAll(".toast-title").forEach((el) => {
    const kind = ["error", "warning", "info"].find((k) => el.classList.contains(k));
    const node = el.firstChild;
    if (kind && node && node.nodeType === 3 && node.textContent.trim() !== titles[lang][kind]) {
      node.textContent = titles[lang][kind] + " ";
    }
  });
  new MutationObserver(fix).observe(document.body, {childList: true, subtree: true});
  return [];
}
"""


def toast_titles_js() -> str:
    titles = {lang: {kind: text(f"common.{kind}_title", lang) for kind in ("error", "warning", "info")}
              for lang in LANGUAGES}
    return _TOAST_TITLES_JS % json.dumps(titles, ensure_ascii=False)


@dataclass
class Page:
    """What a tab needs from the page it is built in, handed to every create_tab: the Blocks (for
    page-load events), the browser's owner key (one BrowserState for all tabs) and, in the whole
    app, the tab strip (so that a button can switch tabs). Anything else a tab needs from another
    is passed to its create_tab by name (the Catalog gets the Train tab's base-model box)."""

    demo: gr.Blocks
    owner: gr.BrowserState
    tabs: gr.Tabs = None
    models: gr.State = None  # a counter bumped when this page added or deleted a model
    tab: gr.Tab = None  # the tab being built (the whole app sets it before each create_tab)

    @classmethod
    def start(cls, demo: gr.Blocks) -> "Page":
        """The page of `demo`: its owner key is read from the browser's storage when the page loads.
        Call it outside gr.Tabs (a component inside the tab strip would count as a tab)."""
        owner = gr.BrowserState(None, storage_key=OWNER_STORAGE_KEY)
        demo.load(remember_owner, [owner], [owner], api_name=False, queue=False)
        demo.load(None, None, None, js=toast_titles_js())
        return cls(demo, owner, models=gr.State(0))

    def on_models(self, fn, inputs, outputs) -> None:
        """Run `fn` when the page loads, whenever a model was added or deleted on it, and when its tab
        is opened, so a model just trained, here or in another browser, shows without a reload."""
        self.demo.load(fn, inputs, outputs, api_name=False)
        self.models.change(fn, inputs, outputs, api_name=False)
        if self.tab is not None:  # another browser's new model, a run that has ended: read again on opening
            self.tab.select(fn, inputs, outputs, api_name=False, concurrency_limit=None)

    def models_changed(self, event) -> None:
        """After `event` (a training, a deletion), tell every model list on the page, whatever its outcome."""
        # Through the queue: a State set by an unqueued event does not fire its change listeners.
        event.then(lambda count: (count or 0) + 1, [self.models], [self.models], api_name=False,
                   concurrency_limit=None)


def session_folder(request: gr.Request) -> Path:
    """This browser's own upload folder, named by its owner's digest (never by the session hash)."""
    folder = paths.uploads_dir() / runs.owner_id(owner_key(None, request))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stash_upload(upload, request: gr.Request) -> Path:
    """Copy an upload out of Gradio's shared cache into this session's own folder.

    Identical uploads share one cache path in Gradio, so we never edit them in place and never
    hand that path to anyone else.
    """
    if not upload:
        raise StudioError("csv.no_file")
    storage.check_room(owner_key(None, request))
    source = Path(upload if isinstance(upload, (str, Path)) else upload.name)
    target = session_folder(request) / f"{secrets.token_hex(4)}-{Path(source.name).name}"
    shutil.copyfile(source, target)
    return target


def result_file(request: gr.Request, filename: str) -> Path:
    """A path for a download made for this session only.

    It lies in the system temp folder, from which Gradio copies returned files into its cache
    under an unguessable path; the data home itself is never served.
    """
    folder = Path(tempfile.gettempdir()) / storage.DOWNLOADS_DIR / session_key(request) / secrets.token_hex(8)
    folder.mkdir(parents=True)
    return folder / filename
