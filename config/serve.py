"""`python -m config.serve` (what `make serve` runs): the production web server, in the foreground.

Granian serves config.wsgi from WEB_WORKERS processes of WEB_THREADS threads each, on HOST:PORT
(0.0.0.0:8000 unless set), with whatever settings the environment gives. README's "Running it in
production" says why Granian (a measurement against gunicorn: `make bench BENCH_ARGS=serving`).
Its own lines go through settings.LOGGING like the app's, and it writes no access log: the
request-id middleware logs one line per request, under the request's id. SIGTERM or Ctrl-C stops
it gracefully; a worker that dies is started again.
"""

from __future__ import annotations

import os
import threading


class WakingEvent(threading.Event):
    """An Event whose untimed wait wakes twice a second, so signal handlers get to run.

    Granian's main loop waits on an Event with no timeout. When the kernel hands SIGTERM or SIGINT
    to one of its worker-watching threads instead of the main thread, Python only marks the signal
    pending (its handlers run in the main thread, between bytecodes), and the server never stops.
    """

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None:
            return super().wait(timeout)
        while not super().wait(0.5):
            pass
        return True


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from granian import Granian
    from granian.constants import Interfaces

    logging_config = settings.LOGGING  # loads the settings: bad secrets stop it here, at once
    server = Granian(
        "config.wsgi:application",
        address=os.environ.get("HOST", "0.0.0.0"),  # noqa: S104 - a server, behind the proxy
        port=int(os.environ.get("PORT", "8000")),
        interface=Interfaces.WSGI,
        workers=int(os.environ.get("WEB_WORKERS", "2")),
        blocking_threads=int(os.environ.get("WEB_THREADS", "4")),
        websockets=False,
        log_dictconfig=logging_config,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=30,  # a request still running 30 s after SIGTERM is cut off
    )
    server.main_loop_interrupt = WakingEvent()
    server.serve()


if __name__ == "__main__":
    main()
