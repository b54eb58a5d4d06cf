"""The connections app's pages, one module per family: customers, tokens, the audit log."""
