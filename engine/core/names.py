"""Checking the names people give to models and vector sets, which become folder names."""
import re
import unicodedata

from engine.core.messages import StudioError

MAX_NAME_CHARS = 64
# Letters (any script), digits, and . _ - ; no separators, no leading dot.
_ALLOWED = re.compile(r"^[^\W][\w.\-]*$", re.UNICODE)
# Letters that render as nothing although Unicode calls them letters (Hangul fillers and the like).
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# Names Windows keeps for devices: a folder called so cannot be copied to or opened on Windows.
_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
# Scripts whose letters look alike: a name mixing them (Cyrillic і in "mіne") is a look-alike.
_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def check_name(name) -> str:
    """Return the cleaned name (NFKC: full-width letters become plain ones) or raise StudioError
    saying what is wrong with it."""
    name = unicodedata.normalize("NFKC", (name or "").strip())
    if not name or all(c in _BLANK_LETTERS or unicodedata.category(c) in ("Cf", "Zs") for c in name):
        raise StudioError("common.name_empty")
    if len(name) > MAX_NAME_CHARS:
        raise StudioError("common.name_too_long", length=len(name), limit=MAX_NAME_CHARS)
    if any(c in _BLANK_LETTERS for c in name):
        raise StudioError("common.name_invisible", name=name)
    if ".." in name or not _ALLOWED.match(name):
        raise StudioError("common.name_bad_chars", name=name[:MAX_NAME_CHARS])
    if _DEVICE.match(name):
        raise StudioError("common.name_reserved", name=name)
    if len(_scripts(name)) > 1:
        raise StudioError("common.name_mixed_scripts", name=name, scripts=" / ".join(sorted(_scripts(name))))
    return name


def _scripts(name: str) -> set:
    """Which look-alike scripts (Latin, Cyrillic, Greek) the name's letters come from."""
    found = set()
    for char in name:
        if char.isalpha():
            script = unicodedata.name(char, "").split(" ")[0]
            if script in _LOOKALIKE_SCRIPTS:
                found.add(script)
    return found
