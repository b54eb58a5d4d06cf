"""The unified API's protocol, as Patchbay speaks it: calls (`client`), the sweep's transport
(`transport`), what answers and webhook statuses mean (`protocol`), and redaction of what is kept.

Both `connections` (token calls) and `monitoring` (status calls, webhooks) import it; it imports
neither, only the health vocabulary.
"""
