"""Korean the answers are spoken in: particles that agree with the word before them, and how a
stylist names a main category."""

# How an answer names a main category (the catalog's codes are not said aloud).
CATEGORY_WORDS = {
    "TOP": "상의",
    "BOTTOM": "하의",
    "DRESS": "원피스",
    "OUTER": "아우터",
    "SHOES": "신발",
    "ACCESSORY": "소품",
}


def josa(word: str, pair: str) -> str:
    """The particle that follows a word: josa("셔츠", "이/가") -> "가" (by final consonant)."""
    with_batchim, without = pair.split("/")
    last = word.strip()[-1:] if word.strip() else ""
    if not ("가" <= last <= "힣"):
        return without
    has_batchim = (ord(last) - 0xAC00) % 28 != 0
    if pair == "으로/로" and (ord(last) - 0xAC00) % 28 == 8:  # ㄹ takes 로
        return without
    return with_batchim if has_batchim else without
