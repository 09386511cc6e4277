"""A WSGI application that answers constant bytes: the floor the hot path is measured against
over HTTP (``bench/hotpath_http.py`` serves it with gunicorn). Imports nothing of Django."""

BODY = b'{"at":"2030-01-16T12:00:00Z"' + b"x" * 540 + b"}"
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
