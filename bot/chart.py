"""A small chart of a patient's pain scores by day relative to the injection, for /suivi.

matplotlib is imported lazily (it takes a while to load and only staff ever ask for this),
with the non-interactive Agg backend: the bot runs on a server without a screen.

Every text on the chart is drawn with ``parse_math=False``: the title carries the label staff
typed, and matplotlib would otherwise read ``$...$`` in it as mathtext (``$\\sqrt{$`` raised).
"""

from __future__ import annotations

import io


def pain_chart(points: list[tuple[int, int]], title: str) -> bytes:
    """PNG bytes: x = day relative to the injection (J+n), y = pain score 0..10."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    days = [d for d, _ in points]
    scores = [s for _, s in points]
    fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
    try:
        ax.plot(days, scores, marker="o", color="#c0392b")
        ax.set_ylim(-0.5, 10.5)
        ax.set_yticks(range(0, 11, 2))
        ax.set_xticks(days)
        ax.set_xticklabels([f"J{d:+d}" if d else "J0" for d in days], parse_math=False)
        ax.axhline(7, color="#999999", linestyle="--", linewidth=0.8)
        ax.set_xlabel("Jour par rapport à l'injection", parse_math=False)
        ax.set_ylabel("Douleur (0-10)", parse_math=False)
        ax.set_title(title, fontsize=10, parse_math=False)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)
