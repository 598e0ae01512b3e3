"""The charts' scale: round gridlines over the figures, computed in Decimal like the figures themselves."""

from decimal import Decimal as D

from prebill.dashboard.charts import Bar, _ticks, bar_chart


def test_the_gridlines_are_round_and_cover_the_figures_from_zero():
    assert _ticks([D("103288.20"), D("5")]) == [D(0), D(50000), D(100000), D(150000)]
    assert _ticks([D("-250"), D("900")]) == [D(-500), D(0), D(500), D(1000)]
    assert _ticks([D("0.30")]) == [D("0"), D("0.1"), D("0.2"), D("0.3")]
    assert _ticks([]) == [D("0"), D("0.25"), D("0.5"), D("0.75"), D("1")]  # nothing yet: a scale to 1 €
    assert all(isinstance(tick, D) for tick in _ticks([D("12.34")]))


def test_a_bar_reaches_its_figure_on_the_scale():
    svg = bar_chart(chart_id="c", title="t", desc="d",
                    groups=[("nov.", [Bar(value=D("100"), text="100 €", href="/x", series="this")])])
    # 0 to 100 over the plot (240 - 12 - 28 = 200 px from y=12): the bar spans the whole height.
    assert 'y="12.0"' in svg and 'height="200.0"' in svg and "<title>100 €</title>" in svg
