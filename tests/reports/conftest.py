import pytest
from django.urls import NoReverseMatch, reverse


@pytest.fixture(autouse=True)
def reports_urls(settings):
    """Serve the reports API and pages in tests even before the portal includes them."""
    try:
        reverse("report-load")
        reverse("reports-index")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.reports.urls"
