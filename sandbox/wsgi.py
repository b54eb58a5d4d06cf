"""The sandbox upstream as a WSGI application, for the server `manage.py run_sandbox` starts.

Each of the server's worker processes imports this module, so it sets Django up itself.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from sandbox.server import SandboxHandler  # noqa: E402 - needs the apps loaded above

application = SandboxHandler()
