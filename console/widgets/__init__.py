"""Reusable console widgets, one module per family."""
