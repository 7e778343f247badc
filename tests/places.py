"""Where the tests find the repository and their data files."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PAIRS = DATA / "pairs.csv"
