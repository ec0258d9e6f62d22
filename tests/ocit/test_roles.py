"""Each role reaches exactly the pages and API endpoints its capabilities allow, and ward staff see only their wards."""

import pytest
from django.urls import reverse

from ocit.roles import HOME_PAGES
from tests import factories

ROLES = ["lit_practitioner", "lit_coordinator", "ward_staff", "programme_board", "system_admin"]
ROLE_FIXTURES = dict(zip(ROLES, ["practitioner", "coordinator", "ward_nurse", "board_member", "sysadmin"], strict=True))

# Expected status per role, in the order of ROLES: practitioner, coordinator, ward staff, board, admin.
PAGES = {
    "caseload:search": (200, 200, 403, 403, 403),
    "caseload:triage": (200, 200, 403, 403, 403),
    "caseload:mine": (200, 200, 403, 403, 403),
    "caseload:team": (200, 200, 403, 403, 403),
    "caseload:patient_detail": (200, 200, 404, 403, 403),  # ward staff: only people who stayed on their wards
    "caseload:patient_access_history": (403, 200, 403, 403, 200),
    "discharge:ward_board": (200, 200, 200, 403, 403),
    "benefits:dashboard": (403, 200, 403, 200, 200),
    "administration": (403, 403, 403, 403, 200),
    "admin:index": (403, 403, 403, 403, 200),
}
API = {
    "/api/v1/patients/": (200, 200, 200, 403, 403),  # ward staff: the people who stayed on their wards
    "/api/v1/wards/": (200, 200, 200, 403, 403),
    "/api/v1/spells/": (200, 200, 200, 403, 403),
}


PATIENT_PAGES = {"caseload:patient_detail", "caseload:patient_access_history"}


def page_url(name, patient):
    return reverse(name, args=[patient.pk] if name in PATIENT_PAGES else [])


@pytest.fixture
def login_as(client, request, db):
    def login(role):
        user = request.getfixturevalue(ROLE_FIXTURES[role])
        client.force_login(user)
        return user

    return login


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [(name, role, status) for name, statuses in PAGES.items() for role, status in zip(ROLES, statuses, strict=True)],
)
def test_page_status_follows_the_role_table(client, login_as, patient, name, role, expected):
    login_as(role)
    # The admin sends users without admin access via its login page; follow that to where they end up.
    response = client.get(page_url(name, patient), follow=name == "admin:index")
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("url", "role", "expected"),
    [(url, role, status) for url, statuses in API.items() for role, status in zip(ROLES, statuses, strict=True)],
)
def test_api_status_follows_the_role_table(client, login_as, url, role, expected):
    login_as(role)
    assert client.get(url).status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_home_page_sends_each_role_to_its_own_start_page(client, login_as, role):
    login_as(role)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse(HOME_PAGES[role])


@pytest.mark.parametrize("name", [*PAGES, "home"])
def test_anonymous_users_are_sent_to_log_in_for_every_page(client, patient, name):
    url = reverse("home") if name == "home" else page_url(name, patient)
    response = client.get(url, follow=True)
    assert response.redirect_chain, "the page was shown without a login"
    assert response.status_code == 200
    assert "registration/login.html" in [template.name for template in response.templates]


@pytest.mark.parametrize("url", API)
def test_anonymous_api_requests_are_refused(client, db, url):
    response = client.get(url)
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


@pytest.fixture
def spells(ward_a, ward_b, teams):
    """One patient in hospital on the nurse's ward (W10) and one on another ward (W22)."""
    return {
        "own": factories.SpellFactory(ward=ward_a, patient=factories.PatientFactory(family_name="Ownward")),
        "other": factories.SpellFactory(ward=ward_b, patient=factories.PatientFactory(family_name="Otherward")),
    }


def test_ward_board_shows_ward_staff_only_their_own_wards(client, ward_nurse, spells):
    client.force_login(ward_nurse)
    page = client.get(reverse("discharge:ward_board")).content.decode()
    assert "OWNWARD" in page
    assert "OTHERWARD" not in page
    assert "Ward 22" not in page


def test_ward_board_shows_lit_staff_every_ward(client, practitioner, spells):
    client.force_login(practitioner)
    page = client.get(reverse("discharge:ward_board")).content.decode()
    assert "OWNWARD" in page
    assert "OTHERWARD" in page


def test_ward_staff_cannot_pick_another_ward_on_the_board(client, ward_nurse, ward_b):
    client.force_login(ward_nurse)
    assert client.get(reverse("discharge:ward_board"), {"ward": ward_b.pk}).status_code == 404


def test_spell_api_lists_only_the_ward_users_own_wards(client, ward_nurse, spells):
    client.force_login(ward_nurse)
    ids = [row["id"] for row in client.get("/api/v1/spells/").json()["results"]]
    assert ids == [spells["own"].pk]


def test_ward_api_lists_only_the_ward_users_own_wards(client, ward_nurse, ward_b):
    client.force_login(ward_nurse)
    codes = [row["code"] for row in client.get("/api/v1/wards/").json()["results"]]
    assert codes == ["W10"]


def test_spell_on_another_ward_is_not_found_for_ward_staff(client, ward_nurse, spells):
    client.force_login(ward_nurse)
    assert client.get(f"/api/v1/spells/{spells['own'].pk}/").status_code == 200
    assert client.get(f"/api/v1/spells/{spells['other'].pk}/").status_code == 404
