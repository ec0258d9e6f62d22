from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from caseload import selectors
from ocit import audit
from ocit import selectors as audit_selectors
from ocit.identifiers import normalise_nhs_number
from ocit.roles import requires


@requires("caseload.view")
def patients(request):
    team = request.GET.get("lit", "")
    query = request.GET.get("q", "")
    patient_list = selectors.patient_search(user=request.user, query=query, team=team or None)
    page = Paginator(patient_list, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "caseload/patients.html",
        {"page": page, "query": query, "lit": team, "teams": selectors.teams()},
    )


@requires("patient.view")
def patient_detail(request, pk):
    patient = selectors.patient_get(user=request.user, pk=pk)
    audit.log_access(actor=request.user, patient_id=patient.pk, obj=patient, via=request.get_full_path())
    return render(request, "caseload/patient_detail.html", {"patient": patient})


@requires("patient.access_history")
def patient_access_history(request, pk):
    patient = selectors.patient_get_for_audit(pk=pk)
    page = Paginator(audit_selectors.patient_access_history(patient_id=patient.pk), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "caseload/patient_access_history.html", {"patient": patient, "page": page})


@requires("patient.access_history")
def access_history_lookup(request):
    """Find a patient by NHS number for the access-history page (used by administrators)."""
    nhs_number = request.GET.get("nhs_number", "")
    error = None
    try:
        patient = selectors.patient_by_nhs_number(nhs_number=normalise_nhs_number(nhs_number))
    except ValidationError as invalid:
        error = invalid.messages[0]
    else:
        if patient:
            return redirect("caseload:patient_access_history", pk=patient.pk)
        error = "No patient has that NHS number."
    return render(request, "caseload/access_history_lookup.html", {"nhs_number": nhs_number, "error": error})
