"""Connection health: its vocabulary (status, outcome, severity) and the state machine.

The bottom layer: `upstream` (the protocol), `connections` and `monitoring` all import it, and it
imports none of them.
"""
