"""The Celery app: configured from Django settings (CELERY_* names), tasks found per app."""

import gc
import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

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
