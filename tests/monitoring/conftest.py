import pytest

from monitoring import poller


def status_in_a_sweep(upstream_id, token):
    """One status call the way a sweep sends it: over the aiohttp transport."""
    return poller.run_to_completion(poller.poll_concurrently([(upstream_id, token)], 4))[0]


@pytest.fixture(params=["one call", "sweep"])
def get_status(request):
    """A status call on its own ("Check now", httpx's client) or in a sweep."""
    return poller.check_status if request.param == "one call" else status_in_a_sweep
