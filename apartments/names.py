"""Names as staff type them into a search box: the pinyin initials of a Chinese name (王伟 →
"ww"), so that a desk can find a resident from a few letters on a phone keyboard."""

from __future__ import annotations

from pypinyin import Style, pinyin

# Surnames read otherwise than the character's common reading (单 is dān, but shàn as a
# surname); pypinyin reads characters, not names.
SURNAME_INITIALS = {
    "单": "s",
    "曾": "z",
    "仇": "q",
    "解": "x",
    "朴": "p",
    "查": "z",
    "区": "o",
    "盖": "g",
    "乐": "y",
    "员": "y",
    "翟": "z",
    "召": "s",
    "覃": "q",
    "缪": "m",
    "尉": "y",
    "句": "g",
    "秘": "b",
    "万俟": "mq",
    "长孙": "zs",
}

INITIALS_MAX_LENGTH = 50


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def pinyin_initials(name: str) -> str:
    """The initials of a name, lower case: one letter per Chinese character (the surname read
    as a surname), and the first letter of each word in Latin letters ("Li Ming" → "lm");
    empty for a name with neither."""
    name = (name or "").strip()
    letters: list[str] = []
    rest = name
    for surname, initials in SURNAME_INITIALS.items():
        if name.startswith(surname) and len(name) > len(surname):
            letters.append(initials)
            rest = name[len(surname) :]
            break
    word_start = True
    for char in rest:
        if _is_cjk(char):
            letters.append(pinyin(char, style=Style.FIRST_LETTER, errors="ignore")[0][0])
            word_start = True
        elif char.isascii() and char.isalpha():
            if word_start:
                letters.append(char)
            word_start = False
        else:
            word_start = True
    return "".join(letters).lower()[:INITIALS_MAX_LENGTH]
