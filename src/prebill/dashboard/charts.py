"""Bar charts drawn on the server as inline SVG: no script, no outside library, readable without colours.

Each chart carries a <title> and a <desc> (the page also prints its figures in a table), and each bar is a
link to the page that lists what it counts, with its figure as a tooltip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 78, 8, 12, 28


@dataclass(frozen=True)
class Bar:
    value: Decimal
    text: str  # what a screen reader and the tooltip say: "novembre 2026 : 1 234,56 €"
    href: str
    series: str  # a CSS class: the legend tells the series apart


STEPS = tuple(Decimal(k) for k in ("1", "2", "2.5", "5", "10"))


def _step(span: Decimal) -> Decimal:
    """A round step giving about four gridlines over `span` (amounts stay Decimal, pixels included)."""
    raw = span / 4
    magnitude = Decimal(1).scaleb(raw.adjusted())  # the power of ten at or below raw
    return next(k * magnitude for k in STEPS if k * magnitude >= raw)


def _ticks(values: list[Decimal]) -> list[Decimal]:
    low, high = min([Decimal(0), *values]), max([Decimal(0), *values])
    if low == high:
        high = Decimal(1)
    step = _step(high - low)
    start, stop = math.floor(low / step), math.ceil(high / step)
    return [k * step for k in range(start, stop + 1)]


def _tick_label(value: Decimal) -> str:
    return formats.number_format(value.quantize(Decimal(1)), 0, use_l10n=True, force_grouping=True) + "\u00a0€"


def bar_chart(*, chart_id: str, title: str, desc: str, groups: list[tuple[str, list[Bar]]],
              width: int = WIDTH) -> SafeString:
    """Groups of bars side by side (a month's two years, or one bar per age), on a zero baseline."""
    ticks = _ticks([bar.value for _, bars in groups for bar in bars])
    low, high = ticks[0], ticks[-1]
    plot_height = HEIGHT - TOP - BOTTOM

    def y(value: Decimal) -> Decimal:
        return TOP + (high - value) / (high - low) * plot_height

    def at(value: Decimal) -> str:  # format_html escapes its arguments into text: coordinates go in as text
        return f"{value:.1f}"

    grid = format_html_join("", '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                            '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                            ((LEFT, width - RIGHT, at(y(t)), at(y(t)), LEFT - 6, at(y(t) + 4), _tick_label(t))
                             for t in ticks))
    slot = Decimal(width - LEFT - RIGHT) / max(len(groups), 1)
    parts = []
    for index, (label, bars) in enumerate(groups):
        bar_width = slot * Decimal("0.76") / max(len(bars), 1)
        x0 = LEFT + index * slot + slot * Decimal("0.12")
        for position, bar in enumerate(bars):
            top, bottom = sorted((y(bar.value), y(Decimal(0))))
            parts.append(format_html(
                '<a href="{}"><rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect></a>',
                bar.href, bar.series, at(x0 + position * bar_width), at(top), at(bar_width - 1),
                at(max(bottom - top, Decimal("0.5"))), bar.text))
        parts.append(format_html('<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                                 at(LEFT + index * slot + slot / 2), HEIGHT - 8, label))
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{grid}'
        '<line class="baseline" x1="{left}" x2="{right}" y1="{zero}" y2="{zero}"/>{bars}</svg>',
        id=chart_id, w=width, h=HEIGHT, title=title, desc=desc, grid=grid, left=LEFT, right=width - RIGHT,
        zero=at(y(Decimal(0))), bars=mark_safe("".join(parts)))
