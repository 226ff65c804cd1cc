"""The demo: a synthetic service (``service``), its monthly history (``history``) and the
templates filled with it (``build``), as ``caseload demo`` writes them."""
