"""My rota (/me/): my coming shifts, swaps, leave and calendar feed, as a portal page.

Every write goes through the rota services, with the API's permission rules
(:mod:`rota.api.permissions`); a refusal is shown on the page next to what it is about.
"""

import functools

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.exceptions import DomainError, NotAllowed, error_status, error_text
from core.pages import add_errors, page
from ownership.models import Membership

from . import services
from .api.permissions import (
    can_manage_rotation,
    can_manage_user,
    managed_teams,
    request_is_rota_admin,
)
from .models import Override, RotationParticipant, Shift, SwapRequest, Unavailability
from .selectors.duty import same_holder
from .selectors.leave import shift_leave_clashes
from .selectors.schedule import segments_for
from .services.feeds import feed_token_get_or_create
from .services.leave import leave_result_lines
from .views import feed_url

SHIFTS_SHOWN = 12
TEAM_SHIFTS_SHOWN = 6
OFFERS_SHOWN = 20


def post_or_back(view):
    """Let ``view`` take a POST; send a GET back to My rota; refuse other methods (405).

    A refused action renders My rota at the action's address (``/me/leave/``, ...), so the
    browser's reload (or a bookmark) asks it with GET: that goes back to the page.
    """
    posted = require_POST(view)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            return redirect(reverse("my-rota"))
        return posted(request, *args, **kwargs)

    return wrapper


class LeaveForm(forms.Form):
    start_date = forms.DateField(label="First day away", widget=forms.DateInput({"type": "date"}))
    end_date = forms.DateField(label="Last day away", widget=forms.DateInput({"type": "date"}))
    reason = forms.CharField(label="Reason (optional)", max_length=200, required=False)


class OfferForm(forms.Form):
    message = forms.CharField(max_length=300, required=False)


def _open_swaps():
    return SwapRequest.objects.filter(status__in=SwapRequest.OPEN_STATUSES).select_related(
        "taken_by"
    )


def _shift_rows(queryset):
    handovers = (
        SwapRequest.objects.filter(status=SwapRequest.Status.APPROVED, approved_by__isnull=True)
        .select_related("offered_by")
        .order_by("-closed_at", "-id")
    )
    return queryset.select_related("rotation", "team", "user").prefetch_related(
        Prefetch("swap_requests", queryset=_open_swaps(), to_attr="open_swaps"),
        Prefetch("swap_requests", queryset=handovers, to_attr="handovers"),
    )


def offers_for(user, now):
    """Return open offers ``user`` may take (they are in the rotation), soonest first."""
    my_teams = Membership.objects.filter(user=user).values("team_id")
    in_rotation = (
        Q(shift__rotation_id__in=RotationParticipant.objects.filter(user=user).values("rotation"))
        | Q(shift__rotation__team_id__in=my_teams)
        | Q(
            shift__rotation__follows_team_rotation_id__in=RotationParticipant.objects.filter(
                team_id__in=my_teams
            ).values("rotation")
        )
    )
    return (
        SwapRequest.objects.filter(in_rotation, status=SwapRequest.Status.OFFERED)
        .filter(shift__end__gt=now)
        .exclude(offered_by=user)
        .select_related("shift__rotation", "offered_by")
        .order_by("shift__start", "id")
    )


def approvals_for(request):
    """Return taken swaps waiting for a manager the caller is (empty for engineers)."""
    taken = SwapRequest.objects.filter(status=SwapRequest.Status.TAKEN)
    if not request_is_rota_admin(request):
        managed = managed_teams(request)
        if not managed:
            return SwapRequest.objects.none()
        turn_orders = RotationParticipant.objects.filter(team_id__in=managed).values("rotation")
        taken = taken.filter(
            Q(shift__rotation__team_id__in=managed)
            | Q(shift__rotation_id__in=turn_orders)
            | Q(shift__rotation__follows_team_rotation_id__in=turn_orders)
        )
    return taken.select_related("shift__rotation", "offered_by", "taken_by").order_by(
        "shift__start"
    )


def _render(request, *, errors=None, leave_form=None, status=200):
    user, now = request.user, timezone.now()
    person_feed = feed_token_get_or_create(user=user)
    my_team_ids = Membership.objects.filter(user=user).values("team_id")
    context = {
        "shifts": list(
            _shift_rows(Shift.objects.filter(user=user, end__gt=now)).order_by("start")[
                :SHIFTS_SHOWN
            ]
        ),
        "team_shifts": list(
            Shift.objects.filter(team_id__in=my_team_ids, rotation__kind="team", end__gt=now)
            .select_related("rotation", "team")
            .order_by("start")[:TEAM_SHIFTS_SHOWN]
        ),
        "covers": list(
            Override.objects.filter(user=user, end__gt=now)
            .select_related("rotation")
            .order_by("start")
        ),
        "offers": list(offers_for(user, now)[:OFFERS_SHOWN]),
        "taken": list(
            SwapRequest.objects.filter(taken_by=user, status=SwapRequest.Status.TAKEN)
            .select_related("shift__rotation", "offered_by")
            .order_by("shift__start")
        ),
        "approvals": _with_run_warnings(approvals_for(request)),
        "leave": list(
            Unavailability.objects.filter(user=user, end_date__gte=timezone.localdate()).order_by(
                "start_date"
            )
        ),
        "leave_form": leave_form or LeaveForm(),
        "feed": {"token": person_feed, **feed_url(request, person_feed)},
        "now": now,
    }
    for shift in context["shifts"]:
        # A started shift changes hands only by a cover (rota.services.swaps).
        shift.started = shift.start <= now
        # A shift I took without approval can go back to its offerer until it starts.
        shift.handover = next(
            (w for w in shift.handovers if w.taken_by_id == user.pk and shift.start > now), None
        )
    _apply_final_schedule(context["shifts"] + context["team_shifts"], now)
    clashes = shift_leave_clashes(context["shifts"] + context["team_shifts"])
    for shift in context["shifts"] + context["team_shifts"]:
        shift.leave_clashes = clashes.get(shift.pk, [])
    context["unplaced_errors"] = _place_errors(context, dict(errors or {}))
    return render(request, "rota/my_rota.html", context, status=status)


def _with_run_warnings(swaps) -> list:
    """Return the swaps, each with ``run_warning`` (see services.swap_run_warning)."""
    swaps = list(swaps)
    warnings = services.swap_run_warnings(swaps)
    for swap in swaps:
        swap.run_warning = warnings[swap.pk]
    return swaps


def _apply_final_schedule(shifts, now) -> None:
    """Mark each shift with the covers over it and whether its holder is on duty now.

    Sets ``covers`` (segments of someone else's cover within the shift, in time order),
    ``covered_in_full`` and ``on_duty_now`` on each shift, from the final schedule of their
    rotations (two queries, none without shifts).
    """
    if not shifts:
        return
    rotations = list({shift.rotation_id: shift.rotation for shift in shifts}.values())
    start, end = min(s.start for s in shifts), max(s.end for s in shifts)
    schedule = segments_for(rotations, start, end)
    for shift in shifts:
        segments = [
            s for s in schedule[shift.rotation_id] if s.start < shift.end and s.end > shift.start
        ]
        held = [s for s in segments if s.shift_id == shift.pk]
        shift.covers = [s for s in segments if s.is_override and not same_holder(s, shift)]
        shift.covered_in_full = bool(shift.covers) and not held
        shift.on_duty_now = any(s.start <= now < s.end for s in held)


def _place_errors(context, errors) -> list[str]:
    """Attach each error to the row it is about; return those whose row is not shown."""
    rows = [(f"shift-{s.pk}", s) for s in context["shifts"]]
    offered = [s.open_swaps[0] for s in context["shifts"] if s.open_swaps]
    rows += [(f"swap-{swap.pk}", swap) for swap in offered]
    rows += [(f"swap-{s.handover.pk}", s.handover) for s in context["shifts"] if s.handover]
    rows += [(f"swap-{swap.pk}", swap) for swap in context["taken"]]
    rows += [(f"swap-{swap.pk}", swap) for swap in context["offers"] + context["approvals"]]
    rows += [(f"leave-{entry.pk}", entry) for entry in context["leave"]]
    for key, obj in rows:
        if key in errors:
            obj.error = errors.pop(key)
    return list(errors.values())


@page
@never_cache
def my_rota(request):
    """Show my coming shifts, offers I can take, my leave and my calendar feed."""
    return _render(request)


def _refused(request, key, exc):
    """Show a refusal next to the row it concerns, answering the status the API answers.

    ``exc`` is a ValidationError (400), a domain error (its status: 409 for a conflict such
    as a started shift, 403 for :class:`~core.exceptions.NotAllowed`) — see ``error_status``.
    """
    return _render(request, errors={key: error_text(exc)}, status=error_status(exc))


@page
@post_or_back
def shift_offer(request, pk):
    """Offer one of my shifts to the others in its rotation."""
    shift = get_object_or_404(Shift.objects.select_related("rotation"), pk=pk)
    key = f"shift-{pk}"
    if shift.user_id != request.user.pk:
        return _refused(request, key, NotAllowed("You can only offer your own shift."))
    form = OfferForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    try:
        services.swap_offer(shift=shift, by=request.user, message=message)
    except (ValidationError, DomainError) as exc:
        return _refused(request, key, exc)
    messages.success(request, "Your shift is on offer; the others in the rotation can take it.")
    return redirect("my-rota")


def _swap_step(request, pk, service, allowed, done):
    swap = get_object_or_404(SwapRequest.objects.select_related("shift__rotation"), pk=pk)
    key = f"swap-{pk}"
    if not allowed(swap):
        return _refused(request, key, NotAllowed("You may not do that with this swap."))
    try:
        swap = service(swap=swap, by=request.user)
    except (ValidationError, DomainError) as exc:
        return _refused(request, key, exc)
    messages.success(request, done(swap))
    return redirect("my-rota")


@page
@post_or_back
def swap_take(request, pk):
    """Take a shift someone offered (the service checks I am in the rotation)."""

    def done(swap):
        if swap.status == SwapRequest.Status.TAKEN:
            return "You took the shift; it becomes yours once a manager approves."
        return "The shift is yours now."

    return _swap_step(request, pk, services.swap_take, lambda swap: True, done)


@page
@post_or_back
def swap_cancel(request, pk):
    """Withdraw my offer (its author or staff)."""
    return _swap_step(
        request,
        pk,
        services.swap_cancel,
        lambda swap: swap.offered_by_id == request.user.pk or request_is_rota_admin(request),
        lambda swap: "Your offer is withdrawn; the shift stays yours.",
    )


@page
@post_or_back
def swap_withdraw(request, pk):
    """Give back a shift I took (before approval, or before it starts if none was needed)."""

    def done(swap):
        if swap.status == SwapRequest.Status.OFFERED:
            return "You withdrew; the shift is on offer again."
        return "You gave the shift back to the person who offered it."

    return _swap_step(
        request,
        pk,
        services.swap_withdraw,
        lambda swap: swap.taken_by_id == request.user.pk,
        done,
    )


@page
@post_or_back
def swap_approve(request, pk):
    """Approve a taken swap (staff and the rotation's managers)."""
    return _swap_step(
        request,
        pk,
        services.swap_approve,
        lambda swap: can_manage_rotation(request, swap.shift.rotation),
        lambda swap: "Approved: the shift changed hands.",
    )


@page
@post_or_back
def swap_reject(request, pk):
    """Reject a taken swap (staff and the rotation's managers)."""
    return _swap_step(
        request,
        pk,
        services.swap_reject,
        lambda swap: can_manage_rotation(request, swap.shift.rotation),
        lambda swap: "Rejected: the shift stays with the person who offered it.",
    )


@page
@post_or_back
def leave_add(request):
    """Record my leave; my coming shifts that clash are covered or swapped at once."""
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            entry = services.unavailability_create(
                by=request.user, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            done, uncovered = leave_result_lines(entry.settled)
            messages.success(request, " ".join(["Your leave is recorded.", *done]))
            for line in uncovered:
                messages.warning(request, line)
            return redirect("my-rota")
    return _render(request, leave_form=form, status=400)


@page
@post_or_back
def leave_delete(request, pk):
    """Remove an entry of my leave."""
    entry = get_object_or_404(Unavailability.objects.select_related("user"), pk=pk)
    if entry.user is None or not can_manage_user(request, entry.user):
        return _refused(request, f"leave-{pk}", NotAllowed("This is not your leave."))
    services.unavailability_delete(unavailability=entry)
    messages.success(request, "The leave is removed.")
    return redirect("my-rota")
