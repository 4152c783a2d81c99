"""Arabic text rules: search folding (PRODUCT.md «Arabic»)."""

from __future__ import annotations

import re
import unicodedata

# Tashkeel (harakat, tanween, shadda, sukun, superscript alef, Quranic marks) and tatweel are dropped.
_DROP = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]")
_FOLD_TABLE = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    }
)


def fold(text: str) -> str:
    """Fold Arabic spelling variants so that «إسرائيل» and «اسرائيل», «غزة» and «غزه» compare equal.

    Applied identically to indexed text and to queries. Idempotent: fold(fold(x)) == fold(x).
    """
    text = unicodedata.normalize("NFC", text)
    text = _DROP.sub("", text)
    return text.translate(_FOLD_TABLE).casefold()
