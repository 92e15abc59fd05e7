"""Placeholder filled in by the CLV work."""

__all__: list[str] = []
