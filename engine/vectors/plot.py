"""A picture of a neighbourhood: query words and their neighbours projected to 2-D, labelled in Japanese.

PCA (numpy's SVD) of the unit vectors shown: the two directions in which these words differ most.
Distances in the picture are only a hint; the scores in the table are the real cosines.
"""
import logging
from pathlib import Path

import numpy as np

from engine.core.fonts import japanese_font

log = logging.getLogger("t5studio")

ROLE_STYLE = {  # role -> (colour, marker size, bold)
    "query": ("#d62728", 90, True),
    "positive": ("#d62728", 90, True),
    "negative": ("#1f77b4", 90, True),
    "result": ("#555555", 40, False),
    "odd": ("#ff7f0e", 90, True),
}


def project_2d(matrix: np.ndarray) -> np.ndarray:
    """Rows of `matrix` (unit vectors) on their first two principal components."""
    centred = matrix - matrix.mean(axis=0)
    if len(matrix) < 2 or not np.any(centred):
        return np.zeros((len(matrix), 2))
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((len(coords), 1))])
    return coords


def neighbourhood_points(kv, words_roles: list) -> list:
    """[(word, role, x, y)] for (word, role) pairs; a word listed twice keeps its first role."""
    seen = {}
    for word, role in words_roles:
        if word in kv.key_to_index and word not in seen:
            seen[word] = role
    words = list(seen)
    if not words:
        return []
    coords = project_2d(np.stack([kv.get_vector(w, norm=True) for w in words]))
    return [(w, seen[w], float(x), float(y)) for w, (x, y) in zip(words, coords)]


def draw(points: list, path, title: str = "", legend: dict = None) -> Path:
    """Write the scatter of `points` (from neighbourhood_points) as a PNG at `path`.

    legend: {role: label} for the roles to explain (labels come from the caller, in its language).
    """
    from matplotlib.figure import Figure  # no pyplot: a Figure per call is safe across threads

    font = japanese_font()
    text_style = {"fontfamily": font} if font else {}
    fig = Figure(figsize=(7, 5.2), dpi=110)
    ax = fig.subplots()
    labels = []
    for word, role, x, y in points:
        colour, size, bold = ROLE_STYLE.get(role, ROLE_STYLE["result"])
        ax.scatter([x], [y], s=size, color=colour, alpha=0.85, zorder=3)
        labels.append(ax.annotate(
            word, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=12 if bold else 10,
            fontweight="bold" if bold else "normal", color=colour if bold else "#222222", zorder=4, **text_style))
    if points:
        xs, ys = [p[2] for p in points], [p[3] for p in points]
        pad_x, pad_y = (max(xs) - min(xs)) * 0.12 + 1e-3, (max(ys) - min(ys)) * 0.12 + 1e-3
        ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x * 2.5)  # room for labels on the right
        ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("PC1", fontsize=9, color="#666666")
    ax.set_ylabel("PC2", fontsize=9, color="#666666")
    if title:
        ax.set_title(title, fontsize=12, **text_style)
    shown = {role for _, role, _, _ in points}
    handles = [
        ax.scatter([], [], s=ROLE_STYLE[role][1], color=ROLE_STYLE[role][0], label=label)
        for role, label in (legend or {}).items() if role in shown
    ]
    if handles:
        ax.legend(handles=handles, loc="best", frameon=False, prop={"family": font, "size": 9} if font else {"size": 9})
    fig.tight_layout()
    _spread_labels(fig, labels, [ax.transData.transform((x, y)) for _, _, x, y in points])
    path = Path(path)
    fig.savefig(path, format="png")
    return path


def _spread_labels(fig, labels: list, dots: list, step: float = 9.0, tries: int = 8) -> None:
    """Move labels that would cover a dot or an earlier label up or down a little (queries first)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    renderer = FigureCanvasAgg(fig).get_renderer()
    radius = 6  # pixels: the largest marker's radius at our dpi
    placed = [Bbox.from_extents(x - radius, y - radius, x + radius, y + radius) for x, y in dots]
    for label in labels:
        dx, dy = label.xyann
        for attempt in range(tries + 1):
            box = label.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in placed):
                break
            shift = step * (attempt // 2 + 1) * (1 if attempt % 2 == 0 else -1)  # +1, -1, +2, -2 steps
            label.xyann = (dx, dy + shift)
        placed.append(label.get_window_extent(renderer))


def draw_neighbourhood(kv, words_roles: list, path, title: str = "", legend: dict = None) -> Path:
    return draw(neighbourhood_points(kv, words_roles), path, title, legend)
