"""`{% url_for %}`: the address of one record for the rows of a list, the same as `{% url %}` gives."""

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
