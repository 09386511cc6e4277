from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from incidents import pages as incident_pages
from incidents import pages_bugs as bug_pages
from rota import pages as rota_pages

from . import views
from .oidc.logout import SignOut
from .views import tokens as token_pages

handler404 = "core.exceptions.api_not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("api/v1/", include("portal.api")),
    path("teams/<slug:slug>/", views.team_detail, name="portal-team"),
    path("components/", views.component_catalog, name="portal-catalog"),
    path("components/<slug:slug>/", views.component_detail, name="portal-component"),
    path("me/", rota_pages.my_rota, name="my-rota"),
    path("me/shifts/<int:pk>/offer/", rota_pages.shift_offer, name="my-shift-offer"),
    path("me/swaps/<int:pk>/take/", rota_pages.swap_take, name="my-swap-take"),
    path("me/swaps/<int:pk>/cancel/", rota_pages.swap_cancel, name="my-swap-cancel"),
    path("me/swaps/<int:pk>/withdraw/", rota_pages.swap_withdraw, name="my-swap-withdraw"),
    path("me/swaps/<int:pk>/approve/", rota_pages.swap_approve, name="my-swap-approve"),
    path("me/swaps/<int:pk>/reject/", rota_pages.swap_reject, name="my-swap-reject"),
    path("me/tokens/", token_pages.my_tokens, name="my-tokens"),
    path("me/tokens/<int:pk>/revoke/", token_pages.my_token_revoke, name="my-token-revoke"),
    path("me/leave/", rota_pages.leave_add, name="my-leave-add"),
    path("me/leave/<int:pk>/delete/", rota_pages.leave_delete, name="my-leave-delete"),
    path("incidents/", incident_pages.incident_list, name="portal-incidents"),
    path("incidents/new/", incident_pages.incident_open, name="portal-incident-open"),
    path("incidents/<int:pk>/", incident_pages.incident_detail, name="portal-incident"),
    path(
        "incidents/<int:pk>/acknowledge/",
        incident_pages.incident_acknowledge,
        name="portal-incident-acknowledge",
    ),
    path(
        "incidents/<int:pk>/mitigate/",
        incident_pages.incident_mitigate,
        name="portal-incident-mitigate",
    ),
    path(
        "incidents/<int:pk>/resolve/",
        incident_pages.incident_resolve,
        name="portal-incident-resolve",
    ),
    path("incidents/<int:pk>/note/", incident_pages.incident_note, name="portal-incident-note"),
    path("bugs/<int:pk>/", bug_pages.bug_detail, name="portal-bug"),
    path("bugs/<int:pk>/decide/", bug_pages.bug_decide, name="portal-bug-decide"),
    path("", include("rota.urls")),
    path("", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    # Before Django's own: also ends the identity provider's session (portal.oidc.logout).
    path("accounts/logout/", SignOut.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/oidc/", include("portal.oidc.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from ?script rather than inline, so the page
    # runs under the Content-Security-Policy without 'unsafe-inline'.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="portal/api_docs.html"
        ),
        name="api-docs",
    ),
    path("healthz", views.healthz, name="healthz"),
]
