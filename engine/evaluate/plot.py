"""The Evaluate tab's picture: how one per-row metric is spread, one colour per model."""
from engine.core.fonts import font_families
from engine.core.messages import aside, text
from engine.evaluate.metrics import HIGHER_IS_BETTER

PLOT_METRIC = "chrf"


def score_plot(results: list, metric: str = PLOT_METRIC):
    """Histogram of one per-row metric, one colour per model, with Japanese labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": font_families(), "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        _draw(ax, results, metric)
        fig.tight_layout()
    plt.close(fig)
    return fig


def _draw(ax, results: list, metric: str) -> None:
    high = 100 if metric in ("chrf", "bleu") else 1
    bins = [high * i / 10 for i in range(11)]
    for result in results:
        ax.hist(result.rows[metric], bins=bins, alpha=0.55, label=result.model)
    direction = text("evaluation.higher" if HIGHER_IS_BETTER[metric] else "evaluation.lower")
    ax.set_xlabel(aside(text(f"evaluation.{metric}"), direction))
    ax.set_ylabel(text("evaluate.plot_rows"))
    ax.set_title(text("evaluate.plot_title", metric=text(f"evaluation.{metric}")))
    ax.legend()
