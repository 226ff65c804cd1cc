"""Returns and reviews business support prepares from many trackers (docs/returns.md).

Modules: ``mapping`` (column/code mappings kept beside a tracker), ``annex_a`` (Ofsted Annex A
as a Cases source), ``batch`` (many files, one service), ``history`` (monthly SQLite history),
``census`` (DfE children's social work workforce census), ``quarterly`` (workload report).
"""
