from __future__ import annotations

import os
import sys
from pathlib import Path

# xlwings decides at import whether its Office.js engine (which the Lite tests call through) is
# available, from this variable: set it before any test imports xlwings, whatever the order the
# tests run in. "noncommercial" is xlwings' own key for non-commercial use (the issue allows it).
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

sys.path.insert(0, str(Path(__file__).parent))
