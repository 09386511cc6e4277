"""``{% oidc_sign_in %}``: the "Sign in with <provider>" link, when a provider is configured."""

from django import template

from portal.oidc import config

register = template.Library()


@register.inclusion_tag("registration/oidc_button.html", takes_context=True)
def oidc_sign_in(context):
    """Render the button (nothing when sign-in with a provider is off)."""
    return {
        "enabled": config.is_enabled(),
        "name": config.provider_name(),
        "next": context.get("next", ""),
    }
