"""What Excel needs from us through xlwings: the VBA wrapper module and the function reference.

On Windows, xlwings' ribbon "Import Functions" writes the VBA wrapper itself. ``vba_module``
writes the same module on any OS (for an .xlam built elsewhere, or checked in review): it puts
stand-ins for the Windows-only modules xlwings.udfs imports, applies xlwings' real decorators
to ``udfs.excel`` (on Linux ``xw.func`` is a pass-through) and calls
``xlwings.udfs.generate_vba_wrapper`` — an internal xlwings API, pinned by a test.
"""

from __future__ import annotations

import importlib
import inspect
import io
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

import xlwings

UDF_MODULE = "udfs.excel"


def _stand_in(name: str) -> types.ModuleType:
    """A module whose every public attribute is a placeholder class (Dispatch, com_error...)."""
    module = types.ModuleType(name)

    def placeholder(attr: str) -> type:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return type(attr, (Exception,), {})

    module.__dict__["__getattr__"] = placeholder
    return module


@contextmanager
def _real_decorators() -> Iterator[types.ModuleType]:
    """``udfs.excel`` re-imported under xlwings' real decorators (metadata on each function)."""
    saved_modules = {
        n: sys.modules.get(n) for n in ("pythoncom", "pywintypes", "win32com", "win32com.client")
    }
    saved = (xlwings.func, xlwings.arg, xlwings.ret)
    try:
        for name in saved_modules:
            try:
                importlib.import_module(name)
            except ImportError:
                sys.modules[name] = _stand_in(name)
                parent, _, child = name.rpartition(".")
                if parent:
                    setattr(sys.modules[parent], child, sys.modules[name])
        from xlwings import udfs as xl_udfs

        xlwings.func, xlwings.arg, xlwings.ret = xl_udfs.xlfunc, xl_udfs.xlarg, xl_udfs.xlret
        module = importlib.reload(importlib.import_module(UDF_MODULE))
        yield module
    finally:
        xlwings.func, xlwings.arg, xlwings.ret = saved
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        importlib.reload(importlib.import_module(UDF_MODULE))


def function_metadata() -> list[dict[str, Any]]:
    """xlwings' metadata for every CW_ function: name, category, arguments and help text."""
    with _real_decorators() as module:
        found = [
            getattr(module, name).__xlfunc__
            for name in sorted(dir(module))
            if name.startswith("CW_") and hasattr(getattr(module, name), "__xlfunc__")
        ]
        return [
            {
                "name": meta["name"],
                "category": meta["category"],
                "doc": meta["ret"]["doc"],
                "args": [(a["name"], a["doc"], "optional" in a) for a in meta["args"]],
            }
            for meta in found
        ]


def vba_module(workbook_name: str = "caseload.xlam") -> str:
    """The text of the VBA module (``xlwings_udfs``) that calls the CW_ functions from Excel."""
    buffer = io.StringIO()
    with _real_decorators() as module:
        from xlwings import udfs as xl_udfs

        workbook = types.SimpleNamespace(Name=workbook_name)
        xl_udfs.generate_vba_wrapper(UDF_MODULE, module, buffer, workbook)
    return 'Attribute VB_Name = "xlwings_udfs"\n' + buffer.getvalue()


def xlwings_conf() -> str:
    """The xlwings.conf shipped with the add-in (names the UDF module)."""
    return resources.files("addin").joinpath("xlwings.conf").read_text(encoding="utf-8")


def function_reference() -> str:
    """Markdown reference of every CW_ function, from the docstrings (the README's section)."""
    lines = []
    for meta in function_metadata():
        args = ", ".join(f"[{n}]" if optional else n for n, _, optional in meta["args"])
        lines += [f"### `{meta['name']}({args})`", "", inspect.cleandoc(meta["doc"]), ""]
        lines += [f"- `{name}`: {doc}" for name, doc, _ in meta["args"]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
