from reports.charts import bar_chart, column_chart


def test_column_chart_marks_bars_above_the_reference_and_escapes_labels():
    svg = column_chart(
        title="Load <team>", labels=["S1", "S<2>"], values=[50.0, 150.0], unit="%",
        reference=100.0,
    )  # fmt: skip
    assert svg.startswith("<svg") and 'aria-label="Load &lt;team&gt;"' in svg
    assert "S&lt;2&gt;" in svg and "<2>" not in svg
    assert svg.count('fill="#a40e26"') == 1  # one bar over 100%
    assert ">150%<" in svg and ">50%<" in svg


def test_bar_chart_highlights_and_shows_missing_values_as_a_dash():
    svg = bar_chart(title="Hours", labels=["ann", "bob"], values=[12.5, None], unit=" h",
                    highlight={"ann"})  # fmt: skip
    assert svg.count('fill="#a40e26"') == 1
    assert ">12.5 h<" in svg and ">-<" in svg
    assert bar_chart(title="Empty", labels=[], values=[]).startswith("<svg")
