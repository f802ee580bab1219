"""Numeric ids from client text, ASCII digits only.

`str.isdigit()` accepts "\u00b2" (which `int()` then refuses) and `int()` reads a fullwidth
or Arabic-Indic one (U+FF11, U+0661) as 1, so neither may decide what an id is: a fullwidth
one must not name segment 1.
"""

from __future__ import annotations

import re

MAX_ID_DIGITS = 15  # segment ids stay far below 2**53, the largest exact JSON number
_ASCII_ID = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}", re.ASCII)


def parse_numeric_id(raw: str) -> int | None:
    """The id `raw` spells in ASCII digits, or None when it spells no id at all."""
    if not _ASCII_ID.fullmatch(raw):
        return None
    return int(raw)
