"""The error log: request-id search, keyset pages, filters, CSV, one error's context, tenancy."""
