"""Every label and message the user reads, looked up by key (`area.field`) per language.

The texts live in locales/<lang>/<area>.json, one file per tab or engine area, so each
part of the app owns its own texts. Japanese is the first language; English follows.

Which language a message is written in: the one asked for, else the reader's (see `speaking` and
`set_language_source`: the web UI hands over the browser's language, so a page speaks its
visitor's language, labels and server messages alike), else Japanese (the CLI, API clients that
send no Accept-Language).
"""
import contextlib
import json
import math
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"

LANGUAGES = ("ja", "en")
DEFAULT_LANG = "ja"
_SPEAKING: ContextVar = ContextVar("t5studio_language", default=None)
_language_source = None  # callable -> the current reader's language or None (set by the web UI)


def language_of(accept_language: str) -> str:
    """The page language for an Accept-Language header: the first of its languages that we have,
    in the browser's order of preference ("en-US,en;q=0.9" -> en); Japanese when none is ours."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, position, tag.strip().lower().split("-")[0]))
    return next((tag for _, _, tag in sorted(ranked) if tag in LANGUAGES), DEFAULT_LANG)


def set_language_source(source) -> None:
    """Tell messages how to find the current reader's language (a callable returning "ja", "en" or None)."""
    global _language_source
    _language_source = source


@contextlib.contextmanager
def speaking(lang: str):
    """Write every message in `lang` inside the block (a thread that works for a visitor, a test)."""
    token = _SPEAKING.set(lang if lang in LANGUAGES else DEFAULT_LANG)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def current_language() -> str:
    """The language messages are written in now (see the module docstring)."""
    chosen = _SPEAKING.get() or (_language_source() if _language_source else None)
    return chosen if chosen in LANGUAGES else DEFAULT_LANG


@lru_cache(maxsize=None)
def texts(lang: str = DEFAULT_LANG) -> dict:
    """All texts of one language as a flat {"area.field": text} dict."""
    merged = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.json")):
        area = path.stem
        for field, value in json.loads(path.read_text(encoding="utf-8")).items():
            merged[f"{area}.{field}"] = value
    return merged


def text(key: str, lang: str = None, **params) -> str:
    """The text for `key` in `lang` (default: current_language()), formatted with params; falls back
    to Japanese, then to the key itself."""
    template = texts(lang or current_language()).get(key) or texts(DEFAULT_LANG).get(key) or key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def aside(main: str, note: str, lang: str = None) -> str:
    """`main` with `note` in brackets, as the language writes them (犬（名詞） / dog (noun))."""
    return text("common.aside", lang, main=main, note=note)


def listing(items, lang: str = None) -> str:
    """Items joined as the language lists them (犬、猫 / dog, cat)."""
    return text("common.list_separator", lang).join(str(item) for item in items)


# Where a record's machine key (train_loss, max_input_length, complete_rows) finds the words a reader
# sees: the form labels first (train.epochs, try.num_beams, evaluation.chrf), then locales/*/fields.json.
FIELD_AREAS = ("fields", "train", "try", "evaluation", "word2vec")


def field_label(key: str, lang: str = None) -> str:
    """The name a person reads for a setting or metric key of a run record; the key itself when unknown."""
    table = texts(lang or current_language())
    return next((table[f"{area}.{key}"] for area in FIELD_AREAS if f"{area}.{key}" in table), str(key))


class StudioError(Exception):
    """A problem the user can fix; carries a message key and the values to show in it."""

    def __init__(self, key: str, **params):
        self.key = key
        self.params = params
        super().__init__(text(key, **params))

    def message(self, lang: str = None) -> str:
        return text(self.key, lang, **self.params)


class ValidationErrors(StudioError):
    """Several problems found at once, shown together so the user can fix them in one go."""

    def __init__(self, errors: list):
        self.errors = list(errors)
        self.key = "common.several_problems"
        self.params = {}
        Exception.__init__(self, self.message())

    def message(self, lang: str = None) -> str:
        return "\n".join(f"・{e.message(lang)}" for e in self.errors)


DISK_FULL_WORDS = ("no space left on device", "disk quota exceeded", "os error 28")


def explain_os_error(exc: BaseException):
    """A StudioError for the OS failures a user can act on (disk full, no permission), else None.

    Libraries that write through their own code (safetensors, tokenizers) raise their own
    exception types with the OS's words inside, so the words count as much as the errno."""
    import errno

    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            return StudioError("common.disk_full")  # no path: on a Space it would show the data home
        if any(words in str(cause).lower() for words in DISK_FULL_WORDS):
            return StudioError("common.disk_full")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return StudioError("common.home_unwritable", path=exc.filename or "")
    return None


def _causes(exc: BaseException):
    """exc, then what it was raised from or while handling, without looping."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def finite_number(value, label: str, whole: bool = False):
    """`value` as a float (an int when `whole`), or StudioError("common.not_finite") for NaN, ±inf
    and anything else that is not a number (API clients can send them where a form cannot)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise StudioError("common.not_finite", label=label, value=value)
    if whole and number != int(number):
        raise StudioError("common.not_whole", label=label, value=value)
    return int(number) if whole else number


def int_in_range(value, low: int, high: int, key: str, **params) -> int:
    """`value` as an int within [low, high], or StudioError(key) with low, high and the value sent."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        number = None
    if number is None or not low <= number <= high:
        raise StudioError(key, low=low, high=high, value=value, **params)
    return number


def raise_all(errors: list) -> None:
    """Raise nothing, the one error, or all of them together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)
