"""Calendar feeds (no login: the URL is the credential) and the feed subscription page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ownership.models import Team

from .models import FeedToken, Rotation
from .selectors.feeds import feed_body, feed_version
from .services.feeds import (
    feed_token_get_or_create,
    feed_token_regenerate,
    feed_token_resolve,
    feed_token_string,
)

BUSY_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request, token):
    """Serve a feed as iCalendar, answering 304 when the client's copy is current.

    ``?busy=1`` (or ``true``/``yes``) shows the owner's duty busy, ``?busy=0`` (or
    ``false``/``no``) free, whatever their preference; letters in any case, nothing around
    them. Anything else is a 400 naming the parameter and the values it takes.
    """
    feed_token = feed_token_resolve(token)
    if feed_token is None:
        raise Http404("No such calendar.")
    busy = None
    if "busy" in request.GET:
        busy = BUSY_VALUES.get(request.GET["busy"].lower())
        if busy is None:
            return HttpResponseBadRequest(
                "busy: give 1, true or yes to show your duty as busy, or 0, false or no to "
                "show it as free (in any case).",
                content_type="text/plain; charset=utf-8",
            )
    version = feed_version(token=feed_token, busy=busy)
    etag = f'"{version.fingerprint}"'
    # HTTP dates count whole seconds: a change made in this second could be followed by
    # another in the same second, which that date could not tell apart, so no date is given
    # (nor trusted) until the second is over. The ETag validates meanwhile.
    last_modified = int(version.last_modified)
    if last_modified >= int(timezone.now().timestamp()):
        last_modified = None
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is None:
        body = feed_body(token=feed_token, version=version)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="rota.ics"'
    else:
        response = not_modified
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # Calendar apps poll; let them and any proxy revalidate, but never share the response.
    response["Cache-Control"] = "private, max-age=300, must-revalidate"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def feed_url(request, token: FeedToken) -> dict:
    """The https and webcal:// addresses of a token's feed."""
    path = reverse("calendar-feed", kwargs={"token": feed_token_string(token)})
    https = request.build_absolute_uri(path) if request is not None else path
    return {"url": https, "webcal_url": "webcal://" + https.split("://", 1)[-1]}


@login_required
@never_cache
def my_feeds(request):
    """The signed-in person's feed links, with subscribe instructions."""
    person = feed_token_get_or_create(user=request.user)
    tokens = list(
        FeedToken.objects.filter(user=request.user)
        .exclude(kind="person")
        .select_related("rotation")
    )
    by_team = {t.team_id: t for t in tokens if t.kind == FeedToken.Kind.TEAM}
    feeds = [{"title": "My shifts", "token": person, **feed_url(request, person)}]
    teams = Team.objects.filter(memberships__user=request.user).order_by("name")
    for team in teams:
        token = by_team.get(team.pk)
        feeds.append(
            {
                "title": f"{team.name} rota",
                "token": token,
                "team": team,
                **(feed_url(request, token) if token else {}),
            }
        )
    for token in tokens:
        if token.kind == FeedToken.Kind.ROTATION:
            feeds.append({"title": token.rotation.name, "token": token, **feed_url(request, token)})
    return render(request, "rota/my_feeds.html", {"feeds": feeds})


@login_required
@require_POST
def my_feed_regenerate(request, pk):
    token = get_object_or_404(FeedToken, pk=pk, user=request.user)
    feed_token_regenerate(token=token)
    messages.success(
        request, "A new address was made; the old one stopped working. Update your calendar app."
    )
    return redirect("my-feeds")


@login_required
@require_POST
def my_feed_create(request):
    team = request.POST.get("team")
    rotation = request.POST.get("rotation")
    if team:
        feed_token_get_or_create(
            user=request.user, kind="team", team=get_object_or_404(Team, slug=team)
        )
    elif rotation:
        feed_token_get_or_create(
            user=request.user,
            kind="rotation",
            rotation=get_object_or_404(Rotation, pk=rotation),
        )
    return redirect("my-feeds")
