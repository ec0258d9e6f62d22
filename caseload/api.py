from rest_framework import viewsets

from caseload import selectors
from caseload.filters import PatientFilter
from caseload.serializers import PatientSerializer
from ocit.api import AccessLoggedRetrieveMixin
from ocit.roles import Capability


class PatientViewSet(AccessLoggedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PatientSerializer
    permission_classes = [Capability.of("patient.view")]
    filterset_class = PatientFilter

    def get_queryset(self):
        return selectors.patients_for(user=self.request.user).order_by("id")

    def patient_id_of(self, obj):
        return obj.pk
