"""Handing an applied import to the workers: the one place the importers services reach Celery.

The services publish here (``transaction.on_commit``); ``importers.tasks`` holds the task body
and imports the services. This module imports neither, so the two never import each other
(``make lint`` checks it): it names the task, ``importers.run_import``, and Celery finds it in
the worker.
"""

from core.retry import publish

RUN_IMPORT = "importers.run_import"


def publish_import(run_id: int) -> None:
    """Hand the queued import ``run_id`` (an ImportRun's pk) to a worker.

    Broker errors propagate (as ``run_import.delay`` did): the run stays ``queued``.
    """
    publish(RUN_IMPORT, args=[run_id])
