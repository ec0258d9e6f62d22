from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from benefits import api as benefits_api
from caseload import api as caseload_api
from discharge import api as discharge_api
from interfaces import api as interfaces_api
from interfaces import fhir
from ocit import views
from referrals import api as referrals_api

router = DefaultRouter()
router.register("patients", caseload_api.PatientViewSet, basename="patient")
router.register("episodes", caseload_api.EpisodeViewSet, basename="episode")
router.register(r"episodes/(?P<episode_pk>[0-9]+)/allocations", caseload_api.AllocationViewSet, basename="allocation")
router.register(r"episodes/(?P<episode_pk>[0-9]+)/contacts", caseload_api.ContactViewSet, basename="contact")
router.register("goals", caseload_api.GoalViewSet, basename="goal")
router.register("wards", discharge_api.WardViewSet, basename="ward")
router.register("spells", discharge_api.SpellViewSet, basename="spell")
router.register(r"spells/(?P<spell_pk>[0-9]+)/nctr-periods", discharge_api.NctrPeriodViewSet, basename="nctr-period")
router.register(r"spells/(?P<spell_pk>[0-9]+)/delays", discharge_api.DelayViewSet, basename="delay")
router.register(r"spells/(?P<spell_pk>[0-9]+)/discharge", referrals_api.SpellDischargeViewSet, basename="discharge")
router.register("referrals", referrals_api.ReferralViewSet, basename="referral")
router.register("external-measures", benefits_api.ExternalMeasureViewSet, basename="external-measure")
router.register("metrics", benefits_api.MetricViewSet, basename="metric")
router.register("recompute-runs", benefits_api.RecomputeRunViewSet, basename="recompute-run")

admin.site.site_header = "OCIT Care Record administration"
admin.site.site_title = "OCIT administration"
admin.site.login = views.login

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/", views.offline, name="offline"),
    path("administration/", views.administration, name="administration"),
    path("caseload/", include("caseload.urls")),
    path("wards/", include("discharge.urls")),
    path("referrals/", include("referrals.urls")),
    path("dashboard/", include("benefits.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/hl7/", interfaces_api.HL7View.as_view(), name="hl7"),
    path("fhir/metadata", fhir.metadata, name="fhir_metadata"),
    path("fhir/<str:kind>", fhir.search_view, name="fhir_search"),
    path("fhir/<str:kind>/<int:pk>", fhir.read_view, name="fhir_read"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]

handler400 = "ocit.views.bad_request"
handler403 = "ocit.views.permission_denied"
handler404 = "ocit.views.page_not_found"
handler500 = "ocit.views.server_error"
