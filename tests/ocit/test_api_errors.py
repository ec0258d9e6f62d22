"""Every /api/ answer is JSON, errors included: problem details (RFC 9457) whatever failed, and the schema says so.
Pages keep their HTML error pages."""

from unittest import mock

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

PROBLEM = "application/problem+json"


def problem_of(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    return body


def test_an_unknown_api_address_is_a_json_404(client, coordinator):
    client.force_login(coordinator)
    assert problem_of(client.get("/api/v1/no-such-thing/"), 404)["detail"] == "Not found."
    assert problem_of(client.get("/api/v1/patients/999999/"), 404)


def test_not_signed_in_a_method_not_allowed_and_bad_input_are_json(client, coordinator):
    problem_of(client.get("/api/v1/patients/"), 403)
    client.force_login(coordinator)
    problem_of(client.delete("/api/v1/referrals/"), 405)
    body = problem_of(client.post("/api/v1/goals/", {}, content_type="application/json"), 400)
    assert set(body["errors"]) == {"episode", "text"}


def test_a_failure_inside_an_api_view_is_a_json_500(coordinator):
    client = Client(raise_request_exception=False)
    client.force_login(coordinator)
    with mock.patch("caseload.api.selectors.patients_for", side_effect=RuntimeError("disk on fire")):
        body = problem_of(client.get("/api/v1/patients/"), 500)
    assert "disk on fire" not in str(body)


def test_pages_keep_their_html_error_pages(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/caseload/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", file=str(path))
    return yaml.safe_load(path.read_text())


def test_the_schema_documents_every_error_as_problem_details(schema):
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "403", "404"} | ({"409"} if method != "get" else set())
            assert expected <= set(responses), f"{method} {path}"
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    assert list(response["content"]) == [PROBLEM], f"{method} {path} {code}"
            checked += 1
    assert checked > 40
