"""The offline stylist engine: knowledge base + catalog picks + Korean composition, streamed."""

import asyncio
import random
import re
from collections.abc import AsyncIterator

from expert_service.compose import (
    colour_pair_reason,
    first_sentence,
    look_line,
    missing_line,
    passages_of,
    phrase,
    product_lines,
)
from expert_service.providers.base import ExpertContext, ProductChoice, ProviderEvent, TextDelta
from expert_service.styling import product_colour
from expert_service.vocabulary import josa


def _style_reasons(c: ExpertContext, rng: random.Random) -> list[str]:
    out: list[str] = []
    body, brief = c.rules.body, c.brief
    facts = []
    if brief.height_cm:
        facts.append(f"키 {brief.height_cm}cm")
    if body:
        facts.append(body.title)
    if facts:
        said = ", ".join(facts)
        out.append(
            rng.choice(
                [f"말씀하신 {said}를 기준으로 핏을 골랐어요.", f"{said}라는 점을 먼저 봤어요."]
            )
        )
    if body and body.meta.get("advice"):
        out.append(str(body.meta["advice"]))
    for p in c.picks[:2]:
        if p.fit:
            role = (
                "상의"
                if p.main_category == "TOP"
                else "하의"
                if p.main_category == "BOTTOM"
                else "아우터"
            )
            out.append(f"{role}는 {p.fit} 실루엣이라 {_fit_effect(p.fit)}")
    hits = passages_of(c, {"body_type", "fit", "occasion"})
    if hits:
        out.append(first_sentence(hits[0]))
    if not facts:
        out.append("키나 체형을 알려주시면 핏과 기장을 더 정확하게 맞춰 드릴게요.")
    return out


def _fit_effect(fit: str) -> str:
    if any(w in fit for w in ("와이드", "오버", "루즈")):
        return "여유 있게 떨어져 체형을 편하게 감싸 줘요."
    if any(w in fit for w in ("슬림", "스키니", "테이퍼드")):
        return "라인이 정리돼 깔끔하고 다리가 길어 보여요."
    return "몸에 붙지도 뜨지도 않아 단정한 인상을 줘요."


def _trend_reasons(c: ExpertContext, rng: random.Random) -> list[str]:
    out: list[str] = []
    trend = c.rules.trend
    if trend and trend.words("keywords"):
        words = trend.words("keywords")[:3]
        out.append(
            rng.choice(
                [
                    f"이번 {c.rules.season} 시즌에는 {', '.join(words)} 흐름이 두드러져요.",
                    f"요즘 {c.rules.season}에는 {', '.join(words)} 무드가 많이 보여요.",
                ]
            )
        )
    tags = [t for p in c.picks for t in p.style_tags][:3]
    if tags:
        out.append(
            f"고른 상품들도 {', '.join(dict.fromkeys(tags))} 감성이라 지금 분위기와 잘 맞아요."
        )
    hits = passages_of(c, {"trend"})
    if hits:
        out.append(first_sentence(hits[0]))
    occasion = c.rules.occasion
    if occasion:
        out.append(
            rng.choice(
                [
                    f"다만 {occasion.title} 자리인 만큼 유행 요소는 한 가지만 넣어 "
                    "과하지 않게 잡았어요.",
                    f"{occasion.title}에서는 트렌드를 한 스푼만 더하는 게 제일 세련돼 보여요.",
                ]
            )
        )
    return out


def _colour_reasons(c: ExpertContext, rng: random.Random) -> list[str]:
    out: list[str] = []
    pair = colour_pair_reason(c.picks, rng)
    if pair:
        out.append(pair)
    tone = c.rules.tone
    if tone:
        palette = ", ".join(tone.words("palette")[:4])
        out.append(f"{tone.title}에는 {palette} 같은 색이 얼굴을 환하게 밝혀 줘요.")
    if c.brief.disliked_colours:
        d = ", ".join(c.brief.disliked_colours)
        out.append(f"말씀하신 대로 {d}{josa(d, '은/는')} 빼고 골랐어요.")
    if c.image:
        out.append(c.image.describe())
        if c.image.colours:
            out.append(
                f"사진 속 {c.image.colours[0]}{josa(c.image.colours[0], '과/와')}도 "
                "충돌하지 않는 색으로 맞췄어요."
            )
    hits = passages_of(c, {"colour_rule", "personal_colour"})
    if hits:
        out.append(first_sentence(hits[0]))
    if not tone and not c.image:
        out.append(
            "피부톤(웜톤/쿨톤)을 알려주시거나 사진을 올려 주시면 색을 더 정확히 골라 드릴게요."
        )
    return out


def _coordinator_reasons(c: ExpertContext, rng: random.Random) -> list[str]:
    out = [
        rng.choice(
            [
                "세 전문가의 의견을 모아 딱 한 벌로 정리했어요.",
                "전문가들의 추천을 종합해 하나의 코디로 골랐어요.",
            ]
        )
    ]
    for product in c.picks:
        owners = [
            peer.expert.agent_name
            for peer in c.peers
            if any(p.product_id == product.product_id for p in peer.products)
        ]
        if owners:
            p = phrase(product)
            out.append(f"{p}{josa(p, '은/는')} {owners[0]}가 고른 아이템이에요.")
    pair = colour_pair_reason(c.picks, rng)
    if pair:
        out.append(pair)
    occasion = c.rules.occasion
    if occasion and len(occasion.passages) > 1:
        # The occasion's second paragraph: the first is already the specialists' to quote.
        out.append(first_sentence(occasion.passages[1]))
    out.append("마음에 드시면 사진을 올려 가상 피팅으로 바로 입어 보세요.")
    return out


_REASONS = {
    "style_analyst": _style_reasons,
    "trend_expert": _trend_reasons,
    "color_expert": _colour_reasons,
    "fitting_coordinator": _coordinator_reasons,
}


def compose_answer(context: ExpertContext) -> str:
    """The whole Korean answer of one expert."""
    rng = random.Random(f"{context.seed}:{context.expert.agent_id}")
    missing = missing_line(context)
    look = look_line(context.picks, rng)
    lines: list[str] = [look] if look else []
    if missing:
        lines.append(missing)
    if context.picks:
        reasons = _REASONS[context.expert.agent_id](context, rng)
        lines.append(" ".join(dict.fromkeys(r for r in reasons if r)))
        lines.append(product_lines(context.picks))
    return "\n\n".join(line for line in lines if line)


def chunks(text: str) -> list[str]:
    """Small deltas: a word or two at a time, as a model would stream."""
    return [part for part in re.findall(r"\S+\s*|\s+", text) if part]


class OfflineProvider:
    """Answers without any external model."""

    name = "offline"

    def __init__(self, *, delta_delay_seconds: float = 0.0) -> None:
        self._delay = delta_delay_seconds

    async def answer(self, *, context: ExpertContext) -> AsyncIterator[ProviderEvent]:
        """Streams the composed answer, then names its products."""
        text = compose_answer(context)
        for piece in chunks(text):
            yield TextDelta(piece)
            # Yield to the loop even at 0 s so the specialists' deltas interleave.
            await asyncio.sleep(self._delay)
        yield ProductChoice([p.product_id for p in context.picks])


__all__ = ["OfflineProvider", "compose_answer", "product_colour"]
