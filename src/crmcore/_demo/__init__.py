"""The built-in demonstration behind ``python -m crmcore demo`` (private)."""

from crmcore._demo._report import report

__all__ = ["report"]
