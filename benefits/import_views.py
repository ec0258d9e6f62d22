"""Importing external measures from a CSV file, in three steps: upload, preview, confirm.

Nothing is stored before the user confirms: the preview carries the file's text in a hidden field and the
confirmation parses it again, so a bad row can never slip in between the two. The rules are in
benefits/imports.py; these views only read the form, call it and render.
"""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from benefits import imports
from benefits.models import ExternalMeasureKey
from ocit.errors import Conflict
from ocit.roles import requires

TEMPLATE = "benefits/measures_import.html"
SUMMARY_ERRORS = 10  # bad rows listed in the error summary at the top
TABLE_ERRORS = 500  # bad rows listed in the table


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"A .csv file of at most {imports.MAX_BYTES // (1024 * 1024)} MB and {imports.MAX_ROWS:,} rows.",
        error_messages={"required": "Choose a CSV file to upload", "empty": "The file is empty."},
    )


class ConfirmForm(forms.Form):
    """The file checked in the preview, sent back to be parsed again and imported."""

    csv = forms.CharField(widget=forms.HiddenInput, strip=False)
    filename = forms.CharField(widget=forms.HiddenInput, required=False, max_length=255)


FORMAT = {
    "example_rows": imports.EXAMPLE_ROWS,
    "measure_choices": ExternalMeasureKey.choices,
    "max_megabytes": imports.MAX_BYTES // (1024 * 1024),
    "max_rows": f"{imports.MAX_ROWS:,}",
}


def _page(request, **context):
    return render(request, TEMPLATE, {**FORMAT, **context})


def _refused(message):
    """The upload form again, with why the file cannot be imported."""
    form = UploadForm(data={}, files={})
    form.errors["file"] = form.error_class([message])
    return form


def _preview(request, *, parsed, text, filename):
    errors = [{"line": line, "message": message} for line, message in parsed.errors]
    return _page(
        request,
        parsed=parsed,
        filename=filename,
        summary=parsed.by_measure(),
        outcome=imports.external_measures_preview(rows=parsed.rows),
        errors=errors[:TABLE_ERRORS],
        summary_errors=errors[:SUMMARY_ERRORS],
        more_errors=max(0, len(errors) - SUMMARY_ERRORS),
        hidden_errors=max(0, len(errors) - TABLE_ERRORS),
        confirm_form=ConfirmForm(initial={"csv": text, "filename": filename}),
        form=UploadForm(),
    )


@require_http_methods(["GET", "POST"])
@requires("benefits.import")
def measures_import(request):
    if request.method == "POST" and "csv" in request.POST:
        return _confirm(request)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = imports.measures_read(upload=upload)
            parsed = imports.measures_parse(text=text)
        except imports.ImportFileError as error:
            form.add_error("file", error.message)
        else:
            return _preview(request, parsed=parsed, text=text, filename=upload.name)
    return _page(request, form=form)


def _confirm(request):
    confirm = ConfirmForm(request.POST)
    if not confirm.is_valid():
        return _page(request, form=_refused("The file to import was not received: upload it again."))
    text, filename = confirm.cleaned_data["csv"], confirm.cleaned_data["filename"]
    try:
        parsed = imports.measures_parse(text=text)
    except imports.ImportFileError as error:
        return _page(request, form=_refused(error.message))
    if not parsed.rows:
        return _preview(request, parsed=parsed, text=text, filename=filename)
    try:
        result = imports.external_measures_import(actor=request.user, rows=parsed.rows, source=filename)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("benefits:measures_import")
    skipped = len(parsed.errors)
    left_out = f" {skipped} bad row{'s' if skipped != 1 else ''} left out." if skipped else ""
    messages.success(request, f"Measures imported: {result}{left_out}")
    return redirect("benefits:measures_import")


@require_GET
@requires("benefits.import")
def measures_import_example(request):
    """An example file in the expected format, to fill in."""
    return HttpResponse(
        imports.example_csv(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="external-measures-example.csv"'},
    )
