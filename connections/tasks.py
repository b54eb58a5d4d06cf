"""Beat tasks of the token lifecycle: thin, they call connections.tokens."""

from celery import shared_task

from connections import expiry, tokens


@shared_task(acks_late=True)
def revoke_rotated_out_tokens() -> dict:
    revoked, failed = tokens.revoke_rotated_out_tokens()
    return {"revoked": revoked, "failed": failed}


@shared_task(acks_late=True)
def announce_expiring_tokens() -> int:
    return expiry.announce_expiring_tokens()
