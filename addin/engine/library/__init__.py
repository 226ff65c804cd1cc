"""Excel functions the engine implements itself, one small module per category; importing
the package registers them (``addin.engine.functions.register``). Adding a function touches
the module of its category only: its ``@register`` line carries its settings
(``elementwise``: applied cell by cell to arrays; ``error_aware``: sees error arguments)."""

from addin.engine.library import database, engineering, financial, maths, text

__all__ = ["database", "engineering", "financial", "maths", "text"]
