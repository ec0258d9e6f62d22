"""The external measures import, on screen and over the API: only system administrators import; bad rows are
shown with their line numbers and nothing is written until the user confirms; a re-import changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from benefits import imports
from benefits.models import ExternalMeasure
from ocit.models import ChangeLog

PAGE = reverse("benefits:measures_import")
EXAMPLE = reverse("benefits:measures_import_example")
API = "/api/v1/external-measures/"
GOOD = "measure,date,value\nbed_occupancy,2025-03-01,95\nbed_occupancy,2025-03-02,97.5\ned_attendances,2025-03-01,410\n"
MIXED = "measure,date,value\nbed_occupancy,2025-03-01,95\nbed_occupancy,2025-03-02,lots\nnonsense,2025-03-03,1\n"
NOT_IMPORTERS = ["practitioner", "coordinator", "ward_nurse", "board_member"]
# Any logged-in request: session and user read, then the session saved again for the idle time-out (3 in a test).
PER_REQUEST_QUERIES = 2 + 3


def csv_file(text, name="measures.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def page_text(response):
    return response.content.decode()


def held():
    return {(m.measure, m.on): m.value for m in ExternalMeasure.objects.all()}


def import_logs():
    return ChangeLog.objects.filter(object_type="benefits.externalmeasure")


@pytest.fixture
def as_user(client, request, db):
    def login(fixture_name):
        client.force_login(request.getfixturevalue(fixture_name))
        return client

    return login


@pytest.fixture
def admin_client(as_user):
    return as_user("sysadmin")


# The page -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_IMPORTERS)
@pytest.mark.parametrize("url", [PAGE, EXAMPLE])
def test_only_system_administrators_may_open_the_import_pages(as_user, role, url):
    assert as_user(role).get(url).status_code == 403


def test_others_may_not_import_by_posting_either(as_user):
    client = as_user("board_member")

    assert client.post(PAGE, {"file": csv_file(GOOD)}).status_code == 403
    assert client.post(PAGE, {"csv": GOOD}).status_code == 403
    assert ExternalMeasure.objects.count() == 0


def test_the_upload_page_describes_the_format_and_links_the_example(admin_client):
    response = admin_client.get(PAGE)

    text = page_text(response)
    assert response.status_code == 200
    assert 'type="file"' in text
    assert "ambulance_handover_minutes" in text
    assert EXAMPLE in text


def test_the_example_file_downloads_as_csv(admin_client):
    response = admin_client.get(EXAMPLE)

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().startswith("measure,date,value\r\n")


def test_uploading_a_file_previews_it_and_writes_nothing(admin_client):
    response = admin_client.post(PAGE, {"file": csv_file(GOOD)})

    text = page_text(response)
    assert response.status_code == 200
    assert "Check the file" in text
    assert "Acute bed occupancy (%)" in text
    assert "1 Mar 2025 to 2 Mar 2025" in text
    assert "Import 3 rows" in text
    assert ExternalMeasure.objects.count() == 0


def test_bad_rows_are_shown_with_their_line_numbers_and_nothing_is_written(admin_client):
    response = admin_client.post(PAGE, {"file": csv_file(MIXED)})

    text = page_text(response)
    assert "There is a problem" in text
    assert 'href="#line-3"' in text
    assert "Line 3: The value &#x27;lots&#x27; is not a number" in text
    assert "Line 4: Unknown measure &#x27;nonsense&#x27;" in text
    assert 'id="line-4"' in text
    assert "Import 1 good row" in text
    assert ExternalMeasure.objects.count() == 0


def test_a_file_with_no_good_rows_offers_no_import(admin_client):
    response = admin_client.post(PAGE, {"file": csv_file("measure,date,value\nbed_occupancy,2025-03-01,-5\n")})

    text = page_text(response)
    assert "Line 2: The value cannot be negative." in text
    assert "No row in this file can be imported." in text
    assert 'name="csv"' not in text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "The file is empty."),
        (b"measure,date,value,notes\nbed_occupancy,2025-03-01,95,x\n", "Unexpected column &#x27;notes&#x27;"),
        (b"bed_occupancy,2025-03-01,95\n", "The first line must be a header"),
        ("measure,date,value\n£\n".encode("utf-16"), "not a UTF-8 text file"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_clear_error_on_the_form(admin_client, content, reason):
    response = admin_client.post(PAGE, {"file": SimpleUploadedFile("measures.csv", content)})

    text = page_text(response)
    assert response.status_code == 200
    assert "There is a problem" in text
    assert 'href="#id_file"' in text
    assert reason in text
    assert "<title>Error:" in text


def test_no_file_chosen_is_a_clear_error(admin_client):
    text = page_text(admin_client.post(PAGE, {}))

    assert "Choose a CSV file to upload" in text


def test_a_file_too_big_is_refused(admin_client, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 20)

    text = page_text(admin_client.post(PAGE, {"file": csv_file(GOOD)}))

    assert "The file is larger than" in text


def test_the_preview_carries_the_file_for_the_confirmation(admin_client):
    response = admin_client.post(PAGE, {"file": csv_file(MIXED)})

    confirm = response.context["confirm_form"]
    assert confirm["csv"].value() == MIXED
    assert confirm["filename"].value() == "measures.csv"


def test_confirming_imports_the_good_rows_and_says_what_changed(admin_client, sysadmin):
    response = admin_client.post(PAGE, {"csv": MIXED, "filename": "measures.csv"}, follow=True)

    text = page_text(response)
    assert "Measures imported: 1 added, 0 updated, 0 unchanged. 2 bad rows left out." in text
    assert held() == {("bed_occupancy", datetime.date(2025, 3, 1)): Decimal("95.00")}
    (log,) = import_logs()
    assert log.actor == sysadmin
    assert "measures.csv" in log.reason


def test_confirming_the_same_file_again_changes_nothing(admin_client):
    admin_client.post(PAGE, {"csv": GOOD, "filename": "measures.csv"})
    before = list(ExternalMeasure.objects.values_list("id", "value", "imported_at"))

    response = admin_client.post(PAGE, {"csv": GOOD, "filename": "measures.csv"}, follow=True)

    assert "0 added, 0 updated, 3 unchanged." in page_text(response)
    assert list(ExternalMeasure.objects.values_list("id", "value", "imported_at")) == before
    assert import_logs().count() == 1


def test_the_preview_of_a_file_already_imported_says_nothing_will_change(admin_client):
    admin_client.post(PAGE, {"csv": GOOD})

    text = page_text(admin_client.post(PAGE, {"file": csv_file(GOOD)}))

    assert "0 are new, 0 will replace a different value already held, and 3 are already held" in text


def test_a_confirmation_without_the_file_imports_nothing(admin_client):
    text = page_text(admin_client.post(PAGE, {"csv": ""}))

    assert "The file to import was not received" in text
    assert ExternalMeasure.objects.count() == 0


def test_a_confirmation_with_only_bad_rows_imports_nothing(admin_client):
    text = page_text(admin_client.post(PAGE, {"csv": "measure,date,value\nbed_occupancy,2025-03-01,x\n"}))

    assert "Line 2: The value" in text
    assert ExternalMeasure.objects.count() == 0
    assert import_logs().count() == 0


# The API --------------------------------------------------------------------------------------------


def post_json(client, body):
    return client.post(API, body, content_type="application/json")


@pytest.mark.parametrize("role", ["board_member", "coordinator", "sysadmin"])
def test_dashboard_viewers_may_list_the_measures(as_user, role):
    assert as_user(role).get(API).status_code == 200


@pytest.mark.parametrize("role", ["practitioner", "ward_nurse"])
def test_others_may_not_list_the_measures(as_user, role):
    assert as_user(role).get(API).status_code == 403


@pytest.mark.parametrize("role", ["board_member", "coordinator", "practitioner", "ward_nurse"])
def test_only_system_administrators_may_import_over_the_api(as_user, role):
    response = post_json(as_user(role), {"csv": GOOD})

    assert response.status_code == 403
    assert ExternalMeasure.objects.count() == 0


def test_an_anonymous_import_is_refused(client, db):
    assert post_json(client, {"csv": GOOD}).status_code in (401, 403)
    assert ExternalMeasure.objects.count() == 0


def test_the_api_imports_a_good_file(admin_client):
    response = post_json(admin_client, {"csv": GOOD})

    assert response.status_code == 201
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0, "rows": []}
    assert len(held()) == 3


def test_the_api_imports_an_uploaded_file(admin_client):
    response = admin_client.post(API, {"file": csv_file("\ufeff" + GOOD)})

    assert response.status_code == 201
    assert response.json()["created"] == 3
    assert "measures.csv" in import_logs().get().reason


def test_bad_rows_without_confirm_are_a_400_with_their_lines_and_nothing_is_written(admin_client):
    response = post_json(admin_client, {"csv": MIXED})

    body = response.json()
    assert response.status_code == 400
    assert [row["line"] for row in body["rows"]] == [3, 4]
    assert "not a number" in body["rows"][0]["error"]
    assert "Unknown measure" in body["rows"][1]["error"]
    assert body["good_rows"] == 1
    assert "confirm" in body["detail"]
    assert ExternalMeasure.objects.count() == 0
    assert import_logs().count() == 0


def test_bad_rows_with_confirm_import_the_good_rows_and_report_the_bad(admin_client):
    response = post_json(admin_client, {"csv": MIXED, "confirm": True})

    body = response.json()
    assert response.status_code == 201
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 0, 0)
    assert [row["line"] for row in body["rows"]] == [3, 4]
    assert held() == {("bed_occupancy", datetime.date(2025, 3, 1)): Decimal("95.00")}


def test_confirm_works_in_a_multipart_upload_too(admin_client):
    response = admin_client.post(API, {"file": csv_file(MIXED), "confirm": "true"})

    assert response.status_code == 201
    assert response.json()["created"] == 1


def test_a_file_with_only_bad_rows_is_a_400_even_with_confirm(admin_client):
    response = post_json(admin_client, {"csv": "measure,date,value\nbed_occupancy,2025-03-01,x\n", "confirm": True})

    assert response.status_code == 400
    assert response.json()["rows"][0]["line"] == 2
    assert ExternalMeasure.objects.count() == 0


def test_reimporting_over_the_api_is_a_no_op(admin_client):
    post_json(admin_client, {"csv": GOOD})
    before = list(ExternalMeasure.objects.values_list("id", "value", "imported_at"))

    response = post_json(admin_client, {"csv": GOOD})

    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 3, "rows": []}
    assert list(ExternalMeasure.objects.values_list("id", "value", "imported_at")) == before
    assert import_logs().count() == 1


def test_a_changed_value_is_updated_over_the_api(admin_client):
    post_json(admin_client, {"csv": GOOD})

    response = post_json(admin_client, {"csv": GOOD.replace("97.5", "99")})

    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 2, "rows": []}
    assert held()[("bed_occupancy", datetime.date(2025, 3, 2))] == Decimal("99.00")


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"csv": ""}, "csv", "The file is empty."),
        ({"csv": "measure,date,value,notes\n"}, "csv", "Unexpected column 'notes'"),
        ({"csv": "measure,date\nbed_occupancy,2025-03-01\n"}, "csv", "The header has no value column"),
        ({}, "non_field_errors", "Send the CSV either as a file"),
        ({"csv": GOOD, "confirm": "perhaps"}, "confirm", "Send true or false."),
        ({"csv": 12}, "csv", "Send text."),
    ],
)
def test_input_the_api_cannot_read_is_a_400_with_field_errors(admin_client, body, field, reason):
    response = post_json(admin_client, body)

    assert response.status_code == 400
    assert reason in response.json()["errors"][field][0]
    assert ExternalMeasure.objects.count() == 0


def test_an_unreadable_upload_is_a_400_on_the_file_field(admin_client):
    response = admin_client.post(API, {"file": SimpleUploadedFile("m.csv", "measure,date,value\n".encode("utf-16"))})

    assert response.status_code == 400
    assert "not a UTF-8 text file" in response.json()["errors"]["file"][0]


def test_malformed_json_is_a_400(admin_client):
    response = admin_client.post(API, "{not json", content_type="application/json")

    assert response.status_code == 400


def test_the_list_filters_by_measure_and_date_range_in_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries
):
    post_json(admin_client, {"csv": GOOD + "bed_occupancy,2025-03-05,90\n"})

    with django_assert_num_queries(PER_REQUEST_QUERIES + 1):  # the page with who imported each
        response = admin_client.get(
            API, {"measure": "bed_occupancy", "date_from": "2025-03-02", "date_to": "2025-03-05"}
        )

    body = response.json()
    assert len(body["results"]) == 2
    assert [(row["measure"], row["date"], row["value"]) for row in body["results"]] == [
        ("bed_occupancy", "2025-03-02", "97.50"),
        ("bed_occupancy", "2025-03-05", "90.00"),
    ]
    assert body["results"][0]["measure_label"] == "Acute bed occupancy (%)"


def test_a_bad_filter_is_a_400(admin_client):
    response = admin_client.get(API, {"measure": "sunshine", "date_from": "yesterday"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"measure", "date_from"}
