"""The report pages (portal.urls includes these under /reports/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="reports-index"),
    path("load/", views.load_page, name="reports-load"),
    path("fairness/", views.fairness_page, name="reports-fairness"),
    path("incidents/", views.incidents_page, name="reports-incidents"),
    path("model-comparison/", views.comparison_page, name="reports-model-comparison"),
]
