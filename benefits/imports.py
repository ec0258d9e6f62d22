"""Importing the daily figures the system cannot derive (ambulance handovers, bed occupancy…) from a CSV file.

Two steps, so that nothing is stored before the user has seen what will happen:

1. `measures_decode` and `measures_parse` read the file and check every row. A problem with the file as a
   whole (empty, not UTF-8, too big, no header, unknown columns) raises `ImportFileError`; a problem with a
   row is reported with its line number (the header is line 1) and the row is left out.
2. `external_measures_import` writes the good rows in one transaction, upserting by (measure, date): a value
   already held is not written again, so importing the same file twice changes nothing the second time.
"""

import csv
import dataclasses
import datetime
import io
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from benefits.models import ExternalMeasure, ExternalMeasureKey
from ocit.errors import Conflict
from ocit.models import AuditAction, ChangeLog

COLUMNS = ("measure", "date", "value")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
EARLIEST = datetime.date(2000, 1, 1)
# The model keeps 12 digits, 2 after the point.
DECIMAL_PLACES = 2
LARGEST = Decimal("9999999999.99")
# Occupancy can go above 100% when escalation beds are open, but not this far.
MAX_OCCUPANCY = Decimal("200")
# Ambulance handovers are counted, in all and within each national threshold (15, 30 and 60 minutes).
HANDOVER_BANDS = [
    ExternalMeasureKey.HANDOVERS_WITHIN_15,
    ExternalMeasureKey.HANDOVERS_WITHIN_30,
    ExternalMeasureKey.HANDOVERS_WITHIN_60,
    ExternalMeasureKey.AMBULANCE_HANDOVERS,
]
WHOLE_NUMBERS = {ExternalMeasureKey.ESCALATION_BEDS, ExternalMeasureKey.ED_ATTENDANCES, *HANDOVER_BANDS}
DATE_FORMATS = (("%Y-%m-%d", "YYYY-MM-DD"), ("%d/%m/%Y", "DD/MM/YYYY"))
CENT = Decimal("0.01")

EXAMPLE_ROWS = (
    (ExternalMeasureKey.AMBULANCE_HANDOVER_MINUTES, "2025-03-03", "32.5"),
    (ExternalMeasureKey.BED_OCCUPANCY, "2025-03-03", "96.4"),
    (ExternalMeasureKey.ESCALATION_BEDS, "03/03/2025", "12"),
    (ExternalMeasureKey.ED_ATTENDANCES, "03/03/2025", "412"),
    (ExternalMeasureKey.AMBULANCE_HANDOVERS, "2025-03-03", "96"),
    (ExternalMeasureKey.HANDOVERS_WITHIN_15, "2025-03-03", "58"),
    (ExternalMeasureKey.HANDOVERS_WITHIN_30, "2025-03-03", "88"),
    (ExternalMeasureKey.HANDOVERS_WITHIN_60, "2025-03-03", "95"),
)


class ImportFileError(Exception):
    """The file as a whole cannot be read: nothing in it is imported."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class Row:
    line: int
    measure: str
    on: datetime.date
    value: Decimal


@dataclasses.dataclass(frozen=True)
class Parsed:
    """The good rows of a file and, for each bad row, its line number and what is wrong with it."""

    rows: list[Row]
    errors: list[tuple[int, str]]

    def by_measure(self):
        """For the preview: how many good rows of each measure, and the dates they cover."""
        summary = {}
        for row in self.rows:
            entry = summary.setdefault(row.measure, {"count": 0, "first": row.on, "last": row.on})
            entry["count"] += 1
            entry["first"] = min(entry["first"], row.on)
            entry["last"] = max(entry["last"], row.on)
        return [
            {"measure": key, "label": label, **summary[key]}
            for key, label in ExternalMeasureKey.choices
            if key in summary
        ]


@dataclasses.dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    @property
    def changed(self):
        return bool(self.created or self.updated)

    def __str__(self):
        return f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged."


# Reading the file -----------------------------------------------------------------------------------


def measures_decode(*, data):
    """The text of an uploaded file: UTF-8 (with or without a byte-order mark), at most MAX_BYTES."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not a UTF-8 text file. In Excel, save it as 'CSV UTF-8 (Comma delimited)'."
        ) from None


def measures_read(*, upload):
    """The text of an uploaded file (a Django UploadedFile), refusing a large one before reading it."""
    if upload.size > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files.")
    return measures_decode(data=upload.read())


def _header(cells):
    names = [cell.strip().lower() for cell in cells]
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        raise ImportFileError("Separate the columns with commas, not semicolons or tabs.")
    if not set(names) & set(COLUMNS):
        raise ImportFileError("The first line must be a header naming the columns: measure,date,value.")
    unnamed = [str(number) for number, name in enumerate(names, start=1) if not name]
    if unnamed:
        raise ImportFileError(
            f"Column {', '.join(unnamed)} has no name in the header: the file may only have the columns "
            "measure, date and value (delete any empty columns)."
        )
    extra = [cell.strip() for cell, name in zip(cells, names, strict=True) if name not in COLUMNS]
    if extra:
        raise ImportFileError(
            f"Unexpected column{'s' if len(extra) > 1 else ''} {', '.join(repr(name) for name in extra)}: "
            "the file may only have the columns measure, date and value."
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ImportFileError(f"The header names the column {', '.join(repeated)} more than once.")
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise ImportFileError(f"The header has no {' or '.join(missing)} column: it must name measure, date and value.")
    return {name: names.index(name) for name in COLUMNS}


_MEASURES = {key: key for key in ExternalMeasureKey.values} | {
    label.lower(): key for key, label in ExternalMeasureKey.choices
}


def _measure(text):
    if not text:
        return None, "The measure is missing."
    key = _MEASURES.get(" ".join(text.split()).lower())
    if key is None:
        return None, f"Unknown measure '{text}': use one of {', '.join(ExternalMeasureKey.values)}."
    return key, None


def _date(text, today):
    if not text:
        return None, "The date is missing."
    for pattern, _ in DATE_FORMATS:
        try:
            on = datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if on > today:
            return None, f"The date {on:%d/%m/%Y} is in the future."
        if on < EARLIEST:
            return None, f"The date {on:%d/%m/%Y} is before {EARLIEST:%Y}: check the year."
        return on, None
    formats = " or ".join(label for _, label in DATE_FORMATS)
    return None, f"'{text}' is not a date: use {formats}, for example 2025-03-31."


def _value(text, measure):
    if not text:
        return None, "The value is missing."
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, f"The value '{text}' is not a number: use digits only, for example 95.5."
    if not value.is_finite():
        return None, f"The value '{text}' is not a number: use digits only, for example 95.5."
    if value < 0:
        return None, "The value cannot be negative."
    if value > LARGEST:
        return None, f"The value {text} is too large."
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        return None, f"The value {text} has more than {DECIMAL_PLACES} decimal places."
    value = value.quantize(CENT)
    if measure == ExternalMeasureKey.BED_OCCUPANCY and value > MAX_OCCUPANCY:
        return None, f"Bed occupancy is a percentage and cannot be more than {MAX_OCCUPANCY}%."
    if measure in WHOLE_NUMBERS and value != value.to_integral_value():
        return None, f"{ExternalMeasureKey(measure).label} must be a whole number."
    return value, None


def measures_parse(*, text, today=None):
    """Check every row of a CSV file of measures.

    Returns the good rows and the bad rows' (line number, reason), counting the header as line 1.
    Raises ImportFileError when the file as a whole cannot be read.
    """
    today = today or timezone.localdate()
    text = text.removeprefix("\ufeff")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files.")
    if not text.strip():
        raise ImportFileError("The file is empty.")
    if "\x00" in text:
        raise ImportFileError("The file is not a CSV text file: save it from your spreadsheet as CSV.")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, errors, seen, count = [], [], {}, 0
    try:
        columns = None
        while True:
            line = reader.line_num + 1  # a quoted value may span lines: report the line the row starts on
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            if columns is None:
                columns = _header(cells)
                continue
            count += 1
            if count > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: split it into smaller files.")
            if len(cells) != len(COLUMNS):
                errors.append((line, f"Expected {len(COLUMNS)} values (measure, date, value) but found {len(cells)}."))
                continue
            measure, measure_error = _measure(cells[columns["measure"]].strip())
            on, date_error = _date(cells[columns["date"]].strip(), today)
            value, value_error = _value(cells[columns["value"]].strip(), measure)
            problems = [problem for problem in (measure_error, date_error, value_error) if problem]
            if not problems:
                earlier = seen.get((measure, on))
                if earlier is None:
                    seen[(measure, on)] = Row(line=line, measure=measure, on=on, value=value)
                    rows.append(seen[(measure, on)])
                elif earlier.value != value:
                    problems.append(
                        f"{ExternalMeasureKey(measure).label} on {on:%d/%m/%Y} is already on line {earlier.line} "
                        f"with a different value ({earlier.value:f})."
                    )
                # the same value again is harmless: it is imported once
            if problems:
                errors.append((line, " ".join(problems)))
    except csv.Error as error:
        raise ImportFileError(f"The file cannot be read as CSV (line {reader.line_num}): {error}.") from None
    if columns is None:
        raise ImportFileError("The file is empty.")
    if not count:
        raise ImportFileError("The file has a header but no rows of measures.")
    bad = _bands_out_of_order(seen)
    errors = sorted(errors + [(row.line, reason) for row, reason in bad])
    return Parsed(rows=[row for row in rows if row not in {row for row, _ in bad}], errors=errors)


def _bands_out_of_order(seen):
    """Handovers within 15 minutes are also within 30, and within 30 also within 60, and none are more than all
    the handovers of the day: a count that breaks this, with the counts of the same day in the file, is refused."""
    bad = []
    for (measure, on), row in seen.items():
        if measure not in HANDOVER_BANDS[:-1]:
            continue
        wider = [seen.get((band, on)) for band in HANDOVER_BANDS[HANDOVER_BANDS.index(measure) + 1 :]]
        for other in filter(None, wider):
            if row.value > other.value:
                bad.append(
                    (
                        row,
                        f"{ExternalMeasureKey(measure).label} on {on:%d/%m/%Y} ({row.value:.0f}) is more than "
                        f"{ExternalMeasureKey(other.measure).label.lower()} on line {other.line} ({other.value:.0f}).",
                    )
                )
                break
    return bad


def example_csv():
    """A file in the expected format, to download and fill in."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(EXAMPLE_ROWS)
    return out.getvalue()


# Writing the measures -------------------------------------------------------------------------------


def _plan(rows):
    """Split the rows into new ones, changed ones (with the row held now) and those already held as they are."""
    held = {}
    if rows:
        measures = {row.measure for row in rows}
        dates = [row.on for row in rows]
        existing = ExternalMeasure.objects.filter(measure__in=measures, on__range=(min(dates), max(dates)))
        if transaction.get_connection().in_atomic_block:
            existing = existing.select_for_update()
        held = {(measure.measure, measure.on): measure for measure in existing}
    new, changed, same = [], [], []
    for row in rows:
        current = held.get((row.measure, row.on))
        if current is None:
            new.append(row)
        elif current.value != row.value:
            changed.append((row, current))
        else:
            same.append(row)
    return new, changed, same


def external_measures_preview(*, rows):
    """What importing the rows would do, without doing it."""
    new, changed, same = _plan(rows)
    return ImportResult(created=len(new), updated=len(changed), unchanged=len(same))


def external_measures_import(*, actor, rows, source=""):
    """Add or update the measures by (measure, date), all or nothing, with one audit row if anything changed.

    Values already held are left as they are (not even their import time changes), so a re-import is a no-op.
    """
    try:
        with transaction.atomic():
            result = _import(actor=actor, rows=rows, source=source)
    except IntegrityError as error:
        raise Conflict(
            "Another import added some of the same measures at the same time. Nothing from this file was "
            "imported: import it again (values already held are not changed twice)."
        ) from error
    return result


def _import(*, actor, rows, source):
    new, changed, same = _plan(rows)
    now = timezone.now()
    ExternalMeasure.objects.bulk_create(
        [
            ExternalMeasure(measure=row.measure, on=row.on, value=row.value, imported_at=now, imported_by=actor)
            for row in new
        ],
        batch_size=1000,
    )
    overwritten = {
        f"{row.measure} {row.on.isoformat()}": [f"{current.value:f}", f"{row.value:f}"] for row, current in changed
    }
    for row, current in changed:
        current.value, current.imported_at, current.imported_by = row.value, now, actor
    ExternalMeasure.objects.bulk_update(
        [current for _, current in changed], ["value", "imported_at", "imported_by"], batch_size=1000
    )
    result = ImportResult(created=len(new), updated=len(changed), unchanged=len(same))
    if result.changed:
        # One change-log row for the whole import: the counts, and the old and new value of each measure it
        # changed (new ones carry who imported them and when on their own row).
        ChangeLog.objects.create(
            at=now,
            actor=actor,
            actor_label=actor.email,
            action=AuditAction.UPDATE if result.updated else AuditAction.CREATE,
            object_type=ExternalMeasure._meta.label_lower,
            object_id="*",
            changes={
                "created": [None, result.created],
                "updated": [None, result.updated],
                "unchanged": [None, result.unchanged],
                **overwritten,
            },
            reason=f"CSV import{f' from {source}' if source else ''}: {result}",
        )
    return result
