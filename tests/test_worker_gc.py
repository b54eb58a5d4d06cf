"""The Celery worker's garbage-collection settings, applied when a worker (or its child) starts."""

import gc

import pytest
from celery.signals import worker_process_init

from config.celery import WORKER_GC_THRESHOLD


@pytest.fixture
def restored_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_starting_worker_process_collects_rarely_and_never_over_its_start_up_objects(
    restored_gc,
):
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)

    worker_process_init.send(sender=None)  # what each prefork child gets before its first task

    assert gc.get_threshold() == WORKER_GC_THRESHOLD
    assert gc.get_freeze_count() > 1000, "Django and the apps are out of later collections"
