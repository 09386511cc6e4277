"""The alert webhook: ``POST /api/v1/integrations/<token>/alerts/``.

A plain Django view: monitoring systems have no session and no CSRF token, the secret URL
is their credential, and the API's per-client throttles do not apply (each integration has
its own rate limit). The token is never logged: responses are marked as logged so Django's
request logger does not print the path, and the app's own log lines name the integration's id.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ..exceptions import AlertRefused, RateLimited
from ..services import alert_receive, integration_for_token

logger = logging.getLogger(__name__)


def _answer(data: dict, status: int) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response._has_been_logged = True  # keep the secret path out of django.request's log
    return response


@csrf_exempt
def alert_webhook(request, token):
    """Receive alerts (Alertmanager webhook v4 or Rota's generic JSON) for one integration.

    Any method but POST is a 405 with ``Allow: POST`` and a JSON ``detail``, as the API's
    other endpoints answer, and the token is kept out of the log as for every answer here.
    """
    if request.method != "POST":
        response = _answer(
            {"detail": f'Method "{request.method}" not allowed; alerts are sent with POST.'}, 405
        )
        response["Allow"] = "POST"
        return response
    try:
        integration = integration_for_token(token=token)
    except AlertRefused as exc:
        logger.warning("Alert posted to an unknown integration URL.")
        return _answer({"detail": exc.message}, exc.status_code)
    try:
        body = request.body
    except RequestDataTooBig:
        body = None
    try:
        result = alert_receive(integration=integration, body=body, headers=request.headers)
    except AlertRefused as exc:
        data = {"detail": exc.message}
        if getattr(exc, "errors", None):
            data["errors"] = exc.errors
        response = _answer(data, exc.status_code)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    return _answer({"status": "ok", **result.as_dict()}, 200)
