"""Assumptions and the finance plan are edited by administrators in the admin, and every edit is audited."""

import datetime
from decimal import Decimal

from benefits import selectors
from benefits.models import Assumption, AssumptionKey
from ocit.models import ChangeLog


def test_an_administrator_adds_an_assumption_from_a_date_and_the_change_is_logged(client, sysadmin):
    client.force_login(sysadmin)
    response = client.post(
        "/admin/benefits/assumption/add/",
        {
            "key": AssumptionKey.ACUTE_BED_DAY_COST,
            "effective_from": "2026-04-01",
            "value": "360.00",
            "source": "Tariff",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    added = Assumption.objects.get(key=AssumptionKey.ACUTE_BED_DAY_COST, effective_from=datetime.date(2026, 4, 1))
    log = ChangeLog.objects.get(object_type="benefits.assumption", object_id=str(added.pk))
    assert log.actor == sysadmin
    assert log.changes["value"][1] == "360.00"
    values = selectors.assumptions_by_key()
    assert selectors.assumption_in_force(values, AssumptionKey.ACUTE_BED_DAY_COST, datetime.date(2026, 3, 31))[
        0
    ] == Decimal("346")
    assert selectors.assumption_in_force(values, AssumptionKey.ACUTE_BED_DAY_COST, datetime.date(2026, 4, 1))[
        0
    ] == Decimal("360")


def test_assumptions_cannot_be_deleted_once_figures_were_made_with_them(client, sysadmin):
    client.force_login(sysadmin)
    assumption = Assumption.objects.first()
    assert client.get(f"/admin/benefits/assumption/{assumption.pk}/delete/").status_code == 403


def test_the_programme_board_cannot_edit_assumptions(client, board_member):
    client.force_login(board_member)
    assert client.get("/admin/benefits/assumption/").status_code in (302, 403)
