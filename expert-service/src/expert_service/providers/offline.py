# ruff: noqa: E501  (whole Korean sentences are kept on one line)
"""The offline stylist engine: knowledge base + catalog picks + Korean composition, streamed.

Each expert speaks from its own angle (fit, trend, colour, the whole outfit) and ties its
reasons to the knowledge base and to what the person said; wording varies per turn.
"""

import asyncio
import random
import re
from collections.abc import AsyncIterator

from expert_service.brief import Intent
from expert_service.compose import (
    absent_line,
    colour_pair_reason,
    first_sentence,
    missing_line,
    opening,
    passages_of,
    product_lines,
    product_reason,
)
from expert_service.knowledge.store import short_title
from expert_service.providers.base import ExpertContext, ProductChoice, ProviderEvent, TextDelta
from expert_service.speech import CATEGORY_WORDS, josa


def _ack(c: ExpertContext, rng: random.Random) -> str:
    """Repeats back what this message changed, so a follow-up visibly lands."""
    if not c.brief.changes:
        return ""
    said = ", ".join(c.brief.changes)
    return rng.choice(
        [
            f"말씀하신 대로 {said} 다시 골랐어요.",
            f"요청대로 {said} 새로 추렸어요.",
            f"이번에는 {said} 맞춰 봤어요.",
        ]
    )


_FIT_EFFECTS = {
    ("TOP", "loose"): "어깨와 몸통에 여유가 있어 편안하고 요즘 분위기가 나요",
    ("TOP", "slim"): "몸선을 따라 정리돼 단정하고 깔끔해 보여요",
    ("TOP", "regular"): "몸에 붙지도 뜨지도 않아 단정한 인상을 줘요",
    ("BOTTOM", "loose"): "통이 넉넉하게 떨어져 하체 라인을 자연스럽게 덮어 줘요",
    ("BOTTOM", "slim"): "다리 라인을 정리해 길고 가벼워 보여요",
    ("BOTTOM", "straight"): "일자로 곧게 떨어져 다리가 길어 보여요",
    ("BOTTOM", "regular"): "과하지 않은 통이라 어떤 상의와도 균형이 맞아요",
}


def _fit_effect(main: str, fit: str) -> str:
    if any(w in fit for w in ("와이드", "오버", "루즈", "A라인", "플리츠")):
        shape = "loose"
    elif any(w in fit for w in ("슬림", "스키니", "테이퍼드", "H라인", "크롭")):
        shape = "slim"
    elif "스트레이트" in fit:
        shape = "straight"
    else:
        shape = "regular"
    return _FIT_EFFECTS.get((main, shape)) or _FIT_EFFECTS[(main, "regular")]


def _budget(c: ExpertContext) -> str:
    if not c.picks:
        return ""
    if c.brief.budget_total:
        total = sum(p.price for p in c.picks)
        return f"모두 합쳐 {total:,}원으로, 전체 예산 {c.brief.budget_total:,}원 안에 맞췄어요."
    if c.brief.budget_max:
        return f"모두 한 벌당 {c.brief.budget_max:,}원 안쪽으로 골랐어요."
    return ""


def _style_reasons(c: ExpertContext, rng: random.Random) -> list[str]:
    body, brief = c.rules.body, c.brief
    out = [_ack(c, rng)]
    facts = [f"키 {brief.height_cm}cm" if brief.height_cm else "", body.title if body else ""]
    said = ", ".join(f for f in facts if f)
    if said:
        out.append(
            rng.choice(
                [
                    f"말씀하신 {said}{josa(said, '을/를')} 기준으로 핏부터 봤어요.",
                    f"{said}{josa(said, '이라는/라는')} 점을 먼저 고려했어요.",
                ]
            )
        )
    if body and body.meta.get("advice"):
        out.append(str(body.meta["advice"]))
    for piece in c.picks:
        if piece.fit and piece.main_category in ("TOP", "BOTTOM"):
            role = CATEGORY_WORDS[piece.main_category]
            effect = _fit_effect(piece.main_category, piece.fit)
            out.append(
                f"{role}{josa(role, '은/는')} {piece.fit}{josa(piece.fit, '이라/라')} {effect}."
            )
    hits = passages_of(c, {"body_type", "fit"}) or passages_of(c, {"occasion"})
    used = " ".join(out)
    for hit in hits:
        sentence = first_sentence(hit)
        if sentence not in used:
            out.append(sentence)
            break
    if not said:
        who = "성별과 키, 체형을" if not brief.gender else "키나 체형을"
        out.append(f"{who} 알려주시면 핏과 기장을 더 정확하게 맞춰 드릴게요.")
    out.append(_budget(c))
    return out


def _trend_reasons(c: ExpertContext, rng: random.Random) -> list[str]:
    out = [_ack(c, rng)]
    trend, fabric = c.rules.trend, c.rules.fabric
    occasion_note = bool(trend and trend.words("occasion_ids"))
    if occasion_note:
        # This occasion has its own trend note (운동, 조문): its words, not the season's.
        out += [first_sentence(p) for p in trend.passages[:2]]
    elif trend and trend.words("keywords"):
        words = ", ".join(trend.words("keywords")[:3])
        out.append(
            rng.choice(
                [
                    f"이번 {c.rules.season} 시즌에는 {words} 흐름이 두드러져요.",
                    f"요즘 {c.rules.season}에는 {words} 무드가 많이 보여요.",
                    f"올해 {c.rules.season} 키워드를 꼽자면 {words}예요.",
                ]
            )
        )
    if trend and trend.passages and not occasion_note:
        out.append(first_sentence(trend.passages[-1]))
    tags = list(dict.fromkeys(t for p in c.picks for t in p.style_tags))[:3]
    if tags:
        out.append(f"고른 상품도 {', '.join(tags)} 감성이라 지금 분위기와 잘 맞아요.")
    if fabric:
        good = [p for p in c.picks if p.material and p.material in fabric.words("good_materials")]
        if good:
            m = good[0].material
            out.append(f"{c.rules.season}에 제격인 {m} 소재라 계절감도 살아요.")
    occasion = c.rules.occasion
    if occasion and not occasion_note:
        out.append(
            rng.choice(
                [
                    f"다만 {short_title(occasion)} 자리인 만큼 유행 요소는 한 가지만 넣어 "
                    "과하지 않게 잡았어요.",
                    f"{short_title(occasion)}에서는 트렌드를 한 스푼만 더하는 게 "
                    "제일 세련돼 보여요.",
                ]
            )
        )
    out.append(_budget(c))
    return out


def _colour_reasons(c: ExpertContext, rng: random.Random) -> list[str]:
    out = [_ack(c, rng)]
    pair = colour_pair_reason(c.picks, rng)
    if pair:
        out.append(pair)
    tone = c.rules.tone
    if tone:
        palette = ", ".join(tone.words("palette")[:4])
        out.append(f"{tone.title}에는 {palette} 같은 색이 얼굴을 환하게 밝혀 줘요.")
        avoid = tone.words("avoid_colours")[:2]
        if avoid:
            a = ", ".join(avoid)
            out.append(f"반대로 {a}{josa(a, '은/는')} 얼굴 가까이에 두지 않는 편이 좋아요.")
    remembered = [d for d in c.brief.disliked_colours if not any(d in ch for ch in c.brief.changes)]
    if remembered:
        d = ", ".join(remembered)
        out.append(f"앞서 말씀하신 대로 {d}{josa(d, '은/는')} 계속 빼고 있어요.")
    if c.image:
        out.append(c.image.describe())
        if c.image.colours:
            main = c.image.colours[0]
            out.append(f"사진 속 {main}{josa(main, '과/와')} 부딪히지 않도록 나머지 색을 맞췄어요.")
    elif c.brief.photo_colours:
        main = c.brief.photo_colours[0]
        out.append(f"앞서 올려 주신 사진 속 {main}{josa(main, '과/와')}도 어울리도록 골랐어요.")
    occasion = c.rules.occasion
    if occasion and occasion.words("colours"):
        calm = ", ".join(occasion.words("colours")[:3])
        out.append(f"{short_title(occasion)}에는 {calm}처럼 차분한 색이 특히 잘 맞아요.")
    for hit in passages_of(c, {"colour_rule"}):
        sentence = first_sentence(hit)
        if sentence not in " ".join(out):
            out.append(sentence)
            break
    if not tone and not c.image and not c.brief.photo_colours:
        out.append(
            "피부톤(웜톤/쿨톤)을 알려주시거나 사진을 올려 주시면 색을 더 정확히 골라 드릴게요."
        )
    return out


def _coordinator_reasons(c: ExpertContext, rng: random.Random) -> list[str]:
    out = [
        _ack(c, rng),
        rng.choice(
            [
                "세 전문가의 의견을 모아 딱 한 벌로 정리했어요.",
                "전문가들의 추천을 종합해 하나의 코디로 골랐어요.",
                "각 전문가의 제안 중 서로 가장 잘 맞는 조합만 남겼어요.",
            ]
        ),
    ]
    by_owner: dict[str, list[str]] = {}
    for piece in c.picks:
        owner = next(
            (
                peer.expert.agent_name
                for peer in c.peers
                if any(p.product_id == piece.product_id for p in peer.products)
            ),
            None,
        )
        if owner:
            by_owner.setdefault(owner, []).append(CATEGORY_WORDS[piece.main_category])
    if len(by_owner) == 1:
        ((owner, pieces),) = by_owner.items()
        out.append(f"{'·'.join(pieces)} 모두 {owner}의 제안이 가장 균형이 좋아 그대로 가져왔어요.")
    elif by_owner:
        parts = [
            f"{'·'.join(pieces)}{josa(pieces[-1], '은/는')} {owner}"
            for owner, pieces in by_owner.items()
        ]
        out.append(", ".join(parts) + "의 추천에서 가져왔어요.")
    pair = colour_pair_reason(c.picks, random.Random(rng.random()))
    if pair:
        out.append(pair)
    occasion = c.rules.occasion
    if occasion and len(occasion.passages) > 1:
        out.append(first_sentence(occasion.passages[1]))
    if c.rules.fabric and c.rules.fabric.passages:
        out.append(first_sentence(c.rules.fabric.passages[0]))
    if c.picks:
        total = sum(p.price for p in c.picks)
        out.append(f"전체 {len(c.picks)}벌 합계는 {total:,}원이에요.")
    out.append("마음에 드시면 사진을 올려 가상 피팅으로 바로 입어 보세요.")
    return out


_REASONS = {
    "style_analyst": _style_reasons,
    "trend_expert": _trend_reasons,
    "color_expert": _colour_reasons,
    "fitting_coordinator": _coordinator_reasons,
}


_GREETINGS = {
    "style_analyst": "안녕하세요, 스타일 분석가예요. 키와 체형을 알려 주시면 핏부터 잡아 드릴게요.",
    "trend_expert": "반가워요! 요즘 어떤 스타일이 뜨는지 궁금하면 언제든 물어보세요.",
    "color_expert": "안녕하세요, 컬러 전문가예요. 피부톤에 맞는 색 조합을 찾아 드릴게요.",
    "fitting_coordinator": "어떤 자리에 입을 옷이 필요하신지 말씀해 주시면 딱 한 벌로 정리해 드릴게요.",
}
_OFF_TOPIC = {
    "style_analyst": "그 질문은 제가 답하기 어려워요. 저는 체형과 핏을 봐 드리는 스타일 분석가예요.",
    "trend_expert": "패션 밖의 이야기는 제 전문이 아니에요. 옷이나 스타일 이야기라면 뭐든 좋아요.",
    "color_expert": "죄송하지만 그건 도와드리기 어려워요. 옷 색 고민이라면 바로 답해 드릴게요.",
    "fitting_coordinator": (
        "저희는 옷과 코디를 추천하는 서비스예요. 입을 자리나 원하는 스타일을 말씀해 주세요."
    ),
}
_ADVICE_KINDS = {
    "style_analyst": {"body_type", "fit"},
    "trend_expert": {"trend", "occasion"},
    "color_expert": {"colour_rule", "personal_colour"},
    "fitting_coordinator": {"occasion", "body_type", "fit", "colour_rule"},
}
_ADVICE_OPENINGS = {
    "style_analyst": "핏 기준으로 말씀드리면,",
    "trend_expert": "요즘 흐름으로 보면,",
    "color_expert": "색으로 보면,",
    "fitting_coordinator": "정리하면,",
}


def _advice(c: ExpertContext) -> str:
    """Knowledge from this expert's angle, without products."""
    agent = c.expert.agent_id
    kinds = _ADVICE_KINDS[agent]
    docs = [d for d in (c.rules.body, c.rules.tone, c.rules.occasion) if d and d.kind in kinds]
    said = [first_sentence(p) for d in docs for p in d.passages[:1]]
    said += [first_sentence(p) for p in passages_of(c, _ADVICE_KINDS[agent])[:2]]
    sentences = list(dict.fromkeys(s for s in said if s))[:3]
    if not sentences:
        return ""
    text = f"{_ADVICE_OPENINGS[agent]} {' '.join(sentences)}"
    if agent == "fitting_coordinator":
        text += " 원하시면 이 기준으로 실제 상품을 골라 드릴게요."
    return text


def compose_answer(context: ExpertContext) -> str:
    """The whole Korean answer of one expert."""
    rng = random.Random(f"{context.seed}:{context.expert.agent_id}")
    agent, intent = context.expert.agent_id, context.brief.intent
    if intent == Intent.GREETING:
        return _GREETINGS[agent]
    if intent == Intent.OFF_TOPIC:
        return _OFF_TOPIC[agent]
    absent = absent_line(context)
    if not intent.shows_products:
        return "\n\n".join(line for line in (absent, _advice(context)) if line)
    lines: list[str] = [opening(context, rng), absent, *context.notes, missing_line(context)]
    if context.picks:
        reasons = _REASONS[agent](context, rng)
        lines.append(" ".join(dict.fromkeys(r for r in reasons if r)))
        lines.append(product_lines(context.picks))
    return "\n\n".join(line for line in lines if line)


def chunks(text: str) -> list[str]:
    """Small deltas: a word at a time, as a model would stream."""
    return re.findall(r"\S+\s*|\s+", text)


class OfflineProvider:
    """Answers without any external model."""

    name = "offline"

    def __init__(self, *, delta_delay_seconds: float = 0.0) -> None:
        self._delay = delta_delay_seconds

    async def answer(self, *, context: ExpertContext) -> AsyncIterator[ProviderEvent]:
        """Streams the composed answer, then names its products."""
        for piece in chunks(compose_answer(context)):
            yield TextDelta(piece)
            # Yield to the loop even at 0 s so the specialists' deltas interleave.
            await asyncio.sleep(self._delay)
        yield ProductChoice(
            [p.product_id for p in context.picks],
            reasons={p.product_id: product_reason(p, context) for p in context.picks},
        )
