"""Codacy Pulse compatibility: its ingestion webhook, its CLI's bodies and field names."""
