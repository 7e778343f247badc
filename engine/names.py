"""Checking the names people give to models and vector sets, which become folder names."""
import re
import unicodedata

from engine.messages import StudioError

MAX_NAME_CHARS = 64
# Letters (any script), digits, and . _ - ; no separators, no leading dot.
_ALLOWED = re.compile(r"^[^\W][\w.\-]*$", re.UNICODE)


def check_name(name) -> str:
    """Return the cleaned name or raise StudioError saying what is wrong with it."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise StudioError("common.name_empty")
    if len(name) > MAX_NAME_CHARS:
        raise StudioError("common.name_too_long", length=len(name), limit=MAX_NAME_CHARS)
    if ".." in name or not _ALLOWED.match(name):
        raise StudioError("common.name_bad_chars", name=name[:MAX_NAME_CHARS])
    return name
