"""gunicorn settings: access logs without the secrets that calendar and webhook URLs carry."""

import os

from gunicorn.glogging import Logger

from portal.logging import mask

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"


class MaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask(atoms[key])
        return atoms


logger_class = MaskingLogger
