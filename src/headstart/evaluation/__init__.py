"""Metrics and plots computed from predictions."""
