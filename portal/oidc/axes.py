"""Keep django-axes' password-guessing limits off the identity provider's callback."""

from django.urls import reverse


def exempt(request, credentials) -> bool:
    """Tell axes not to count or lock the provider's callback (axes' AXES_WHITELIST_CALLABLE).

    No password is typed there: the provider does its own guessing limits, and counting
    refusals (a disabled account, say) under no username would lock a whole office out.
    """
    return request.path == reverse("oidc_authentication_callback")
