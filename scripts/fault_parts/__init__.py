"""Scenarios of scripts/faults: each module runs as `python3 -m fault_parts.<name> <work folder>`
and prints, as its last stdout line, {"ok": bool, "figures": {...}, "detail": str}."""
