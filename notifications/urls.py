"""The notifications' portal pages (portal.urls includes these at the site root)."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/notifications/", views.my_notifications, name="notification-preferences"),
]
