"""The portal page on which a person sets how and when Rota tells them things."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from . import services
from .forms import NotificationPreferenceForm
from .recipients import recipient_for


@login_required
def my_notifications(request):
    """Show and change the signed-in person's notification preferences."""
    preference = services.preference_get(user=request.user)
    form = NotificationPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_update(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your notification preferences are saved.")
            return redirect("notification-preferences")
    recipient = recipient_for(request.user)
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "timezone": recipient.tz.key if recipient else "UTC"},
    )
