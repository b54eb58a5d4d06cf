"""The Celery app: configured from Django settings (CELERY_* names), tasks found per app; the
queue each task goes to, and the worker step that keeps a process free of sweep batches."""

import gc
import logging
import logging.config
import os

from celery import Celery, bootsteps
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    task_received,
    worker_init,
    worker_process_init,
)
from celery.worker import state as worker_state

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("patchbay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logger = logging.getLogger(__name__)

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


# Tasks with a queue of their own; everything else goes to the default queue ("celery").
TASK_LANES = {
    "monitoring.tasks.poll_connection_now": "interactive",
    "monitoring.tasks.poll_batch": "sweep",
}
SWEEP_TASKS = frozenset(name for name, lane in TASK_LANES.items() if lane == "sweep")


def lane_queue(lane: str, default_queue: str) -> str:
    """The queue of a lane: its own name, prefixed by the default queue's when that is not
    "celery" (each test's worker has a default queue of its own; settings.CELERY_TASK_QUEUES
    names them the same way)."""
    return lane if default_queue == "celery" else f"{default_queue}.{lane}"


def route_task(name, args, kwargs, options, task=None, **kw):
    """CELERY_TASK_ROUTES: a lane's tasks to its queue, read when sent (not at import)."""
    lane = TASK_LANES.get(name)
    return None if lane is None else {"queue": lane_queue(lane, app.conf.task_default_queue)}


class SweepLane(bootsteps.StartStopStep):
    """Keep one of the worker's processes out of sweep batches, free for everything else.

    A worker serving the sweep queue and others stops taking batches while `concurrency - 1`
    of them are in flight, and takes them again when one ends, so a "Check now" finds a free
    process at once instead of waiting for a batch to finish. A worker of one process, or one
    serving only the sweep queue, has nothing to keep free.
    """

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.consumer = None
        self.queue = None
        self.limit = 0
        self.paused = False
        self.timer = None

    def start(self, c) -> None:
        name = lane_queue("sweep", c.app.conf.task_default_queue)
        consumed = set(c.app.amqp.queues.consume_from or c.app.amqp.queues)
        self.limit = (c.controller.concurrency or 1) - 1 if c.controller else 0
        if name not in consumed or len(consumed) < 2 or self.limit < 1:
            self.limit = 0
            return
        # Started again after a lost broker connection: its new consumer takes every queue.
        self.consumer, self.queue, self.paused = c, c.app.amqp.queues[name], False
        task_received.connect(self.on_received, sender=c, weak=False)
        self.timer = c.timer.call_repeatedly(0.1, self.adjust)
        logger.info("Sweep lane: at most %s batches at once, one process kept free.", self.limit)

    def stop(self, c) -> None:
        task_received.disconnect(self.on_received, sender=c)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def batches_in_flight(self) -> int:
        return sum(
            1 for request in list(worker_state.reserved_requests) if request.name in SWEEP_TASKS
        )

    def on_received(self, sender=None, request=None, **kwargs) -> None:
        # Sent before the request counts as reserved: this batch is one more.
        is_batch = request is not None and request.name in SWEEP_TASKS
        if is_batch and self.batches_in_flight() + 1 >= self.limit:
            self.pause()

    def adjust(self) -> None:
        if self.batches_in_flight() >= self.limit:
            self.pause()
        else:
            self.resume()

    def pause(self) -> None:
        if not self.paused and self.consumer.task_consumer is not None:
            self.consumer.task_consumer.cancel_by_queue(self.queue.name)
            self.paused = True

    def resume(self) -> None:
        if self.paused and self.consumer.task_consumer is not None:
            self.consumer.task_consumer.add_queue(self.queue)
            self.consumer.task_consumer.consume()
            self.paused = False


app.steps["consumer"].add(SweepLane)


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
