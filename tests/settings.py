"""The test run's settings: config.settings as local development has them.

DEBUG is off unless the environment turns it on; the suite runs as `make run` does (keys from
var/keys/, no https redirect), and so do the worker and sandbox processes it starts, which
inherit this environment. pytest-django still runs each test with settings.DEBUG False, as
Django's own test runner does. tests/config/ starts processes with production settings.
"""

import os

os.environ.setdefault("DEBUG", "True")

from config.settings import *  # noqa: E402, F403
