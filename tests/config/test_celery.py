"""A task a request sends carries the request's id into the worker's log lines, which have the
web's format."""

import re
import time

import pytest

from tests.factories import linked_connection


@pytest.mark.integration
def test_a_check_now_logs_in_the_worker_under_the_requests_id(
    client, sandbox_server, celery_worker, support_user, customer_a
):
    connection = linked_connection(customer=customer_a)
    client.force_login(support_user)
    response = client.post(f"/connections/{connection.pk}/check/")
    assert response.status_code == 302
    request_id = response["X-Request-ID"]
    deadline = time.monotonic() + 30
    pattern = re.compile(
        rf"^\S+ \S+ INFO \d+ celery\.app\.trace \[{request_id}\] "
        r"Task monitoring\.tasks\.poll_connection_now\[.+\] succeeded",
        re.MULTILINE,
    )
    while not pattern.search(celery_worker.log_path.read_text()):
        assert time.monotonic() < deadline, celery_worker.log_path.read_text()[-3000:]
        time.sleep(0.2)
    worker_lines = celery_worker.log_path.read_text().splitlines()
    ready = next(line for line in worker_lines if "ready." in line)
    assert re.match(r"^\S+ \S+ INFO \d+ celery\.\S+ \[-\] ", ready), ready
