"""The inference gateway: the hot path. No database round trip per request."""
