from rest_framework import viewsets

from discharge import selectors
from discharge.filters import SpellFilter
from discharge.serializers import SpellSerializer, WardSerializer
from ocit.api import AccessLoggedRetrieveMixin
from ocit.roles import Capability


class WardViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = WardSerializer
    permission_classes = [Capability.of("wardboard.view")]

    def get_queryset(self):
        return selectors.wards_for(user=self.request.user).order_by("code")


class SpellViewSet(AccessLoggedRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SpellSerializer
    permission_classes = [Capability.of("wardboard.view")]
    filterset_class = SpellFilter

    def get_queryset(self):
        return selectors.spells_for(user=self.request.user).order_by("-admitted_at", "id")
