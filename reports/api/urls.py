"""The reports under /api/v1/ (portal.api includes these urls)."""

from django.urls import path

from .capacity import TeamCapacityView
from .views import FairnessReportView, IncidentsReportView, LoadReportView, ModelComparisonView

urlpatterns = [
    path("teams/<slug:slug>/capacity/", TeamCapacityView.as_view(), name="team-capacity"),
    path("reports/load/", LoadReportView.as_view(), name="report-load"),
    path("reports/fairness/", FairnessReportView.as_view(), name="report-fairness"),
    path("reports/incidents/", IncidentsReportView.as_view(), name="report-incidents"),
    path(
        "reports/model-comparison/",
        ModelComparisonView.as_view(),
        name="report-model-comparison",
    ),
]


def register(router):
    """Register nothing on the shared router: the reports are plain views (see urlpatterns)."""
