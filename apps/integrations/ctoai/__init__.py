"""CTO.ai compatibility: its Events API (deployment and change events)."""
