"""Warnings as the Vidjil web client reads them: ``{"code", "level", "msg"}``.

Result objects keep warnings as plain strings; a string that starts with a
Vidjil warning code and a space (``"W69 Several genes with equal probability"``)
carries that code.  Levels follow the client's own table of codes
(``browser/js/warnings_data.js``: 0 info, 1 warn, 2 error).
"""

from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"(W[0-9a-z]{2}) (.*)", re.DOTALL)
LEVEL_NAMES = ("info", "warn", "error")
#: level of each code in the client's table; codes not listed are "warn"
CODE_LEVELS = {
    "W0a": 1, "W0b": 0, "W0x": 1, "W0z": 2, "W09": 2, "W10": 1, "W1z": 1, "W20": 1,
    "W21": 0, "W2x": 1, "W2y": 0, "W40": 1, "W50": 1, "W51": 2, "W53": 2, "W5a": 1,
    "W5b": 0, "W61": 2, "W68": 2, "W69": 0, "W6a": 0, "W6b": 2, "W6c": 0, "W6d": 0,
    "W6e": 0, "W7a": 0, "W7b": 0, "W7x": 0, "W81": 2, "W82": 2, "W8a": 0, "W8x": 1,
}


def warning_to_json(text: str) -> dict[str, str]:
    """``"W69 message"`` -> ``{"code": "W69", "level": "info", "msg": "message"}``."""
    match = CODE_PATTERN.fullmatch(text)
    code, message = (match.group(1), match.group(2)) if match else ("", text)
    return {"code": code, "level": LEVEL_NAMES[CODE_LEVELS.get(code, 1)], "msg": message}


def warning_from_json(warning: dict) -> str:
    """The inverse of ``warning_to_json`` (the level is implied by the code)."""
    code = str(warning.get("code") or "")
    message = str(warning.get("msg") or "")
    return f"{code} {message}" if code else message
