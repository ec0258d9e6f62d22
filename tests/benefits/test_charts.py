"""The Making Data Count chart, icons and value formatting, rendered through Django's template engine (no database)."""

import datetime
import re

import pytest
from django.template import Context, Template

from benefits import spc
from benefits.templatetags.benefits_charts import _nice_ticks

RAG_COLOURS = ("#d5281b", "#ffb81c", "#007f3b")  # NHS red, warm yellow, green: never on an SPC chart
IMPROVEMENT_BLUE = "#005eb8"
CONCERN_ORANGE = "#ed8b00"


def month(i):
    return datetime.date(2024 + i // 12, i % 12 + 1, 1)


def chart(values, better="higher", **kwargs):
    return spc.xmr([(month(i), v) for i, v in enumerate(values)], better=better, **kwargs)


def render(source, **context):
    return Template("{% load benefits_charts %}" + source).render(Context(context))


def render_chart(c, title="Discharges before noon", unit="%"):
    return render("{% xmr_chart chart title=title unit=unit %}", chart=c, title=title, unit=unit)


def body_rows(html):
    tbody = html.split('<tbody class="nhsuk-table__body"', 1)[1].split("</tbody>", 1)[0]
    return tbody.count("<tr ")


SPIKE_HIGH = [10, 12, 10, 12, 10, 40]  # the last point is above the upper limit
TWELVE = [10, 12, 11, 15, 12, 11, 10, 13, 12, 11, 12, 13]


def test_the_chart_is_an_svg_image_labelled_by_its_title_and_description():
    html = render_chart(chart(SPIKE_HIGH))
    svg = re.search(r"<svg class=\"app-xmr__svg\"[^>]*>", html).group(0)
    assert 'role="img"' in svg
    assert 'viewBox="0 0 640 300"' in svg
    assert 'width="100%"' in svg
    ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
    assert ids == ["xmr-discharges-before-noon-title", "xmr-discharges-before-noon-desc"]
    assert '<title id="xmr-discharges-before-noon-title">Discharges before noon</title>' in html
    assert '<desc id="xmr-discharges-before-noon-desc">' in html


def test_the_description_summarises_latest_value_mean_and_limits():
    html = render_chart(chart(SPIKE_HIGH))
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", html).group(1)
    assert "Latest value 40.0% (Jun 2024)" in desc
    assert "Mean 15.7%" in desc
    assert "process limits -4.5% to 35.9%" in desc
    assert "Special cause variation – improvement (high)" in desc
    assert "Provisional limits (fewer than 12 points)" in desc


def test_a_special_cause_improvement_point_is_blue():
    html = render_chart(chart(SPIKE_HIGH))
    improvement = re.findall(r'<circle class="app-xmr__point app-xmr__point--improvement"[^>]*>', html)
    assert len(improvement) == 1
    assert f'fill="{IMPROVEMENT_BLUE}"' in improvement[0]
    assert html.count('class="app-xmr__point app-xmr__point--common"') == 5


def test_a_special_cause_concern_point_is_orange():
    html = render_chart(chart(SPIKE_HIGH, better="lower"))
    concern = re.findall(r'<circle class="app-xmr__point app-xmr__point--concern"[^>]*>', html)
    assert len(concern) == 1
    assert f'fill="{CONCERN_ORANGE}"' in concern[0]


def test_the_chart_has_mean_limits_and_a_visible_legend():
    html = render_chart(chart(SPIKE_HIGH))
    assert 'class="app-xmr__mean"' in html
    assert 'class="app-xmr__limit app-xmr__limit--upper"' in html
    assert 'class="app-xmr__limit app-xmr__limit--lower"' in html
    assert 'stroke-dasharray="6 4"' in html  # limits are dashed
    legend = html.split('<ul class="app-xmr__legend"', 1)[1].split("</ul>", 1)[0]
    for label in ("Mean", "Process limits", "Common cause", "Special cause – improvement", "Special cause – concern"):
        assert label in legend


def test_the_target_line_is_labelled():
    html = render_chart(chart(SPIKE_HIGH, target=20))
    assert 'class="app-xmr__target"' in html
    assert ">Target</text>" in html


def test_there_is_no_target_line_without_a_target():
    assert 'class="app-xmr__target"' not in render_chart(chart(SPIKE_HIGH))


def test_axis_labels_are_dates_and_round_numbers():
    html = render_chart(chart(TWELVE), unit="count")
    x_labels = re.findall(r'<text x="[\d.]+" y="284">([^<]+)</text>', html)
    assert x_labels[:2] == ["Jan 2024", "Mar 2024"]
    y_labels = re.findall(r'<text x="56" y="[\d.]+" dy="0.35em">([^<]+)</text>', html)
    assert y_labels == ["6", "8", "10", "12", "14", "16", "18"]  # limits 7.2 to 16.4, in steps of 2


def test_provisional_limits_are_noted():
    html = render_chart(chart(SPIKE_HIGH))
    assert '<p class="app-xmr__note">Provisional limits (fewer than 12 points)</p>' in html


def test_twelve_points_are_not_provisional():
    assert "Provisional limits" not in render_chart(chart(TWELVE))


def test_a_re_based_chart_shows_the_marker():
    c = chart([10, 12, 10, 12, 10, 12, 20, 22, 20, 22], rebase=month(6))
    html = render_chart(c)
    assert 'class="app-xmr__rebase"' in html
    assert "Re-based 1 Jul 2024" in html
    assert "Limits re-based from 1 Jul 2024" in html


def test_the_table_has_one_row_per_point():
    c = chart([*SPIKE_HIGH[:3], None, *SPIKE_HIGH[3:]])
    html = render_chart(c)
    assert '<details class="nhsuk-details app-xmr__details">' in html
    assert "Show the figures as a table" in html
    assert '<table class="nhsuk-table' in html
    assert body_rows(html) == len(c.points) == 7
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', html)
    assert headers == ["Period", "Value", "Mean", "Lower limit", "Upper limit", "Special cause"]
    assert ">Yes – improvement (high)</span></td>" in html
    assert "not available" in html  # the missing month says so to a screen reader


def test_a_missing_value_breaks_the_line():
    html = render_chart(chart([10, 12, None, 11, 15, 12]))
    path = re.search(r'<path class="app-xmr__line" d="([^"]+)"', html).group(1)
    assert path.count("M") == 2


def test_a_chart_without_values_says_so():
    html = render_chart(spc.xmr([(month(0), None)], better="higher"))
    assert "<svg" not in html
    assert "No figures to chart yet." in html


def test_no_red_amber_green_scripts_styles_or_external_assets():
    charts = [chart(SPIKE_HIGH, better=b, target=20) for b in ("higher", "lower", "neither")]
    html = "".join(
        render("{% xmr_chart c title='A' %}{% mdc_variation_icon c %}{% mdc_assurance_icon c %}", c=c) for c in charts
    )
    for colour in RAG_COLOURS:
        assert colour not in html.lower()
    assert "<script" not in html
    assert "style=" not in html  # the content security policy allows no inline styles
    assert re.findall(r"https?://[^\"']+", html) == ["http://www.w3.org/2000/svg"] * html.count("xmlns=")


@pytest.mark.parametrize(
    ("values", "better", "label", "colour"),
    [
        ([10, 12, 11, 15, 12], "higher", "Common cause variation", "#768692"),
        (SPIKE_HIGH, "higher", "Special cause variation – improvement (high)", IMPROVEMENT_BLUE),
        (SPIKE_HIGH, "lower", "Special cause variation – concern (high)", CONCERN_ORANGE),
        (SPIKE_HIGH, "neither", "Special cause variation – neither improvement nor concern (high)", "#330072"),
    ],
)
def test_variation_icon_is_an_image_with_its_meaning(values, better, label, colour):
    html = render("{% mdc_variation_icon c %}", c=chart(values, better=better))
    assert 'role="img"' in html
    assert f'aria-label="{label}"' in html
    assert f"<title>{label}</title>" in html
    assert f'stroke="{colour}"' in html


def test_variation_icon_shows_h_or_l():
    assert ">H</text>" in render("{% mdc_variation_icon c %}", c=chart(SPIKE_HIGH))
    assert ">L</text>" in render("{% mdc_variation_icon c %}", c=chart([30, 28, 30, 28, 30, 0], better="lower"))


@pytest.mark.parametrize(
    ("target", "letter", "colour", "label"),
    [
        (5, "P", IMPROVEMENT_BLUE, "consistently meet the target"),
        (30, "F", CONCERN_ORANGE, "consistently fail the target"),
        (12, "?", "#768692", "hit and miss"),
    ],
)
def test_assurance_icon_is_an_image_with_its_meaning(target, letter, colour, label):
    html = render("{% mdc_assurance_icon c %}", c=chart([10, 12, 11, 15, 12], target=target))
    assert 'role="img"' in html
    assert f">{letter}</text>" in html
    assert f'stroke="{colour}"' in html
    assert label in re.search(r'aria-label="([^"]+)"', html).group(1)


def test_no_assurance_icon_without_a_target():
    assert render("{% mdc_assurance_icon c %}", c=chart([10, 12, 11, 15, 12])).strip() == ""


def test_no_variation_icon_without_limits():
    assert render("{% mdc_variation_icon c %}", c=chart([10])).strip() == ""


def test_an_icon_with_a_visible_label_hides_the_image_from_screen_readers():
    html = render("{% mdc_variation_icon c label=True %}", c=chart(SPIKE_HIGH))
    assert 'aria-hidden="true"' in html
    assert 'role="img"' not in html
    assert '<span class="app-mdc-icon-label__text">Special cause variation – improvement (high)</span>' in html


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (None, "%", "–"),
        (None, "count", "–"),
        (1234567, "count", "1,234,567"),
        (12.5, "count", "13"),
        (12345.67, "£", "£12,346"),
        (-1500, "£", "-£1,500"),
        (45.25, "%", "45.3%"),
        (7, "%", "7.0%"),
        (3.25, "days", "3.3 days"),
        (4.0, "days", "4 days"),
        (1, "days", "1 day"),
        (1, "beds", "1 bed"),
        (12, "beds", "12 beds"),
        (2.5, "hours", "2.5 hours"),
        (90, "minutes", "90 minutes"),
        (1234.56, "per 100,000", "1,234.6 per 100,000"),
    ],
)
def test_metric_value_formats_each_unit(value, unit, expected):
    assert render("{{ v|metric_value:unit }}", v=value, unit=unit) == expected


@pytest.mark.parametrize(
    ("low", "high", "integer", "ticks"),
    [
        (0, 20, True, [0, 5, 10, 15, 20]),
        (41.1, 55, False, [40, 45, 50, 55]),
        (0.12, 0.48, False, [0.1, 0.2, 0.3, 0.4, 0.5]),
        (5, 5, True, [4, 5, 6]),
    ],
)
def test_y_axis_ticks_are_round_numbers(low, high, integer, ticks):
    assert _nice_ticks(low, high, integer=integer)[0] == ticks


@pytest.mark.parametrize(
    ("low", "high", "decimals"),
    [(0, 1.2, 2), (0, 12, 1), (0, 120, 0), (0, 1000, 0), (0, 0.5, 1)],
)
def test_y_axis_ticks_show_as_many_decimals_as_the_step_needs(low, high, decimals):
    assert _nice_ticks(low, high, integer=False)[1] == decimals


def test_a_single_value_is_drawn_without_limits():
    html = render_chart(chart([None, 42]))
    assert 'role="img"' in html
    assert 'class="app-xmr__mean"' not in html
    assert "Latest value 42.0% (Feb 2024)" in html
    assert "Too few values to calculate a mean and process limits" in html
    assert "Provisional limits" not in html  # there are no limits to be provisional


def test_chart_id_keeps_two_charts_with_one_title_apart():
    html = render("{% xmr_chart c title='Delays' chart_id='delays-ward-1' %}", c=chart(SPIKE_HIGH))
    assert 'id="delays-ward-1"' in html
    assert 'aria-labelledby="delays-ward-1-title delays-ward-1-desc"' in html
