# ruff: noqa: E501  (vocabulary tables: one entry per line reads better than wrapped)
"""The fashion vocabulary shared by the demo generator and query understanding.

One table per attribute: the canonical Korean value stored in the catalog, and the surface
forms (synonyms, English loanword spellings, common typos) a person may type for it. Keeping
both sides here means a word the generator writes is always a word search understands.
"""

from dataclasses import dataclass

SEASONS = ("봄", "여름", "가을", "겨울")
GENDERS = ("MEN", "WOMEN", "UNISEX")
MAIN_CATEGORIES = ("TOP", "BOTTOM", "OUTER", "DRESS", "SHOES", "ACCESSORY")


@dataclass(frozen=True)
class Colour:
    name: str
    hex: str
    words: tuple[str, ...]


# fmt: off
COLOURS: tuple[Colour, ...] = (
    Colour("블랙", "#1f1f21", ("블랙", "검정", "검정색", "검은", "검은색", "까만", "까만색", "흑색", "black")),
    Colour("화이트", "#f4f3ee", ("화이트", "흰색", "흰", "하얀", "하얀색", "백색", "화이뜨", "white")),
    Colour("아이보리", "#ece4cf", ("아이보리", "크림", "크림색", "미색", "오프화이트", "에크루", "ivory", "cream", "offwhite")),
    Colour("그레이", "#8e9096", ("그레이", "회색", "그래이", "그레이색", "멜란지", "grey", "gray")),
    Colour("차콜", "#3b3d43", ("차콜", "챠콜", "진회색", "짙은회색", "charcoal")),
    Colour("네이비", "#1f2b4a", ("네이비", "남색", "곤색", "진청", "네이비색", "네비", "navy")),
    Colour("블루", "#2f5fa7", ("블루", "파란", "파란색", "파랑", "파랑색", "청색", "중청", "코발트", "blue")),
    Colour("스카이블루", "#9cc6e4", ("스카이블루", "하늘색", "하늘", "연청", "연파랑", "라이트블루", "소라색", "skyblue", "lightblue")),
    Colour("베이지", "#d6c19c", ("베이지", "베이지색", "샌드", "카멜", "오트밀", "beige", "camel", "tan")),
    Colour("브라운", "#6e4a30", ("브라운", "갈색", "밤색", "초코", "초콜릿", "모카", "카라멜", "브라운색", "brown")),
    Colour("카키", "#6b6a43", ("카키", "국방색", "올리브", "카키색", "khaki", "olive")),
    Colour("그린", "#3d7a52", ("그린", "초록", "초록색", "녹색", "세이지", "포레스트", "green")),
    Colour("레드", "#b3282f", ("레드", "빨간", "빨간색", "빨강", "적색", "red")),
    Colour("버건디", "#6a1f2e", ("버건디", "와인", "와인색", "자주색", "버건디색", "마룬", "burgundy", "wine", "maroon")),
    Colour("핑크", "#eeaabb", ("핑크", "분홍", "분홍색", "핑크색", "연핑크", "로즈", "코랄", "pink", "coral")),
    Colour("옐로우", "#ecc94b", ("옐로우", "노란", "노란색", "노랑", "머스타드", "레몬", "yellow", "mustard")),
    Colour("퍼플", "#8e7bbf", ("퍼플", "보라", "보라색", "라벤더", "라일락", "purple", "lavender", "lilac")),
    Colour("오렌지", "#e07a36", ("오렌지", "주황", "주황색", "테라코타", "orange")),
    Colour("민트", "#a1d8c4", ("민트", "민트색", "민트그린", "mint")),
)
# fmt: on
COLOUR_BY_NAME = {c.name: c for c in COLOURS}

# Words for a family of colours: "무채색 코트" is a black, white, grey or charcoal coat.
_ACHROMATIC = ("블랙", "화이트", "그레이", "차콜")
_PASTEL = ("핑크", "스카이블루", "민트", "퍼플", "아이보리", "옐로우")
_DARK = ("블랙", "차콜", "네이비", "브라운", "버건디")
_LIGHT = ("화이트", "아이보리", "스카이블루", "베이지", "핑크", "옐로우", "민트")
_NEUTRAL = ("베이지", "아이보리", "브라운", "카키", "화이트")
_VIVID = ("레드", "옐로우", "오렌지", "그린", "블루", "퍼플")
_MUTED = ("차콜", "네이비", "카키", "버건디", "브라운", "베이지", "그레이")
COLOUR_FAMILIES: dict[str, tuple[str, ...]] = {
    "무채색": _ACHROMATIC, "모노톤": _ACHROMATIC, "블랙앤화이트": ("블랙", "화이트"),
    "파스텔": _PASTEL, "파스텔톤": _PASTEL, "파스텔컬러": _PASTEL,
    "어두운": _DARK, "어두운색": _DARK, "다크": _DARK, "다크톤": _DARK, "짙은색": _DARK,
    "밝은": _LIGHT, "밝은색": _LIGHT, "라이트톤": _LIGHT,
    "뉴트럴": _NEUTRAL, "뉴트럴톤": _NEUTRAL, "어스톤": ("브라운", "카키", "베이지"),
    "비비드": _VIVID, "비비드컬러": _VIVID, "원색": _VIVID, "쨍한": _VIVID,
    "톤다운": _MUTED, "차분한색": _MUTED,
}  # fmt: skip

# Colours a stylist accepts for formal occasions, and the darkest of them.
FORMAL_COLOURS = frozenset(
    {"블랙", "화이트", "아이보리", "그레이", "차콜", "네이비", "스카이블루", "베이지", "브라운"}
)
DARK_COLOURS = frozenset({"블랙", "차콜", "네이비"})
BOLD_COLOURS = frozenset({"레드", "옐로우", "오렌지", "그린", "퍼플", "민트"})

PATTERNS: dict[str, tuple[str, ...]] = {
    "무지": ("무지", "솔리드", "단색", "민무늬"),
    "스트라이프": ("스트라이프", "줄무늬", "스트라이프무늬", "줄무니", "스트라입"),
    "체크": ("체크", "체크무늬", "격자", "깅엄", "타탄"),
    "도트": ("도트", "땡땡이", "물방울", "폴카도트"),
    "플로럴": ("플로럴", "꽃무늬", "플라워", "꽃"),
}

MATERIALS: dict[str, tuple[str, ...]] = {
    "코튼": ("코튼", "면", "순면", "cotton"),
    "린넨": ("린넨", "리넨", "linen"),
    "울": ("울", "모직", "양모", "wool"),
    "캐시미어": ("캐시미어", "캐시미아", "캐시미르"),
    "폴리에스터": ("폴리에스터", "폴리", "폴리에스테르"),
    "데님": ("데님",),
    "레더": ("레더", "가죽", "소가죽", "leather"),
    "나일론": ("나일론",),
    "스웨이드": ("스웨이드", "스웨드"),
    "쉬폰": ("쉬폰", "시폰"),
    "실크": ("실크", "새틴", "실크소재"),
    "기모코튼": ("기모", "기모코튼", "융털"),
    "덕다운": ("덕다운", "구스다운", "다운", "오리털", "거위털"),
    "코듀로이": ("코듀로이", "골덴", "코르덴"),
    "플리스": ("플리스", "후리스", "뽀글이"),
    "메쉬": ("메쉬", "매쉬"),
    "캔버스": ("캔버스",),
    "아크릴": ("아크릴",),
    "트위드": ("트위드",),
}

# The seasons a material is worn in; a product's seasons are its garment's ∩ its material's.
MATERIAL_SEASONS: dict[str, tuple[str, ...]] = {
    "린넨": ("봄", "여름"),
    "울": ("가을", "겨울"),
    "캐시미어": ("가을", "겨울"),
    "쉬폰": ("봄", "여름"),
    "기모코튼": ("가을", "겨울"),
    "덕다운": ("겨울",),
    "코듀로이": ("가을", "겨울"),
    "플리스": ("가을", "겨울"),
    "메쉬": ("봄", "여름"),
    "아크릴": ("가을", "겨울"),
    "트위드": ("가을", "겨울"),
    "스웨이드": ("봄", "가을", "겨울"),
    "레더": ("봄", "가을", "겨울"),
}

FITS: dict[str, tuple[str, ...]] = {
    "슬림핏": ("슬림핏", "슬림", "스키니", "타이트"),
    "레귤러핏": ("레귤러핏", "레귤러", "기본핏", "정핏"),
    "오버핏": ("오버핏", "오버사이즈", "루즈핏", "박시", "오버핏트"),
    "와이드핏": ("와이드핏", "와이드", "통바지", "벌룬"),
    "스트레이트핏": ("스트레이트핏", "스트레이트", "일자핏", "일자"),
    "세미와이드핏": ("세미와이드핏", "세미와이드"),
    "크롭핏": ("크롭핏", "크롭", "크롭기장"),
    "A라인": ("a라인", "에이라인"),
    "H라인": ("h라인", "에이치라인", "펜슬"),
    "플리츠": ("플리츠", "주름"),
    "정사이즈": ("정사이즈",),
    "프리사이즈": ("프리사이즈", "원사이즈"),
}

# fmt: off
STYLES: dict[str, tuple[str, ...]] = {
    "미니멀": ("미니멀", "심플", "깔끔", "깔끔한", "깔끔하게", "단정", "단정한", "베이직", "미니멀룩", "무난한", "무난", "minimal", "simple", "clean", "basic"),
    "캐주얼": ("캐주얼", "캐쥬얼", "편한", "편안한", "편하게", "꾸안꾸", "캐주얼룩", "casual", "relaxed", "comfy", "comfortable"),
    "클래식": ("클래식", "포멀", "격식", "정장룩", "클래식룩", "고급스러운", "고급스럽게", "올드머니", "classic", "formal", "elegant"),
    "스트릿": ("스트릿", "스트리트", "힙한", "힙하게", "힙합", "스트릿룩", "street", "streetwear", "hip"),
    "댄디": ("댄디", "댄디룩", "남친룩", "세미포멀", "dandy", "smart", "semiformal"),
    "페미닌": ("페미닌", "여성스러운", "여성스럽게", "우아한", "우아하게", "여리여리", "여친룩", "feminine", "girly"),
    "스포티": ("스포티", "스포츠", "애슬레저", "활동적인", "sporty", "athleisure"),
    "오피스": ("오피스", "오피스룩", "비즈니스", "비즈니스캐주얼", "세미정장", "직장인", "business", "businesscasual"),
    "빈티지": ("빈티지", "레트로", "구제", "vintage", "retro"),
    "러블리": ("러블리", "귀여운", "귀엽게", "사랑스러운", "큐트", "lovely", "cute"),
    "아메카지": ("아메카지", "워크웨어", "아웃도어", "고프코어", "workwear", "outdoor", "gorpcore"),
    "모던": ("모던", "세련된", "세련되게", "시크", "시크한", "도시적인", "modern", "chic", "sleek"),
}

TPOS: dict[str, tuple[str, ...]] = {
    "소개팅": ("소개팅", "소개팅룩", "첫만남", "미팅", "blinddate", "firstdate"),
    "면접": ("면접", "면접룩", "면접복장", "인터뷰", "취준", "입사면접", "최종면접", "interview", "jobinterview"),
    "데이트": ("데이트", "데이트룩", "연애", "기념일", "date", "dating", "anniversary"),
    "출근": ("출근", "출근룩", "회사", "직장", "오피스룩", "첫출근", "사무실", "출퇴근", "office", "work", "commute", "workplace"),
    "결혼식": ("결혼식", "하객", "하객룩", "웨딩", "결혼식장", "wedding", "weddingguest"),
    "여행": ("여행", "여행룩", "휴가", "바캉스", "나들이", "피크닉", "캠핑", "travel", "trip", "vacation", "holiday", "picnic"),
    "캠퍼스": ("캠퍼스", "캠퍼스룩", "대학", "학교", "대학생", "개강", "등교", "campus", "school", "college", "university", "class"),
    "운동": ("운동", "헬스", "러닝", "조깅", "요가", "등산", "운동복", "짐웨어", "트레이닝", "workout", "gym", "exercise", "running", "jogging", "yoga", "hiking"),
    "파티": ("파티", "파티룩", "연말", "송년회", "클럽", "모임", "생일파티", "party", "club"),
    "데일리": ("데일리", "데일리룩", "일상", "평소", "동네", "출근외", "daily", "everyday"),
    "상견례": ("상견례", "상견례룩", "부모님", "어른들", "예비시댁", "예비처가", "meettheparents", "parents"),
    "장례식": ("장례식", "조문", "장례", "장례식장", "조문룩", "funeral"),
}

SEASON_WORDS: dict[str, tuple[str, ...]] = {
    "봄": ("봄", "봄철", "봄옷", "간절기", "환절기", "봄가을", "벚꽃", "3월", "4월", "5월", "spring"),
    "여름": ("여름", "여름철", "여름옷", "한여름", "더운", "더울", "더워", "더워서", "무더위", "폭염", "장마", "휴가철", "시원한", "시원", "쿨링", "청량", "청량한", "6월", "7월", "8월", "summer", "hot"),
    "가을": ("가을", "가을철", "가을옷", "간절기", "환절기", "봄가을", "쌀쌀한", "쌀쌀", "선선", "선선한", "단풍", "9월", "10월", "11월", "fall", "autumn"),
    "겨울": ("겨울", "겨울철", "겨울옷", "한겨울", "추운", "추울", "추워", "추워서", "한파", "영하", "크리스마스", "따뜻한", "따뜻", "포근한", "포근", "보온", "방한", "12월", "1월", "2월", "winter", "cold"),
}

# Who wears it. A partner named ("여자친구랑 데이트") is in PARTNER_WORDS instead: search reads
# it as the wearer (a present for her), a stylist as the person they dress up for.
GENDER_WORDS: dict[str, tuple[str, ...]] = {
    "MEN": ("남자", "남성", "맨즈", "남성용", "아빠", "남편", "아들", "man", "men", "male", "guy", "mens"),
    "WOMEN": ("여자", "여성", "우먼", "여성용", "엄마", "아내", "딸", "woman", "women", "female", "girl", "lady", "womens"),
    "UNISEX": ("남녀공용", "유니섹스", "공용", "unisex"),
}
PARTNER_WORDS: dict[str, tuple[str, ...]] = {
    "MEN": ("남자친구", "남친", "boyfriend", "husband"),
    "WOMEN": ("여자친구", "여친", "girlfriend", "wife"),
}

# What people ask for that the catalog does not carry, with the nearest thing it does carry
# (kind, nearest sub-category, nearest colour). A stylist says so plainly instead of passing
# something else off as it.
NOT_CARRIED: dict[str, tuple[str, str, str]] = {
    **dict.fromkeys(("구찌", "gucci"), ("brand", "", "")),
    **dict.fromkeys(("샤넬", "chanel"), ("brand", "", "")),
    **dict.fromkeys(("루이비통", "루이뷔통", "louisvuitton", "vuitton"), ("brand", "", "")),
    **dict.fromkeys(("프라다", "prada"), ("brand", "", "")),
    **dict.fromkeys(("에르메스", "hermes"), ("brand", "", "")),
    **dict.fromkeys(("디올", "dior"), ("brand", "", "")),
    **dict.fromkeys(("발렌시아가", "balenciaga"), ("brand", "", "")),
    **dict.fromkeys(("버버리", "burberry"), ("brand", "", "")),
    **dict.fromkeys(("셀린느", "셀린", "celine"), ("brand", "", "")),
    **dict.fromkeys(("생로랑", "입생로랑", "ysl"), ("brand", "", "")),
    **dict.fromkeys(("몽클레어", "몽클레르", "moncler"), ("brand", "", "")),
    **dict.fromkeys(("롤렉스", "rolex"), ("brand", "", "")),
    **dict.fromkeys(("나이키", "nike"), ("brand", "", "")),
    **dict.fromkeys(("아디다스", "adidas"), ("brand", "", "")),
    **dict.fromkeys(("뉴발란스", "newbalance"), ("brand", "", "")),
    **dict.fromkeys(("유니클로", "uniqlo"), ("brand", "", "")),
    **dict.fromkeys(("자라", "zara"), ("brand", "", "")),
    **dict.fromkeys(("노스페이스", "northface"), ("brand", "", "")),
    **dict.fromkeys(("수영복", "비키니", "래쉬가드", "래시가드", "수영모", "swimsuit", "swimwear", "bikini"), ("garment", "반바지", "")),
    **dict.fromkeys(("등산스틱", "트레킹폴", "hikingpole"), ("garment", "", "")),
    **dict.fromkeys(("등산화", "트레킹화"), ("garment", "러닝화", "")),
    **dict.fromkeys(("우산", "양산", "umbrella"), ("garment", "", "")),
    **dict.fromkeys(("시계", "손목시계", "watch"), ("garment", "", "")),
    **dict.fromkeys(("선글라스", "안경", "sunglasses", "glasses"), ("garment", "", "")),
    **dict.fromkeys(("목걸이", "귀걸이", "반지", "팔찌", "주얼리", "쥬얼리", "necklace", "earrings", "jewelry"), ("garment", "", "")),
    **dict.fromkeys(("한복",), ("garment", "", "")),
    **dict.fromkeys(("잠옷", "파자마", "pajamas"), ("garment", "조거팬츠", "")),
    **dict.fromkeys(("양말", "속옷", "스타킹", "socks", "underwear"), ("garment", "", "")),
    **dict.fromkeys(("장갑", "gloves"), ("garment", "머플러", "")),
    **dict.fromkeys(("무스탕", "시어링", "shearling"), ("garment", "코트", "")),
    **dict.fromkeys(("점프수트", "jumpsuit"), ("garment", "원피스", "")),
    **dict.fromkeys(("골드", "금색", "gold"), ("colour", "", "옐로우")),
    **dict.fromkeys(("실버", "은색", "silver"), ("colour", "", "그레이")),
    **dict.fromkeys(("형광", "네온", "neon"), ("colour", "", "옐로우")),
}
# fmt: on

MAIN_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "TOP": ("상의", "윗옷", "탑", "top", "tops"),
    "BOTTOM": ("하의", "바지", "팬츠", "아랫도리", "pants", "bottom", "bottoms"),
    "OUTER": ("아우터", "겉옷", "외투", "자켓류", "outerwear", "outer"),
    "DRESS": ("원피스류", "드레스", "원피스종류", "드레스류", "dresses"),
    "SHOES": ("신발", "슈즈", "신을", "shoes", "footwear"),
    "ACCESSORY": ("액세서리", "악세사리", "악세서리", "잡화", "소품", "accessory", "accessories"),
}

# Words that name a garment and its material at once (청자켓 is a denim jacket).
COMPOUNDS: dict[str, tuple[tuple[str, str], ...]] = {
    "청자켓": (("sub", "자켓"), ("material", "데님")),
    "청재킷": (("sub", "자켓"), ("material", "데님")),
    "데님자켓": (("sub", "자켓"), ("material", "데님")),
    "청반바지": (("sub", "반바지"), ("material", "데님")),
    "청치마": (("sub", "스커트"), ("material", "데님")),
    "청스커트": (("sub", "스커트"), ("material", "데님")),
    "가죽자켓": (("sub", "자켓"), ("material", "레더")),
    "라이더자켓": (("sub", "자켓"), ("material", "레더")),
    "레더자켓": (("sub", "자켓"), ("material", "레더")),
    "린넨셔츠": (("sub", "셔츠"), ("material", "린넨")),
    "울코트": (("sub", "코트"), ("material", "울")),
    "캐시미어코트": (("sub", "코트"), ("material", "캐시미어")),
    "기모후드": (("sub", "후드"), ("material", "기모코튼")),
}
