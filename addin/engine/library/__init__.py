"""Excel functions the engine implements itself, one module per category (aggregates, bessel,
database, dates, dynamic arrays, engineering, financial, information, logic, lookup, maths,
text, TEXT formats); importing the package registers them
(``addin.engine.functions.register``). Adding a function touches the module of its category
only: its ``@register`` line carries its settings (``elementwise``: applied cell by cell to
arrays; ``error_aware``: sees error arguments)."""

from addin.engine.library import (
    aggregates,
    bessel,
    database,
    dates,
    dynamic,
    engineering,
    financial,
    information,
    logic,
    lookup,
    maths,
    text,
    text_formats,
)

__all__ = [
    "aggregates",
    "bessel",
    "database",
    "dates",
    "dynamic",
    "engineering",
    "financial",
    "information",
    "logic",
    "lookup",
    "maths",
    "text",
    "text_formats",
]
