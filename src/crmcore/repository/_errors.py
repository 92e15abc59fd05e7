"""Helpers for the repository errors defined in :mod:`crmcore.errors`."""

from __future__ import annotations

from crmcore.errors import NotFound


def not_found_by_key(kind: str, key: str) -> NotFound:
    """A NotFound for a natural-key lookup whose message leaves the value out."""
    return NotFound(kind, key=key)
