"""Korean fashion vocabulary: colour, item, season and style words with their synonyms.

The catalog and the person rarely use the same word (흰색 vs 화이트, 운동화 vs 스니커즈), so every
match goes through these tables instead of comparing raw strings.
"""

# canonical colour -> words a person or a catalog may use for it
COLOURS: dict[str, tuple[str, ...]] = {
    "블랙": ("블랙", "검정", "검은", "검정색", "까만", "black"),
    "화이트": ("화이트", "흰색", "흰", "하얀", "white", "오프화이트"),
    "아이보리": ("아이보리", "크림", "에크루", "ivory", "cream"),
    "그레이": ("그레이", "회색", "grey", "gray", "멜란지"),
    "차콜": ("차콜", "진회색", "charcoal"),
    # The catalog names denim shades by colour: 진청 is 네이비, 중청 블루, 연청 스카이블루.
    "네이비": ("네이비", "남색", "navy", "곤색", "진청", "네비"),
    "블루": ("블루", "파란", "파랑", "파란색", "blue", "코발트", "중청", "청색"),
    "스카이블루": ("스카이블루", "하늘색", "연파랑", "소라색", "라이트블루", "연청"),
    "베이지": ("베이지", "beige", "샌드", "오트밀", "카멜"),
    "브라운": ("브라운", "갈색", "밤색", "brown", "모카", "초콜릿", "카라멜"),
    "카키": ("카키", "khaki", "올리브", "국방색"),
    "그린": ("그린", "초록", "녹색", "green", "세이지", "포레스트"),
    "민트": ("민트", "민트색", "민트그린"),
    "레드": ("레드", "빨간", "빨강", "빨간색", "red"),
    "버건디": ("버건디", "와인", "와인색", "burgundy", "마룬"),
    "핑크": ("핑크", "분홍", "분홍색", "pink", "로즈", "코랄"),
    "옐로우": ("옐로우", "노란", "노랑", "노란색", "yellow", "머스타드", "레몬"),
    "오렌지": ("오렌지", "주황", "주황색", "orange", "테라코타"),
    "퍼플": ("퍼플", "보라", "보라색", "purple", "라벤더", "라일락"),
}
# canonical material (the catalog's word) -> words a person may use for it
MATERIALS: dict[str, tuple[str, ...]] = {
    "린넨": ("린넨", "리넨", "마 소재"),
    # Never bare "울": it hides inside 겨울 and 서울.
    "울": ("울 소재", "울코트", "울 코트", "울니트", "울 니트", "모직", "양모", "wool"),
    "캐시미어": ("캐시미어",),
    "코튼": ("코튼", "면 소재", "순면"),
    "데님": ("데님",),
    "레더": ("레더", "가죽"),
    "스웨이드": ("스웨이드",),
    "코듀로이": ("코듀로이", "골덴", "코르덴"),
    "실크": ("실크", "새틴"),
    "나일론": ("나일론",),
    "플리스": ("플리스", "후리스", "뽀글이"),
    "트위드": ("트위드",),
    "기모코튼": ("기모",),
}
NEUTRALS = ("블랙", "화이트", "아이보리", "그레이", "차콜", "네이비", "베이지", "브라운", "카키")
# Colours that read loud; two of them in one outfit rarely work.
ACCENTS = ("레드", "옐로우", "오렌지", "퍼플", "핑크", "그린", "민트", "블루", "버건디")

# item keyword -> (main_category, canonical sub_category, words that name it in a catalog)
ITEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "셔츠": ("TOP", ("셔츠", "shirt", "남방", "옥스포드")),
    "블라우스": ("TOP", ("블라우스",)),
    "티셔츠": ("TOP", ("티셔츠", "반팔티", "긴팔티", "반팔 티", "tee")),
    "폴로셔츠": ("TOP", ("폴로셔츠", "폴로 셔츠", "폴로", "카라티", "피케")),
    "니트": ("TOP", ("니트", "스웨터", "터틀넥", "폴라")),
    "맨투맨": ("TOP", ("맨투맨", "스웨트셔츠")),
    "후드티": ("TOP", ("후드티", "후드", "후디", "hoodie")),
    "원피스": ("TOP", ("원피스", "드레스")),
    "슬랙스": ("BOTTOM", ("슬랙스", "정장바지", "수트팬츠")),
    "청바지": ("BOTTOM", ("청바지", "데님팬츠", "데님 팬츠", "jeans", "진즈")),
    "치노팬츠": ("BOTTOM", ("치노", "면바지")),
    "반바지": ("BOTTOM", ("반바지", "쇼츠", "하프팬츠", "shorts")),
    "스커트": ("BOTTOM", ("스커트", "치마")),
    "조거팬츠": ("BOTTOM", ("조거", "트레이닝", "스웨트팬츠", "츄리닝")),
    "카고팬츠": ("BOTTOM", ("카고",)),
    "레깅스": ("BOTTOM", ("레깅스",)),
    "코트": ("OUTER", ("코트", "롱코트", "울코트")),
    "트렌치코트": ("OUTER", ("트렌치코트", "트렌치", "바바리")),
    "패딩": ("OUTER", ("패딩", "다운", "푸퍼")),
    "자켓": ("OUTER", ("자켓", "재킷", "블루종", "점퍼", "잠바")),
    "바람막이": ("OUTER", ("바람막이", "윈드브레이커", "아노락")),
    "블레이저": ("OUTER", ("블레이저", "수트자켓", "정장자켓")),
    "가디건": ("OUTER", ("가디건",)),
    "무스탕": ("OUTER", ("무스탕", "시어링")),
    "스니커즈": ("SHOES", ("스니커즈", "운동화", "sneakers", "단화")),
    "러닝화": ("SHOES", ("러닝화", "런닝화", "조깅화", "워킹화")),
    "로퍼": ("SHOES", ("로퍼",)),
    "구두": ("SHOES", ("구두", "더비", "옥스퍼드화", "드레스슈즈")),
    "부츠": ("SHOES", ("부츠", "첼시")),
    "샌들": ("SHOES", ("샌들", "슬리퍼", "쪼리")),
    "힐": ("SHOES", ("하이힐", "펌프스", "플랫슈즈", "힐 ")),
    "가방": ("ACCESSORY", ("가방", "백팩", "토트백", "크로스백")),
    "모자": ("ACCESSORY", ("모자", "볼캡", "비니", "버킷햇")),
    "머플러": ("ACCESSORY", ("머플러", "목도리", "스카프")),
    "벨트": ("ACCESSORY", ("벨트",)),
}
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "TOP": ("상의", "윗옷", "탑"),
    "BOTTOM": ("하의", "바지", "팬츠"),
    "OUTER": ("아우터", "겉옷"),
    "SHOES": ("신발", "슈즈"),
    "ACCESSORY": ("액세서리", "악세사리", "소품"),
}
CATEGORY_KO = {
    "TOP": "상의",
    "BOTTOM": "하의",
    "OUTER": "아우터",
    "SHOES": "신발",
    "ACCESSORY": "소품",
}

SEASONS: dict[str, tuple[str, ...]] = {
    "봄": ("봄", "spring", "환절기", "벚꽃", "3월", "4월", "5월"),
    "여름": (
        "여름",
        "summer",
        "더운",
        "더워",
        "덥",
        "무더",
        "폭염",
        "장마",
        "휴가철",
        "6월",
        "7월",
        "8월",
    ),
    "가을": ("가을", "fall", "autumn", "선선", "쌀쌀", "단풍", "9월", "10월", "11월"),
    "겨울": (
        "겨울",
        "winter",
        "추운",
        "추워",
        "춥",
        "한파",
        "영하",
        "눈 오는",
        "크리스마스",
        "12월",
        "1월",
        "2월",
    ),
}
SEASON_EN = {"SPRING": "봄", "SUMMER": "여름", "FALL": "가을", "AUTUMN": "가을", "WINTER": "겨울"}

# Canonical names are the catalog's style tags; the extra ones (올드머니, 고프코어) are trend words.
STYLES: dict[str, tuple[str, ...]] = {
    "캐주얼": ("캐주얼", "캐쥬얼", "편하게", "편한", "casual", "꾸안꾸", "데일리"),
    "미니멀": ("미니멀", "깔끔", "심플", "minimal", "단정", "베이직"),
    "클래식": ("클래식", "포멀", "정장", "격식", "formal", "차려입"),
    "댄디": ("댄디", "dandy", "세미포멀", "남친룩"),
    "오피스": ("오피스", "비즈니스", "세미정장", "직장인"),
    "스트릿": ("스트릿", "street", "힙한", "힙하게", "스트리트"),
    "페미닌": ("페미닌", "여성스러", "우아", "여리여리"),
    "러블리": ("러블리", "사랑스러", "귀여운", "큐트"),
    "아메카지": ("아메카지", "워크웨어"),
    "빈티지": ("빈티지", "레트로", "구제"),
    "스포티": ("스포티", "애슬레저", "sporty", "활동적"),
    "모던": ("모던", "세련", "시크", "도시적"),
    "고프코어": ("고프코어", "아웃도어"),
    "올드머니": ("올드머니", "고급스러"),
}
# Where "formal" sits relative to "casual" when a person asks to shift the tone.
CASUAL_SHIFT_WORDS = ("좀 더 캐주얼", "더 캐주얼", "캐주얼하게", "편하게", "덜 포멀", "힘 빼")
FORMAL_SHIFT_WORDS = ("좀 더 포멀", "더 포멀", "격식 있게", "단정하게", "차려입", "더 갖춰")


def canonical_colour(word: str) -> str | None:
    """The canonical colour a word (a person's or a catalog's) names, if any."""
    found = find_terms(word, COLOURS)
    return found[0] if found else None


def colour_words(canon: str) -> list[str]:
    """Every spelling of a canonical colour (for search filters)."""
    return list(COLOURS.get(canon, (canon,)))


def canonical_season(word: str) -> str | None:
    """봄/여름/가을/겨울 for a Korean or English season label."""
    if word.upper() in SEASON_EN:
        return SEASON_EN[word.upper()]
    return word if word in SEASONS else None


def item_of(text: str) -> str | None:
    """The canonical item a product name or sub-category names, if any."""
    found = find_terms(text, ITEM_WORDS)
    return found[0] if found else None


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


def find_terms(
    text: str, table: dict[str, tuple[str, ...]], *, canonical_too: bool = True
) -> list[str]:
    """Canonical terms named in the text; a longer match hides the shorter ones inside it."""
    lowered = text.lower()
    spans: list[tuple[int, int, str]] = []
    for canon, words in table.items():
        for word in {canon, *words} if canonical_too else set(words):
            start = lowered.find(word.lower())
            while start >= 0:
                spans.append((start, start + len(word), canon))
                start = lowered.find(word.lower(), start + 1)
    spans.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    found: list[str] = []
    covered_until = -1
    for _, end, canon in spans:
        if end <= covered_until:
            continue  # inside a longer match
        covered_until = max(covered_until, end)
        if canon not in found:
            found.append(canon)
    return found


ITEM_WORDS: dict[str, tuple[str, ...]] = {canon: words for canon, (_, words) in ITEMS.items()}
