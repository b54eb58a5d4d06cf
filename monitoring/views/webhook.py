"""The upstream's webhook endpoint: public by design, authenticated by its signature."""

from __future__ import annotations

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from monitoring import webhooks


@csrf_exempt
@require_POST
def unified_webhook(request):
    """Verify and store, enqueue processing, answer at once (the upstream allows 10 s)."""
    try:
        event, is_new = webhooks.receive(request.body, request.headers)
    except webhooks.WebhookRejected as rejected:
        return JsonResponse({"error": rejected.message}, status=rejected.status)
    if is_new:
        from monitoring.tasks import process_webhook_event

        # Robust: with the broker away the event is stored all the same and answered 200; it is
        # sent again later (monitoring.tasks.send_stuck_webhook_events).
        transaction.on_commit(lambda: process_webhook_event.delay(event.pk), robust=True)
    return JsonResponse({"received": True, "duplicate": not is_new})
