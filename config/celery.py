"""The Celery app: configured from Django settings (CELERY_* names), tasks found per app."""

import gc
import logging.config
import os

from celery import Celery
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("patchbay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A sweep batch makes tens of thousands of short-lived objects (results, rows, events). At
# CPython's default of a collection every 700 net allocations, the collector ran dozens of times
# per batch over everything the worker had loaded: a tenth of the batch's CPU. Collections every
# 20,000 allocations, over what was made after start-up, cost next to nothing and bound memory
# all the same.
WORKER_GC_THRESHOLD = (20_000, 10, 10)


@worker_init.connect
@worker_process_init.connect
def tune_garbage_collection(**kwargs) -> None:
    """Leave start-up's objects (Django, the apps, the tasks) out of every later collection."""
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLD)


# The message header that carries the request id from whoever sent a task to its worker.
REQUEST_ID_HEADER = "patchbay_request_id"


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Worker and beat log through settings.LOGGING, as the web does, not Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@before_task_publish.connect
def send_request_id(headers=None, **kwargs) -> None:
    """A task sent while serving a request (or running a task that one sent) carries its id."""
    from connections.middleware import NO_REQUEST, current_request_id

    request_id = current_request_id()
    if headers is not None and request_id != NO_REQUEST:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect
def adopt_request_id(task=None, **kwargs) -> None:
    """The worker logs the task under the id that sent it (an eager task keeps its caller's)."""
    from connections.middleware import use_request_id

    if not task.request.is_eager:
        use_request_id(getattr(task.request, REQUEST_ID_HEADER, None) or "")


@task_postrun.connect
def drop_request_id(task=None, **kwargs) -> None:
    from connections.middleware import use_request_id

    if not task.request.is_eager:
        use_request_id("")
