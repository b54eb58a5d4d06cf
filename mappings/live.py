"""A connection's live records, fetched from the upstream for the checks before a save.

Fetched with the connection's current API token (decrypted for the call only) and kept a minute
per connection and entity, so typing in the editor does not call the upstream on every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache

from connections.models import ApiToken, Connection
from mappings.checks import RecordSet
from mappings.paths import compile_path
from upstream import client

CACHE_SECONDS = 60
MAX_RECORDS = 200


@dataclass(frozen=True)
class LiveRecords:
    records: RecordSet
    note: str = ""  # why there are none, in words
    errors: list[str] = field(default_factory=list)


def live_records(connection: Connection, catalog) -> LiveRecords:
    key = f"mappings:live:{connection.pk}:{catalog.entity}"
    found = cache.get(key)
    if found is None:
        found = _fetch(connection, catalog)
        cache.set(key, found, CACHE_SECONDS)
    return found


def forget(connection: Connection, entity: str) -> None:
    cache.delete(f"mappings:live:{connection.pk}:{entity}")


def _fetch(connection: Connection, catalog) -> LiveRecords:
    empty = RecordSet("live records", [], [])
    token = ApiToken.objects.current_for(connection)
    if token is None:
        return LiveRecords(empty, "The connection has no API token, so only samples are checked.")
    try:
        records = client.get_records(connection.upstream_id, catalog.entity, token.plaintext())
    except client.UpstreamCallError as exc:
        reason = exc.result.message or exc.result.error_code
        return LiveRecords(empty, f"Live records could not be fetched: {reason}")
    records = [record for record in records if isinstance(record, dict)][:MAX_RECORDS]
    id_path = catalog.catalog_defaults.get("id", {}).get("path") or "id"
    get_id = compile_path(id_path)
    titles = []
    for position, record in enumerate(records, start=1):
        value = get_id(record)
        titles.append(f"#{value}" if isinstance(value, (str, int)) else f"live record {position}")
    return LiveRecords(RecordSet("live records", titles, records))
