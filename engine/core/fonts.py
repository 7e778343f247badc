"""The one place that picks a font for Japanese text in matplotlib figures (loss curves, score
histograms, word-vector pictures). Without one, Japanese labels are drawn as empty boxes."""
import logging
from functools import lru_cache

log = logging.getLogger("t5studio")

# Fonts that draw Japanese, best first: Debian's fonts-noto-cjk (packages.txt), then common others.
JAPANESE_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "Noto Serif CJK JP", "IPAexGothic", "IPAGothic",
                  "TakaoGothic", "Hiragino Sans", "Yu Gothic", "MS Gothic", "Droid Sans Japanese")


@lru_cache(maxsize=1)
def japanese_font() -> str:
    """The family name of an installed font that renders Japanese, or "" (labels may show boxes)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in JAPANESE_FONTS:
        if name in installed:
            return name
    for name in sorted(installed):  # any other CJK family
        if "CJK" in name or "Gothic" in name:
            return name
    log.warning("no Japanese font found; install fonts-noto-cjk so plot labels render")
    return ""


def font_families() -> list:
    """A font.family list for rcParams: the Japanese font first when there is one, then Latin."""
    return [name for name in (japanese_font(),) if name] + ["DejaVu Sans"]
