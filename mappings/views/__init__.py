"""The mapping pages, one module per family: the editor, history, import/export/copy, and the
system defaults platform admins edit. `context.py` holds what the families share."""
