"""The VBA macro that registers the CW_ functions' help with Excel, as xlwings' *Import
Functions* does.

xlwings' ribbon button imports the ``xlwings_udfs`` module and then calls
``Application.MacroOptions`` for every function (description, category, argument descriptions:
``xlwings.udfs.import_udfs``). A module imported by hand (*File > Import File*) gets none of
that, so ``caseload addin vba`` appends ``RegisterCaseloadFunctions``, a macro making the same
calls with the same values, to run once (*Developer > Macros*) before saving the workbook.

Written within VBA's limits: a string literal is split into pieces of at most
``PIECE_LENGTH`` characters joined by ``&`` and line continuations, no physical line is longer
than ``MAX_LINE`` characters and no statement has more than ``MAX_CONTINUATIONS`` line
continuations. ``MacroOptions`` is called late-bound, so the module also compiles where
``ArgumentDescriptions`` is unknown (Excel before 2010).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_DESCRIPTION = 255  # Excel's limit on a description and on each argument description
MAX_LINE = 1023  # characters on one physical line of a VBA module
MAX_CONTINUATIONS = 24  # line continuations in one logical line
PIECE_LENGTH = 200
MACRO_NAME = "RegisterCaseloadFunctions"
INDENT = "    "


@dataclass(frozen=True)
class Registration:
    """What ``Application.MacroOptions`` is told about one function (as xlwings tells it)."""

    name: str
    description: str
    category: str
    argument_descriptions: tuple[str, ...]


def registrations_from_xlfunc(metadata: Iterable[dict]) -> list[Registration]:
    """Registrations from xlwings' ``__xlfunc__`` metadata, with the values ``import_udfs``
    passes: the docstring and each argument's doc cut at 255 characters."""
    return [
        Registration(
            name=meta["name"],
            description=meta["ret"]["doc"][:MAX_DESCRIPTION],
            category=meta["category"],
            argument_descriptions=tuple(
                arg["doc"][:MAX_DESCRIPTION] for arg in meta["args"] if not arg["vba"]
            ),
        )
        for meta in metadata
    ]


def vba_string(text: str) -> list[str]:
    """``text`` as VBA expression pieces to be joined with ``" & _"`` continuations: quoted
    literals of at most ``PIECE_LENGTH`` characters, line breaks as ``vbLf``."""
    pieces: list[str] = []
    lines = text.split("\n")
    for number, line in enumerate(lines):
        chunks = [line[i : i + PIECE_LENGTH] for i in range(0, len(line), PIECE_LENGTH)] or [""]
        for position, chunk in enumerate(chunks):
            literal = '"' + chunk.replace('"', '""') + '"'
            if position == len(chunks) - 1 and number < len(lines) - 1:
                literal += " & vbLf"
            pieces.append(literal)
    return pieces


def _statement(registration: Registration) -> list[str]:
    """The ``Register ...`` statement for one function, as physical lines."""
    description = vba_string(registration.description)
    lines = [f'{INDENT}Register book & "{registration.name}", _']
    for index, piece in enumerate(description):
        last = index == len(description) - 1
        lines.append(INDENT * 2 + piece + (", _" if last else " & _"))
    lines.append(INDENT * 2 + '"' + registration.category.replace('"', '""') + '", _')
    arguments = [" & ".join(vba_string(doc)) for doc in registration.argument_descriptions] or [
        '""'
    ]
    for index, argument in enumerate(arguments):
        opening = "Array(" if index == 0 else "    "
        closing = ")" if index == len(arguments) - 1 else ", _"
        lines.append(INDENT * 2 + opening + argument + closing)
    continuations = sum(1 for line in lines if line.endswith(" _"))
    if continuations > MAX_CONTINUATIONS:
        raise ValueError(f"{registration.name}: {continuations} line continuations (VBA allows 24)")
    too_long = [line for line in lines if len(line) > MAX_LINE]
    if too_long:
        raise ValueError(f"{registration.name}: a line is longer than {MAX_LINE} characters")
    return lines


def registration_macro(registrations: Iterable[Registration]) -> str:
    """VBA: ``RegisterCaseloadFunctions`` (public, run once after a hand import) and the
    private ``Register`` helper it calls for every function. LF line endings."""
    lines = [
        f"Public Sub {MACRO_NAME}()",
        "    ' What xlwings' Import Functions does after importing this module: the description,",
        "    ' category and argument descriptions of every function in Insert Function.",
        "    ' Run it once after File > Import File, then save the workbook.",
        "    Dim book As String",
        '    book = "\'" & ThisWorkbook.Name & "\'!"',
    ]
    for registration in registrations:
        lines += _statement(registration)
    lines += [
        "End Sub",
        "",
        "Private Sub Register(macro As String, description As String, category As String, _",
        "        arguments As Variant)",
        "    Dim xl As Object",
        "    Set xl = Application  ' late-bound: ArgumentDescriptions needs Excel 2010 or later",
        "    If Val(Application.Version) >= 14 Then",
        "        xl.MacroOptions Macro:=macro, Description:=description, Category:=category, _",
        "            ArgumentDescriptions:=arguments",
        "    Else",
        "        xl.MacroOptions Macro:=macro, Description:=description, Category:=category",
        "    End If",
        "End Sub",
    ]
    return "\n".join(lines) + "\n"


def crlf(text: str) -> str:
    """``text`` with CRLF line endings, as the VBA editor's File > Import expects on any OS."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
