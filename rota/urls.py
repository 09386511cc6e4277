"""The rota's pages and calendar feeds (included by portal.urls at the site root)."""

urlpatterns = []
