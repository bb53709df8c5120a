"""Names as they are searched: folded to plain lower-case ASCII (pure; the customer table
keeps two folded columns computed from these, see models.Customer)."""

from __future__ import annotations

import unicodedata
from typing import Any

# Letters NFKD does not take apart (\u0131 is the Turkish dotless i).
_FOLD = str.maketrans({"ß": "ss", "\u0131": "i", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae"})
KEY_LENGTH = 200


def fold_name(text: str | None) -> str | None:
    """A name as it is searched: lower case, accents and case gone, spaces single.
    "Søren O'Brien-Núñez" -> "soren o'brien-nunez"."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    plain = "".join(ch for ch in folded if ord(ch) < 128 and ch.isprintable()).lower()
    return " ".join(plain.split())[:200] or None


def fold_name_surname_first(text: str | None) -> str | None:
    """The folded name with its last word first, so a family name is a prefix too:
    "Ada Lovelace" -> "lovelace ada"."""
    key = fold_name(text)
    if key is None or " " not in key:
        return key
    head, _, last = key.rpartition(" ")
    return f"{last} {head}"[:200]


def name_keys(document: Any) -> tuple[str | None, str | None]:
    """A stored customer document's two search keys (its name as is, and surname first)."""
    name = document.get("name") if isinstance(document, dict) else None
    text = name if isinstance(name, str) else None
    return fold_name(text), fold_name_surname_first(text)
