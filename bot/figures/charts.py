"""Chart images for the digest, rendered with matplotlib (no display needed).

Chinese labels need a CJK font on the machine: ``setup.sh`` installs WenQuanYi Micro Hei
(Debian's fonts-wqy-microhei); Noto CJK works as well when present.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
# Where setup.sh's Debian packages put them; matplotlib's font cache may predate the install.
CJK_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@cache
def cjk_font() -> str | None:
    """The first CJK font installed, or None (the chart then falls back, boxes for hanzi)."""
    # matplotlib is imported here, not at start: a running bot draws once a day, and the
    # import costs some 30 MB of memory that would otherwise be held all day.
    from matplotlib import font_manager

    for path in CJK_FILES:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def arrival_chart(
    title: str,
    squads: list[str],
    medians: list[float | None],
    p90s: list[float | None],
    median_label: str,
    p90_label: str,
    axis_label: str,
    no_data_label: str,
) -> bytes:
    """Grouped bars: median and p90 minutes to arrive per squad, as a PNG. A squad without
    arrivals (None) gets ``no_data_label`` written in its slot, never a zero-height bar."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.6), dpi=110)
    axes = figure.subplots()
    font = cjk_font()
    if font is not None:
        for target in (axes.title, axes.xaxis.label, axes.yaxis.label):
            target.set_fontfamily(font)
    positions = list(range(len(squads)))
    width = 0.38
    with_data = [p for p in positions if medians[p] is not None]
    axes.bar(
        [p - width / 2 for p in with_data],
        [medians[p] or 0.0 for p in with_data],
        width,
        label=median_label,
        color="#2b7bba",
    )
    axes.bar(
        [p + width / 2 for p in with_data],
        [p90s[p] or 0.0 for p in with_data],
        width,
        label=p90_label,
        color="#f29e4c",
    )
    top = max((v for v in p90s if v is not None), default=0.0)
    axes.set_ylim(0, max(top * 1.15, 1.0))
    for p in positions:
        if medians[p] is None:
            axes.text(
                p, top * 0.05 if top else 0.05, no_data_label, ha="center", va="bottom",
                color="#777777", fontfamily=font,
            )  # fmt: skip
    axes.set_xticks(positions, squads, fontfamily=font)
    axes.set_ylabel(axis_label)
    axes.set_title(title)
    axes.legend(prop={"family": font} if font else None)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
