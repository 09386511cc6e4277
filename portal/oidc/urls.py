from django.urls import path

from . import views

urlpatterns = [
    path("authenticate/", views.SignInStart.as_view(), name="oidc_authentication_init"),
    # The library reverses this name for the redirect URI it sends the provider.
    path("callback/", views.SignInCallback.as_view(), name="oidc_authentication_callback"),
]
