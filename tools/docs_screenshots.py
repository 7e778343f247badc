"""Copy the browser tests' screenshots of every tab (both languages) into docs/screenshots, as
256-colour PNGs (a tenth of the size; the UI has few colours).

    python -m pytest tests/browser/test_teacher_view.py   # writes test-screenshots/tab-<tab>-<lang>.png
    python tools/docs_screenshots.py
"""
import argparse
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "test-screenshots")
    parser.add_argument("--target", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    shots = sorted(args.source.glob("tab-*.png"))
    if not shots:
        print(f"no tab-*.png in {args.source}: run tests/browser/test_teacher_view.py first", file=sys.stderr)
        return 1
    args.target.mkdir(parents=True, exist_ok=True)
    for shot in shots:
        with Image.open(shot) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            small.save(args.target / shot.name, optimize=True)
        print(f"{shot.name}: {(args.target / shot.name).stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
