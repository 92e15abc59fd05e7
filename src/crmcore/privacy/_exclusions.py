"""Public names of one part of crmcore.privacy (filled in by its modules)."""

__all__: list[str] = []
