# ruff: noqa: E501  (prompt sentences are kept whole on one line)
"""The prompt every LLM provider sends: the expert's persona and rules, the knowledge passages,
the candidate products and what the person said before."""

import json

from expert_service.brief import Intent
from expert_service.compose import phrase
from expert_service.providers.base import ExpertContext

TOOL_NAME = "recommend_products"
TOOL_DESCRIPTION = (
    "답변에서 추천한 상품의 product_id 목록과 상품마다 고른 이유 한 줄을 제출합니다 "
    "(후보 목록에 있는 id만)."
)
TOOL_SCHEMA = {
    "type": "object",
    "properties": {
        "product_ids": {
            "type": "array",
            "items": {"type": "string"},
            "description": "추천한 상품 id (후보 목록의 id 그대로)",
        },
        "reasons": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "상품 id -> 그 상품을 고른 이유 한 줄 (60자 안팎)",
        },
    },
    "required": ["product_ids"],
}
_INTENTS = {
    Intent.FULL_LOOK: "상황에 맞는 코디 한 벌",
    Intent.ONE_ITEM: "한 가지 아이템만 (요청한 종류의 상품만 추천하고 코디 전체를 만들지 마세요)",
    Intent.COMPLETE_LOOK: "가지고 있는 옷에 맞춰 나머지 코디 (가진 옷과 같은 종류는 추천하지 마세요)",
    Intent.COMPARE: "두 아이템 비교 (각각의 장단점을 말하고 하나를 권하세요)",
    Intent.ADVICE: "조언만 (상품을 추천하지 말고 도구도 쓰지 마세요)",
    Intent.OFF_TOPIC: "패션과 무관한 질문 (한두 문장으로 정중히 패션 상담 서비스임을 알리고 상품은 추천하지 마세요)",
    Intent.GREETING: "인사 (한두 문장으로 반갑게 답하고 어떤 도움을 줄 수 있는지 말하세요. 상품 추천 없음)",
}
_LANGUAGES = {
    "en": "영어로 물었으니 영어로 답하세요.",
    "mixed": "한국어로 답하되 사용자가 쓴 영어 단어는 그대로 써도 됩니다.",
}

_ANGLES = {
    "style_analyst": "체형, 키, 핏과 실루엣, 비율의 관점",
    "trend_expert": "이번 시즌 트렌드와 스타일 무드의 관점",
    "color_expert": "피부톤(퍼스널 컬러)과 색 조합의 관점",
    "fitting_coordinator": "다른 전문가들의 답변을 종합해 딱 한 벌의 완성 코디를 정하는 관점",
}


def system_prompt(context: ExpertContext) -> str:
    """Who the expert is and the rules of the answer."""
    expert = context.expert
    outfit = (
        "반드시 상의 하나와 하의 하나(필요하면 아우터, 신발)로 된 완성 코디 한 벌만 추천하고, "
        "다른 전문가가 추천한 상품 중에서 고르세요."
        if expert.agent_id == "fitting_coordinator"
        else "상의와 하의를 중심으로 2~3개 상품을 추천하세요."
    )
    return (
        f"당신은 패션 큐레이션 서비스 TheFirstTake의 '{expert.agent_name}'입니다. "
        f"{expert.agent_role} {_ANGLES[expert.agent_id]}에서 한국어로 조언합니다.\n"
        "규칙:\n"
        "1. 첫 줄은 코디 전체를 한 문장으로 말합니다. "
        "예: '브라운 린넨 반팔 셔츠에 그레이 와이드 슬랙스가 잘 어울려요.'\n"
        "2. 이어서 당신의 관점에서 이유를 3~5문장으로 설명하고, 지식 자료와 사용자가 한 말"
        "(키, 체형, 피부톤, 선호, 예산)을 근거로 드세요.\n"
        f"3. {outfit}\n"
        "4. 상품은 아래 후보 목록에 있는 것만 추천하고 id를 지어내지 마세요. 예산, 요청한 아이템, "
        "색 조건에 맞는 후보가 없으면 억지로 추천하지 말고 없다고 솔직하게 말하세요.\n"
        f"5. 답변을 마친 뒤 {TOOL_NAME} 도구로 추천한 상품 id를 제출하세요. 도구를 쓸 수 없으면 "
        '답변 맨 끝에 <products>["id1", "id2"]</products> 형식으로 적으세요.\n'
        "6. 답변은 400자 안팎으로, 마크다운 없이 자연스러운 존댓말로 씁니다. "
        "다른 전문가와 같은 문장 틀로 시작하지 말고 당신의 관점에서 당신의 말로 여세요.\n"
        "7. 카탈로그에 없다고 표시된 브랜드, 품목, 색은 없다고 분명히 말하고, 가까운 대안이 "
        "후보에 있으면 그것을 권하세요.\n"
        f"8. 이번 요청의 종류: {_INTENTS[context.brief.intent]}. "
        f"{_LANGUAGES.get(context.brief.language, '')}"
    )


def _product_line(product) -> str:
    return json.dumps(
        {
            "id": product.product_id,
            "name": product.name,
            "category": product.main_category,
            "item": product.sub_category,
            "colour": product.colour,
            "fit": product.fit,
            "material": product.material,
            "seasons": list(product.seasons),
            "gender": product.gender,
            "style": list(product.style_tags),
            "tpo": list(product.tpo_tags),
            "price": product.price,
            "spoken": phrase(product),
        },
        ensure_ascii=False,
    )


def user_prompt(context: ExpertContext) -> str:
    """The turn: history, facts, knowledge, candidates, peers' answers, the message."""
    brief, rules = context.brief, context.rules
    facts = {
        "상황": rules.occasion.title if rules.occasion else "",
        "계절": rules.season,
        "체형": rules.body.title if rules.body else "",
        "키": f"{brief.height_cm}cm" if brief.height_cm else "",
        "피부톤": rules.tone.title if rules.tone else "",
        "선호 색": ", ".join(brief.liked_colours),
        "피하는 색": ", ".join(brief.disliked_colours),
        "빼달라는 아이템": ", ".join(brief.excluded_items),
        "스타일": ", ".join(brief.styles),
        "예산(한 벌당)": f"{brief.budget_max:,}원" if brief.budget_max else "",
        "예산(코디 전체 합계)": f"{brief.budget_total:,}원" if brief.budget_total else "",
        "요청한 아이템": ", ".join(brief.items),
        "이미 가지고 있는 옷": ", ".join(o.said for o in brief.owned),
        "카탈로그에 없는 것": ", ".join(n.word for n in brief.not_carried),
        "이번 요청의 변화": ", ".join(brief.changes),
    }
    parts = ["[사용자 정보]"] + [f"- {k}: {v}" for k, v in facts.items() if v]
    if context.image:
        parts += ["[업로드한 사진의 픽셀 분석]", context.image.describe()]
    if context.history:
        parts.append("[이전 대화]")
        for entry in context.history[-8:]:
            who = "사용자" if entry.get("role") == "user" else entry.get("agent_id", "전문가")
            parts.append(f"- {who}: {entry.get('text', '')[:300]}")
    parts.append("[패션 지식 자료]")
    parts += [f"{i}. ({p.title}) {p.text}" for i, p in enumerate(context.passages[:8], 1)]
    if context.notes:
        parts.append("[꼭 전할 말] " + " ".join(context.notes))
    if context.missing:
        parts.append("[카탈로그에 없는 것] " + ", ".join(context.missing.values()))
    if context.peers:
        parts.append("[다른 전문가들의 답변]")
        for peer in context.peers:
            ids = ", ".join(p.product_id for p in peer.products)
            parts.append(f"- {peer.expert.agent_name}: {peer.text}\n  (추천 id: {ids})")
    parts.append("[후보 상품 목록]")
    parts += [_product_line(p) for p in context.candidates]
    parts += ["[사용자 메시지]", brief.text]
    return "\n".join(parts)
