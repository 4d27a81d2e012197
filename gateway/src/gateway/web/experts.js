// The four experts, in the order the panel answers (the coordinator last, summing up).

export const COORDINATOR = "fitting_coordinator";

export const EXPERTS = [
  {
    id: "style_analyst",
    name: "스타일 분석가",
    tagline: "체형분석과 핏감을 중심으로 추천해드려요!",
    mark: "핏",
  },
  {
    id: "trend_expert",
    name: "트렌드 전문가",
    tagline: "최신 트렌드를 반영해 추천해드려요!",
    mark: "트",
  },
  {
    id: "color_expert",
    name: "컬러 전문가",
    tagline: "피부톤에 어울리는 색상 조합을 바탕으로 추천해드려요!",
    mark: "색",
  },
  {
    id: COORDINATOR,
    name: "핏팅 코디네이터",
    tagline: "종합적으로 딱 하나의 추천을 해드려요!",
    mark: "One",
  },
];

const BY_ID = new Map(EXPERTS.map((expert) => [expert.id, expert]));

/** The expert for an agent id; an unknown one (a newer server) still gets a card. */
export function expert(id, name = "") {
  return BY_ID.get(id) ?? { id, name: name || "스타일리스트", tagline: "", mark: "AI" };
}

// Catalog categories a try-on slot takes (fitting-service: an outer layer goes on as a top; a
// dress goes on from the shoulders too, and is worn without a bottom).
export const SLOT_OF_CATEGORY = { TOP: "upper", OUTER: "upper", DRESS: "upper", BOTTOM: "lower" };
// Categories that cover the lower slot as well: nothing is tried on under them.
export const FULL_BODY_CATEGORIES = new Set(["DRESS"]);
