"""A job's log: what each attempt printed, kept within what a TEXT column holds."""

from __future__ import annotations

#: characters of log kept per job (the newest; MariaDB's TEXT holds 65,535 bytes of UTF-8)
LOG_CHARS = 30_000
CUT_MARK = "[... earlier lines cut ...]\n"


def append_log(log: str, text: str) -> str:
    """``log`` followed by ``text`` on new lines, cut at its start if too long."""
    text = text.strip("\n")
    if not text:
        return log
    joined = f"{log}\n{text}" if log else text
    if len(joined) <= LOG_CHARS:
        return joined
    return CUT_MARK + joined[len(joined) - LOG_CHARS + len(CUT_MARK):]
