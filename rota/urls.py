"""The rota's pages and calendar feeds (included by portal.urls at the site root)."""

from django.urls import path

from . import pages_rotation, views

urlpatterns = [
    path("rotations/<int:pk>/", pages_rotation.rotation_detail, name="portal-rotation"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("me/feeds/", views.my_feeds, name="my-feeds"),
    path("me/feeds/new/", views.my_feed_create, name="my-feed-create"),
    path("me/feeds/<int:pk>/regenerate/", views.my_feed_regenerate, name="my-feed-regenerate"),
]
