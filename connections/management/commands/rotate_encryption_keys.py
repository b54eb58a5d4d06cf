"""Re-encrypt every API token under the primary TOKEN_ENCRYPTION_KEYS key, in batches.

Resumable: rows already under the primary key are skipped, so an interrupted run simply picks
up where it stopped. Safe while the app serves: each batch is its own short transaction and a
row is only rewritten if its ciphertext is still the one that was read (a token rotated or
revoked meanwhile is left alone).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from connections import audit, crypto
from connections.actors import Actor
from connections.models import ApiToken


class Command(BaseCommand):
    help = "Re-encrypt every token under the primary key of TOKEN_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, batch_size: int, no_progress: bool, **options):
        counts = {
            "re-encrypted": 0,
            "already current": 0,
            "undecryptable": 0,
            "changed meanwhile": 0,
        }
        undecryptable: list[int] = []
        total = ApiToken.objects.count()
        last_pk = 0
        with tqdm(total=total, unit="token", disable=no_progress, file=self.stderr) as progress:
            while True:
                batch = list(
                    ApiToken.objects.filter(pk__gt=last_pk)
                    .order_by("pk")
                    .values_list("pk", "ciphertext")[:batch_size]
                )
                if not batch:
                    break
                with transaction.atomic():
                    for pk, ciphertext in batch:
                        outcome = self._reencrypt_one(pk, bytes(ciphertext))
                        counts[outcome] += 1
                        if outcome == "undecryptable":
                            undecryptable.append(pk)
                last_pk = batch[-1][0]
                progress.update(len(batch))
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Tokens: {total} checked: {summary}.")
        if undecryptable:
            self.stdout.write(
                self.style.WARNING(
                    "Cannot decrypt tokens "
                    + ", ".join(map(str, undecryptable[:50]))
                    + ": keep the key that encrypted them in TOKEN_ENCRYPTION_KEYS, or rotate "
                    "those tokens."
                )
            )
        audit.record(
            "tokens.reencrypted",
            None,
            actor=Actor.system(),
            object_type="connections.apitoken",
            object_id="*",
            object_repr=f"all {total} tokens",
            changes={"counts": counts, "undecryptable_token_ids": undecryptable[:200]},
        )

    def _reencrypt_one(self, pk: int, ciphertext: bytes) -> str:
        if crypto.is_under_primary_key(ciphertext):
            return "already current"
        try:
            fresh = crypto.reencrypt(ciphertext)
        except crypto.TokenDecryptionError:
            return "undecryptable"
        updated = ApiToken.objects.filter(pk=pk, ciphertext=ciphertext).update(ciphertext=fresh)
        return "re-encrypted" if updated else "changed meanwhile"
