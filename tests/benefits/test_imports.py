"""Importing external measures from CSV: every bad row is reported with its line number, a file that cannot be
read imports nothing, only good rows are ever written, all at once, and importing the same file again is a no-op."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from benefits import imports
from benefits.imports import ImportFileError, measures_parse
from benefits.models import ExternalMeasure
from ocit.errors import Conflict
from ocit.models import ChangeLog
from tests import factories

TODAY = datetime.date(2025, 6, 30)
HEADER = "measure,date,value\n"


def parse(body, header=HEADER):
    return measures_parse(text=header + body, today=TODAY)


def only_error(body):
    parsed = parse(body)
    assert not parsed.rows
    assert len(parsed.errors) == 1
    return parsed.errors[0]


def import_logs():
    return ChangeLog.objects.filter(object_type="benefits.externalmeasure")


def held():
    return {(m.measure, m.on): m.value for m in ExternalMeasure.objects.all()}


# Reading the rows -----------------------------------------------------------------------------------


def test_it_reads_good_rows_with_either_date_format_and_the_measure_label():
    parsed = parse(
        "bed_occupancy,2025-03-01,96.4\n"
        "Escalation beds open,02/03/2025,12\n"
        "ED_ATTENDANCES , 2025-03-03 , 412\n"
        "ambulance_handover_minutes,2025-03-04,32.25\n"
    )

    assert parsed.errors == []
    assert [(row.line, row.measure, row.on, row.value) for row in parsed.rows] == [
        (2, "bed_occupancy", datetime.date(2025, 3, 1), Decimal("96.40")),
        (3, "escalation_beds", datetime.date(2025, 3, 2), Decimal("12.00")),
        (4, "ed_attendances", datetime.date(2025, 3, 3), Decimal("412.00")),
        (5, "ambulance_handover_minutes", datetime.date(2025, 3, 4), Decimal("32.25")),
    ]


def test_the_header_may_be_in_any_order_and_case_with_a_byte_order_mark():
    parsed = measures_parse(text="\ufeffValue, DATE ,Measure\r\n95,2025-03-01,bed_occupancy\r\n", today=TODAY)

    assert parsed.errors == []
    assert [(row.measure, row.on, row.value) for row in parsed.rows] == [
        ("bed_occupancy", datetime.date(2025, 3, 1), Decimal("95.00"))
    ]


def test_it_skips_blank_lines_but_keeps_counting_them():
    parsed = parse("\nbed_occupancy,2025-03-01,95\n,,\nbed_occupancy,2025-03-02,nope\n")

    assert [row.line for row in parsed.rows] == [3]
    assert [line for line, _ in parsed.errors] == [5]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("beds,2025-03-01,95", "Unknown measure 'beds'"),
        (",2025-03-01,95", "The measure is missing."),
        ("bed_occupancy,,95", "The date is missing."),
        ("bed_occupancy,2025-02-30,95", "'2025-02-30' is not a date: use YYYY-MM-DD or DD/MM/YYYY"),
        ("bed_occupancy,March 1st,95", "'March 1st' is not a date"),
        ("bed_occupancy,2025-07-01,95", "The date 01/07/2025 is in the future."),
        ("bed_occupancy,1925-03-01,95", "is before 2000: check the year"),
        ("bed_occupancy,2025-03-01,", "The value is missing."),
        ("bed_occupancy,2025-03-01,ninety", "The value 'ninety' is not a number"),
        ("bed_occupancy,2025-03-01,NaN", "The value 'NaN' is not a number"),
        ("bed_occupancy,2025-03-01,-1", "The value cannot be negative."),
        ("bed_occupancy,2025-03-01,95.123", "The value 95.123 has more than 2 decimal places."),
        ("bed_occupancy,2025-03-01,200.01", "cannot be more than 200%"),
        ("ed_attendances,2025-03-01,1e12", "The value 1e12 is too large."),
        ("escalation_beds,2025-03-01,3.5", "Escalation beds open must be a whole number."),
        ("ed_attendances,2025-03-01,400.5", "ED attendances must be a whole number."),
        ("bed_occupancy,2025-03-01", "Expected 3 values (measure, date, value) but found 2."),
        ("bed_occupancy,2025-03-01,95,extra", "Expected 3 values (measure, date, value) but found 4."),
    ],
)
def test_each_bad_row_is_reported_with_its_line_number_and_reason(row, reason):
    line, message = only_error(f"{row}\n")

    assert line == 2
    assert reason in message


def test_line_numbers_count_the_header_as_line_one():
    parsed = parse("bed_occupancy,2025-03-01,95\nbed_occupancy,2025-03-02,x\nbed_occupancy,2025-03-03,96\nzzz,1,2\n")

    assert [line for line, _ in parsed.errors] == [3, 5]
    assert [row.line for row in parsed.rows] == [2, 4]


def test_a_row_with_several_problems_names_them_all():
    line, message = only_error("beds,tomorrow,-1\n")

    assert line == 2
    assert "Unknown measure 'beds'" in message
    assert "'tomorrow' is not a date" in message
    assert "The value cannot be negative." in message


def test_bed_occupancy_may_exceed_100_percent_in_escalation():
    parsed = parse("bed_occupancy,2025-03-01,104.5\n")

    assert parsed.errors == []
    assert parsed.rows[0].value == Decimal("104.50")


def test_it_reads_ambulance_handovers_counted_within_each_national_threshold():
    parsed = parse(
        "ambulance_handovers,2025-03-01,96\n"
        "handovers_within_15,2025-03-01,58\n"
        "handovers_within_30,2025-03-01,88\n"
        "Ambulance handovers within 60 minutes (count),2025-03-01,95\n"
    )

    assert parsed.errors == []
    assert [(row.measure, row.value) for row in parsed.rows] == [
        ("ambulance_handovers", Decimal("96.00")),
        ("handovers_within_15", Decimal("58.00")),
        ("handovers_within_30", Decimal("88.00")),
        ("handovers_within_60", Decimal("95.00")),
    ]


def test_a_handover_band_larger_than_a_wider_one_that_day_is_refused():
    parsed = parse(
        "ambulance_handovers,2025-03-01,96\n"
        "handovers_within_15,2025-03-01,90\n"
        "handovers_within_30,2025-03-01,88\n"
        "handovers_within_60,2025-03-01,97\n"
        "handovers_within_15,2025-03-02,10.5\n"
    )

    assert [row.measure for row in parsed.rows] == ["ambulance_handovers", "handovers_within_30"]
    assert [line for line, _ in parsed.errors] == [3, 5, 6]
    assert "(90) is more than ambulance handovers within 30 minutes (count) on line 4 (88)" in parsed.errors[0][1]
    assert "(97) is more than ambulance handovers (count) on line 2 (96)" in parsed.errors[1][1]
    assert "must be a whole number" in parsed.errors[2][1]


def test_a_repeated_measure_and_day_with_another_value_is_an_error_on_the_later_line():
    parsed = parse("bed_occupancy,2025-03-01,95\necho,1,1\nbed_occupancy,01/03/2025,96\n")

    assert [row.line for row in parsed.rows] == [2]
    assert parsed.errors[1][0] == 4
    assert "already on line 2 with a different value (95.00)" in parsed.errors[1][1]


def test_a_repeated_measure_and_day_with_the_same_value_is_imported_once():
    parsed = parse("bed_occupancy,2025-03-01,95\nbed_occupancy,2025-03-01,95.00\n")

    assert parsed.errors == []
    assert len(parsed.rows) == 1


def test_a_quoted_value_over_two_lines_is_reported_on_the_line_it_starts():
    parsed = parse('"bed\noccupancy",2025-03-01,95\nbed_occupancy,2025-03-01,x\n')

    assert [line for line, _ in parsed.errors] == [2, 4]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "The file is empty."),
        ("  \n\n", "The file is empty."),
        ("measure,date,value\n", "The file has a header but no rows of measures."),
        ("bed_occupancy,2025-03-01,95\n", "The first line must be a header naming the columns: measure,date,value."),
        ("measure;date;value\nbed_occupancy;2025-03-01;95\n", "Separate the columns with commas"),
        ("measure,date,value,notes\nbed_occupancy,2025-03-01,95,ok\n", "Unexpected column 'notes'"),
        ("measure,date,value,\nbed_occupancy,2025-03-01,95,\n", "Column 4 has no name in the header"),
        ("measure,date\nbed_occupancy,2025-03-01\n", "The header has no value column"),
        ("measure,date,date\nbed_occupancy,2025-03-01,2025-03-01\n", "names the column date more than once"),
        ("measure,date,value\nbed\x00,2025-03-01,95\n", "The file is not a CSV text file"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(text, reason):
    with pytest.raises(ImportFileError) as refused:
        measures_parse(text=text, today=TODAY)

    assert reason in refused.value.message


def test_a_file_with_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)

    with pytest.raises(ImportFileError, match="more than 3 rows"):
        parse("".join(f"ed_attendances,2025-03-0{day},100\n" for day in range(1, 5)))


def test_a_file_that_is_too_big_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 10)
    upload = SimpleUploadedFile("big.csv", b"measure,date,value\n")

    with pytest.raises(ImportFileError, match="larger than"):
        imports.measures_read(upload=upload)


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(ImportFileError, match="not a UTF-8 text file"):
        imports.measures_decode(data="measure,date,value\nbed_occupancy,2025-03-01,95 £\n".encode("utf-16"))


def test_the_example_file_is_valid():
    parsed = measures_parse(text=imports.example_csv(), today=TODAY)

    assert parsed.errors == []
    assert len(parsed.rows) == len(imports.EXAMPLE_ROWS) == 8


# Importing ------------------------------------------------------------------------------------------

FILE = "bed_occupancy,2025-03-01,95\nbed_occupancy,2025-03-02,97.5\ned_attendances,2025-03-01,410\n"


def test_an_import_adds_the_rows_with_who_imported_them_and_one_audit_row(sysadmin):
    result = imports.external_measures_import(actor=sysadmin, rows=parse(FILE).rows, source="march.csv")

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert held() == {
        ("bed_occupancy", datetime.date(2025, 3, 1)): Decimal("95.00"),
        ("bed_occupancy", datetime.date(2025, 3, 2)): Decimal("97.50"),
        ("ed_attendances", datetime.date(2025, 3, 1)): Decimal("410.00"),
    }
    assert set(ExternalMeasure.objects.values_list("imported_by", flat=True)) == {sysadmin.pk}
    (log,) = import_logs()
    assert log.actor == sysadmin
    assert log.changes["created"] == [None, 3]
    assert "march.csv" in log.reason


def test_importing_the_same_file_again_changes_nothing_and_writes_no_audit_row(sysadmin):
    imports.external_measures_import(actor=sysadmin, rows=parse(FILE).rows)
    before = list(ExternalMeasure.objects.values_list("id", "value", "imported_at"))

    result = imports.external_measures_import(actor=sysadmin, rows=parse(FILE).rows)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert list(ExternalMeasure.objects.values_list("id", "value", "imported_at")) == before
    assert import_logs().count() == 1


def test_a_changed_value_is_updated_and_its_old_value_audited(sysadmin):
    imports.external_measures_import(actor=sysadmin, rows=parse(FILE).rows)
    admin = factories.UserFactory(role="system_admin")

    corrected = FILE.replace("97.5", "98") + "ambulance_handover_minutes,2025-03-01,31\n"
    result = imports.external_measures_import(actor=admin, rows=parse(corrected).rows)

    assert (result.created, result.updated, result.unchanged) == (1, 1, 2)
    changed = ExternalMeasure.objects.get(measure="bed_occupancy", on=datetime.date(2025, 3, 2))
    assert (changed.value, changed.imported_by) == (Decimal("98.00"), admin)
    log = import_logs().first()
    assert log.actor == admin
    assert log.changes["bed_occupancy 2025-03-02"] == ["97.50", "98.00"]
    assert log.changes["updated"] == [None, 1]


def test_with_bad_rows_only_the_good_rows_are_imported(sysadmin):
    parsed = parse("bed_occupancy,2025-03-01,95\nbed_occupancy,2025-03-02,lots\nescalation_beds,2025-03-01,4\n")

    result = imports.external_measures_import(actor=sysadmin, rows=parsed.rows)

    assert result.created == 2
    assert set(held()) == {
        ("bed_occupancy", datetime.date(2025, 3, 1)),
        ("escalation_beds", datetime.date(2025, 3, 1)),
    }


@pytest.mark.django_db(transaction=True)
def test_an_import_that_fails_part_way_writes_nothing(sysadmin, monkeypatch):
    imports.external_measures_import(actor=sysadmin, rows=parse("bed_occupancy,2025-03-01,90\n").rows)

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ChangeLog.objects, "create", fail)
    with pytest.raises(RuntimeError):
        imports.external_measures_import(actor=sysadmin, rows=parse(FILE).rows)

    assert held() == {("bed_occupancy", datetime.date(2025, 3, 1)): Decimal("90.00")}


@pytest.mark.postgres  # two connections writing at once: SQLite locks the whole table instead
@pytest.mark.django_db(transaction=True)
def test_a_clash_with_another_import_is_a_conflict_and_writes_nothing(sysadmin, monkeypatch):
    rows = parse(FILE).rows
    real_plan = imports._plan

    def other_import():
        try:
            ExternalMeasure.objects.create(measure="ed_attendances", on=datetime.date(2025, 3, 1), value=1)
        finally:
            connection.close()

    def plan_then_clash(plan_rows):
        planned = real_plan(plan_rows)
        # Another import, on its own connection, commits one of the same new measures between our read and write.
        thread = threading.Thread(target=other_import)
        thread.start()
        thread.join()
        return planned

    monkeypatch.setattr(imports, "_plan", plan_then_clash)
    with pytest.raises(Conflict, match="Another import"):
        imports.external_measures_import(actor=sysadmin, rows=rows)

    assert held() == {("ed_attendances", datetime.date(2025, 3, 1)): Decimal("1.00")}
    assert import_logs().count() == 0


def test_the_preview_says_what_an_import_would_do_without_doing_it(sysadmin):
    imports.external_measures_import(actor=sysadmin, rows=parse("bed_occupancy,2025-03-01,95\n").rows)

    outcome = imports.external_measures_preview(rows=parse(FILE.replace("2025-03-01,95", "2025-03-01,96")).rows)

    assert (outcome.created, outcome.updated, outcome.unchanged) == (2, 1, 0)
    assert ExternalMeasure.objects.count() == 1
