"""`{% url_for %}` and the date filters: what the rows of a list show, the same as `{% url %}` and `|date` give."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from ocit.templatetags.ocit import url_for


@pytest.mark.parametrize(
    "name", ["caseload:patient_detail", "caseload:episode_detail", "caseload:episode_allocate_form", "referrals:detail"]
)
@pytest.mark.parametrize("pk", [1, 7, 2147483647, 90210])
def test_it_gives_the_address_url_gives(name, pk):
    assert url_for(name, pk) == reverse(name, args=[pk])


def test_it_keeps_the_prefix_the_app_is_served_under():
    try:
        set_script_prefix("/ocit/")
        assert url_for("caseload:patient_detail", 5) == reverse("caseload:patient_detail", args=[5])
        assert url_for("caseload:patient_detail", 5).startswith("/ocit/")
    finally:
        set_script_prefix("/")
    assert url_for("caseload:patient_detail", 5) == "/caseload/patients/5/"


def test_it_refuses_what_is_not_an_id_and_an_address_without_one():
    with pytest.raises(ValueError):
        url_for("caseload:patient_detail", "5/../../admin")
    with pytest.raises(NoReverseMatch):
        url_for("caseload:triage", 5)


def test_in_a_template_it_can_be_kept_for_later():
    html = Template("{% url_for 'caseload:episode_detail' id as address %}<a href='{{ address }}'>").render(
        Context({"id": 12})
    )
    assert html == f"<a href='{reverse('caseload:episode_detail', args=[12])}'>"


def _instants():
    """Every half hour in UTC across both of 2026's clock changes in London, and the turn of a year."""
    for start in ("2026-03-28T22:00", "2026-10-24T22:00", "2026-12-31T22:00"):
        first = datetime.datetime.fromisoformat(start).replace(tzinfo=datetime.UTC)
        yield from (first + datetime.timedelta(minutes=30 * step) for step in range(8 * 2))


def _render(source, value):
    return Template(source).render(Context({"value": value}))


@pytest.mark.parametrize(
    ("ours", "djangos"), [("day", 'date:"j M Y"'), ("day_time", 'date:"j M Y H:i"'), ("iso", 'date:"c"')]
)
def test_the_date_filters_give_what_date_gives_in_local_time(ours, djangos):
    for instant in _instants():
        assert _render(f"{{{{ value|{ours} }}}}", instant) == _render(f"{{{{ value|{djangos} }}}}", instant)


def test_across_the_clock_change_the_local_time_is_shown():
    """01:30 UTC on 25 Oct 2026 is 01:30 GMT, an hour after 01:30 UTC the day before was 02:30 BST."""
    assert _render("{{ value|day_time }}", datetime.datetime(2026, 10, 24, 1, 30, tzinfo=datetime.UTC)) == (
        "24 Oct 2026 02:30"
    )
    assert _render("{{ value|day_time }}", datetime.datetime(2026, 10, 25, 1, 30, tzinfo=datetime.UTC)) == (
        "25 Oct 2026 01:30"
    )
    assert _render("{{ value|day }}", datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)) == "1 Jul 2026"


@pytest.mark.parametrize("value", [datetime.date(2026, 1, 5), datetime.date(2024, 2, 29)])
def test_a_date_is_shown_as_date_shows_it(value):
    assert _render("{{ value|day }}", value) == _render('{{ value|date:"j M Y" }}', value)
    assert _render("{{ value|iso }}", value) == _render('{{ value|date:"c" }}', value)


@pytest.mark.parametrize("value", [None, "", "not a date", 7, datetime.date(2026, 1, 5)])
def test_what_has_no_time_shows_nothing(value):
    assert _render("{{ value|day_time }}", value) == ""
    if not isinstance(value, datetime.date):
        assert _render("{{ value|day }}|{{ value|iso }}", value) == "|"


def test_options_selects_the_chosen_value_and_escapes_labels():
    html = Template("{% options choices chosen %}").render(
        Context({"choices": [("open", "Open"), ("met", "Met <fully>")], "chosen": "met"})
    )
    assert html == '<option value="open">Open</option><option value="met" selected>Met &lt;fully&gt;</option>'
    assert "selected" not in Template("{% options choices None %}").render(Context({"choices": [("a", "A")]}))
