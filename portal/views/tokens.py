"""The page on which a person creates and revokes their own API tokens (``/me/tokens/``)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.pages import add_errors, page

from .. import tokens
from ..models import ApiTokenInfo


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, e.g. the chat bot or the CI job that will use it.",
    )


@page
def my_tokens(request):
    """List the signed-in person's API tokens; a POST creates one and shows its key once."""
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            info, key = tokens.api_token_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            # Rendered, not redirected: the key must not sit in a message or a URL.
            created = {"info": info, "key": key}
            form = TokenForm()
    return render(
        request,
        "portal/my_tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": list(tokens.api_tokens_of(user=request.user)),
            # The address this page was reached at, so the example works as pasted.
            "api_url": request.build_absolute_uri("/api/v1/"),
        },
    )


@require_POST
@page
def my_token_revoke(request, pk):
    """Revoke one of the signed-in person's tokens; another's answers 404."""
    try:
        name = ApiTokenInfo.objects.get(pk=pk, token__user=request.user).name
        tokens.api_token_revoke(user=request.user, token_id=pk)
    except ApiTokenInfo.DoesNotExist:
        raise Http404("You have no API token with this id.") from None
    messages.success(request, f"The token {name!r} is revoked: it stops working at once.")
    return redirect("my-tokens")
