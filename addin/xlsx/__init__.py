"""Neutral helpers for .xlsx packages, shared by the headless engine, the templates, ``caseload
attach`` and the tracker reader:

- ``references``: A1 references (column letters and numbers, cells, ranges, sheet names);
- ``parts``: reading a package's parts as text (relationships, shared strings, styles, which
  number formats are dates or percentages, the application that saved it);
- ``cell_values``: the error value and a number's General text, as a workbook stores them;
- ``cached_values``: writing values into formula cells of sheet XML, as Excel caches them;
- ``sheets``: adding sheets of formulas to a package, leaving every other part as it was;
- ``limits``: what a package from outside may hold before it is opened.
"""
