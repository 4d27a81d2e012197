"""One consultation: the three specialists concurrently, then the fitting coordinator."""

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from expert_service.brief import Brief, Piece
from expert_service.compose import product_reason
from expert_service.experts import FITTING_COORDINATOR, Expert, choose_experts
from expert_service.image_analysis import ImageFacts
from expert_service.images import ImageLoader
from expert_service.knowledge import KnowledgeBase, Passage, Retriever
from expert_service.llm_slots import TurnOrderedSlots
from expert_service.memory import RoomMemory
from expert_service.metrics import LLM_CALLS, LLM_DURATION, LLM_FAILURE, LLM_SUCCESS
from expert_service.pacing import DeltaPacer
from expert_service.products import Catalog, CatalogUnavailableError, Product
from expert_service.profiles import ProfileStore, as_brief
from expert_service.providers.base import (
    ExpertContext,
    PeerAnswer,
    Photo,
    ProductChoice,
    Provider,
    ProviderError,
    TextDelta,
)
from expert_service.selection import Pool, assign_picks, choose_outfit, gather_pool, shortlist
from expert_service.styling import Rules, Scorer, allowed, drop_improper_items, rules_for
from expert_service.understanding import Understanding

log = logging.getLogger(__name__)

TIMEOUT_MESSAGE = "답변 생성 시간이 초과됐어요. 잠시 후 다시 시도해 주세요."
CATALOG_MESSAGE = (
    "상품 정보를 확인하지 못해 이번 답변을 마치지 못했어요. 잠시 후 다시 시도해 주세요."
)
GENERIC_MESSAGE = "답변을 만드는 중 문제가 생겼어요. 잠시 후 다시 시도해 주세요."


@dataclass(frozen=True)
class Delta:
    expert: Expert
    text: str


@dataclass(frozen=True)
class Completed:
    expert: Expert
    text: str
    products: list[Product]
    reasons: dict[str, str]  # product id -> one line on why this expert chose it


@dataclass(frozen=True)
class Failed:
    expert: Expert
    message: str


PanelEvent = Delta | Completed | Failed


@dataclass(frozen=True)
class Turn:
    """The shared facts of one turn, computed once for every expert."""

    room_id: str
    brief: Brief
    room_brief: Brief  # the room's own facts (the person's profile is read, never copied in)
    rules: Rules
    passages: list[Passage]
    pool: Pool
    history: list[dict[str, str]]
    seed: str
    image: ImageFacts | None
    photo: Photo | None
    notes: list[str]
    scorer: Scorer  # the turn's product scores, shared by every expert's ranking
    started: float  # loop time the turn arrived: older turns get the next free LLM slot


class Panel:
    """Runs consultations with the dependencies built in serve()."""

    def __init__(
        self,
        *,
        kb: KnowledgeBase,
        understanding: Understanding,
        retriever: Retriever,
        catalog: Catalog,
        memory: RoomMemory,
        profiles: ProfileStore,
        provider: Provider,
        images: ImageLoader,
        llm_slots: TurnOrderedSlots,
        llm_timeout_seconds: float,
        delta_interval_seconds: float = 0.0,
    ) -> None:
        self._kb = kb
        self._understanding = understanding
        self._retriever = retriever
        self._catalog = catalog
        self._memory = memory
        self._profiles = profiles
        self._provider = provider
        self._images = images
        self._slots = llm_slots
        self._timeout = llm_timeout_seconds
        self._delta_interval = delta_interval_seconds
        self._background: set[asyncio.Task] = set()

    @property
    def retriever(self) -> Retriever:
        """The knowledge retriever (its `semantic` flag says whether embeddings are on)."""
        return self._retriever

    @property
    def memory(self) -> RoomMemory:
        return self._memory

    @property
    def profiles(self) -> ProfileStore:
        return self._profiles

    async def consult(
        self,
        *,
        room_id: str,
        user_input: str,
        image_url: str,
        expert_ids: list[str],
        owner_id: str = "",
    ) -> AsyncIterator[PanelEvent]:
        """Streams the chosen experts' deltas and completions (UnknownExpertError first).
        `owner_id`'s style profile, when there is one, lies under the room's own facts."""
        experts = choose_experts(expert_ids)
        turn = await self._prepare(
            room_id=room_id, user_input=user_input, image_url=image_url, owner_id=owner_id
        )
        specialists = [e for e in experts if e != FITTING_COORDINATOR]
        picks = assign_picks(
            pool=turn.pool,
            brief=turn.brief,
            rules=turn.rules,
            angles=[e.agent_id for e in specialists],
            seed=turn.seed,
            scorer=turn.scorer,
        )
        answers: list[PeerAnswer] = []
        queue: asyncio.Queue[PanelEvent | None] = asyncio.Queue()
        tasks = [
            asyncio.create_task(
                self._run(self._context(turn, e, picks[e.agent_id]), queue, answers, turn.started)
            )
            for e in specialists
        ]
        remembered = False
        try:
            for _ in range(len(tasks)):
                while (event := await queue.get()) is not None:
                    yield event
            if FITTING_COORDINATOR in experts:
                context = self._coordinator_context(turn, answers)
                coordinator = asyncio.create_task(self._run(context, queue, answers, turn.started))
                tasks.append(coordinator)
                while (event := await queue.get()) is not None:
                    yield event
            await self._remember(turn, user_input, answers)
            remembered = True
        finally:
            for task in tasks:
                task.cancel()
            if not remembered:
                # The caller left early: keep what completed, without awaiting in a closing
                # generator.
                task = asyncio.create_task(self._remember(turn, user_input, answers))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    async def _remember(self, turn: Turn, user_input: str, answers: list[PeerAnswer]) -> None:
        chosen = next((a for a in answers if a.expert == FITTING_COORDINATOR), None)
        look = [
            Piece(p.sub_category, p.main_category, p.colour, p.product_id, p.price)
            for p in (chosen.products if chosen else [])
        ]
        cited = list(dict.fromkeys(p.product_id for a in answers for p in a.products))
        try:
            await self._memory.remember_turn(
                room_id=turn.room_id,
                user_input=user_input,
                answers=[(a.expert.agent_id, a.text) for a in answers],
            )
            await self._memory.save_profile(
                room_id=turn.room_id, brief=turn.room_brief, look=look, cited=cited
            )
        except Exception:
            log.exception("could not store the memory of room %s", turn.room_id)

    async def _prepare(
        self, *, room_id: str, user_input: str, image_url: str, owner_id: str = ""
    ) -> Turn:
        room = await self._memory.profile(room_id=room_id)
        brief = (await self._understanding.read(text=user_input, room=room)).merged_over(room)
        photo, facts = await self._images.load(image_url=image_url) if image_url else (None, None)
        if facts is not None and facts.colours:
            brief = replace(brief, photo_colours=facts.colours[:3])
        room_brief = brief
        if owner_id:
            # Read, not copied into the room: deleting the profile forgets it everywhere.
            profile = await self._profiles.get(owner_id)
            brief = brief.merged_over(await as_brief(profile, understanding=self._understanding))
        history = await self._memory.history(room_id=room_id)
        rules = rules_for(brief=brief, kb=self._kb)
        brief, note = drop_improper_items(brief=brief, rules=rules)
        passages = await self._retrieve(brief, rules)
        pool = await gather_pool(catalog=self._catalog, brief=brief, rules=rules)
        seed = hashlib.blake2b(f"{room_id}:{len(history)}:{user_input}".encode()).hexdigest()
        notes = [note] if note else []
        scorer = Scorer(brief=brief, rules=rules, seed=seed)
        return Turn(
            room_id,
            brief,
            room_brief,
            rules,
            passages,
            pool,
            history,
            seed,
            facts,
            photo,
            notes,
            scorer,
            asyncio.get_running_loop().time(),
        )

    async def _retrieve(self, brief: Brief, rules: Rules) -> list[Passage]:
        named = [d for d in (rules.occasion, rules.body, rules.tone, rules.trend) if d]
        # The brief's catalog values too: the passages say 화이트 where a person wrote "white".
        words = [*brief.styles, *brief.items, *brief.liked_colours, *brief.materials]
        query = " ".join([brief.text, rules.season, *words, *(d.title for d in named)])
        hits = [hit.passage for hit in await self._retriever.search(query, limit=10)]
        # The documents the brief names outright always come along, first.
        direct = [p for d in named for p in d.passages[:2]]
        return list(dict.fromkeys([*direct, *hits]))

    def _context(self, turn: Turn, expert: Expert, picks: list[Product]) -> ExpertContext:
        ranked = shortlist(
            pool=turn.pool,
            brief=turn.brief,
            rules=turn.rules,
            angle=expert.agent_id,
            seed=turn.seed,
            scorer=turn.scorer,
        )
        return ExpertContext(
            expert=expert,
            brief=turn.brief,
            rules=turn.rules,
            passages=turn.passages,
            # What an LLM may cite: the engine's picks first, then the best of each category.
            candidates=list({p.product_id: p for p in [*picks, *ranked]}.values()),
            picks=picks,
            missing=turn.pool.missing,
            history=turn.history,
            seed=turn.seed,
            image=turn.image,
            photo=turn.photo,
            notes=turn.notes,
        )

    def _coordinator_context(self, turn: Turn, answers: list[PeerAnswer]) -> ExpertContext:
        cited = [p for a in answers for p in a.products]
        candidates = list({p.product_id: p for p in cited}.values()) or turn.pool.all()
        outfit = choose_outfit(
            candidates=candidates,
            brief=turn.brief,
            rules=turn.rules,
            seed=turn.seed,
            scorer=turn.scorer,
        )
        # Fill a category the specialists left empty from the pool, so the outfit is whole.
        have = {p.main_category for p in outfit}
        if not set(turn.pool.by_category) <= have:
            left = (turn.brief.budget_total or 0) - sum(p.price for p in outfit)
            extra = choose_outfit(
                candidates=[p for p in turn.pool.all() if p.main_category not in have],
                # What is left of a budget for the whole look bounds the pieces added.
                brief=replace(turn.brief, budget_total=left)
                if turn.brief.budget_total
                else turn.brief,
                rules=turn.rules,
                seed=turn.seed,
                scorer=turn.scorer,
            )
            outfit = sorted(
                [*outfit, *extra],
                key=lambda p: (
                    turn.pool.categories.index(p.main_category)
                    if p.main_category in turn.pool.categories
                    else 9
                ),
            )
        context = self._context(turn, FITTING_COORDINATOR, outfit)
        context.candidates = list({p.product_id: p for p in [*candidates, *outfit]}.values())
        context.peers = list(answers)
        return context

    async def _run(
        self,
        context: ExpertContext,
        queue: asyncio.Queue,
        answers: list[PeerAnswer],
        turn_started: float,
    ) -> None:
        expert, provider = context.expert, self._provider.name
        labels = (provider, expert.agent_id)
        LLM_CALLS.labels(*labels).inc()
        started = time.perf_counter()
        try:
            parts: list[str] = []
            chosen: list[str] = []
            reasons: dict[str, str] = {}
            pacer = DeltaPacer(self._delta_interval)
            async with self._slots.slot(turn_started), asyncio.timeout(self._timeout):
                async for event in self._provider.answer(context=context):
                    if isinstance(event, TextDelta) and event.text:
                        parts.append(event.text)
                        if text := pacer.add(event.text):
                            await queue.put(Delta(expert, text))
                    elif isinstance(event, ProductChoice):
                        chosen, reasons = event.product_ids, event.reasons
            if held := pacer.flush():
                await queue.put(Delta(expert, held))
            products = await self._validate(chosen, context)
            answer = PeerAnswer(expert, "".join(parts).strip(), products)
            answers.append(answer)
            # One line each, whatever the provider gave: a model's own line, else ours.
            lines = {
                p.product_id: _one_line(reasons.get(p.product_id, "")) or product_reason(p, context)
                for p in products
            }
            LLM_SUCCESS.labels(*labels).inc()
            await queue.put(Completed(expert, answer.text, products, lines))
        except TimeoutError:
            LLM_FAILURE.labels(*labels).inc()
            await queue.put(Failed(expert, f"{expert.agent_name}: {TIMEOUT_MESSAGE}"))
        except ProviderError as error:
            LLM_FAILURE.labels(*labels).inc()
            await queue.put(Failed(expert, f"{expert.agent_name}: {error.message}"))
        except CatalogUnavailableError:
            LLM_FAILURE.labels(*labels).inc()
            await queue.put(Failed(expert, f"{expert.agent_name}: {CATALOG_MESSAGE}"))
        except Exception:
            log.exception("expert %s failed", expert.agent_id)
            LLM_FAILURE.labels(*labels).inc()
            await queue.put(Failed(expert, f"{expert.agent_name}: {GENERIC_MESSAGE}"))
        finally:
            LLM_DURATION.labels(*labels).observe(time.perf_counter() - started)
            await queue.put(None)

    async def _validate(self, product_ids: list[str], context: ExpertContext) -> list[Product]:
        """Only ids that exist in the catalog and respect the brief; the coordinator's answer
        is one outfit, so it keeps one product per category."""
        existing = await self._catalog.existing(product_ids=product_ids)
        kept: list[Product] = []
        worn: set[str] = set()
        one_outfit = context.expert == FITTING_COORDINATOR
        for product in existing.values():
            if not allowed(product, brief=context.brief, rules=context.rules, strict_season=False):
                continue
            if one_outfit and product.main_category in worn:
                continue
            worn.add(product.main_category)
            kept.append(product)
        return kept[:6]


def _one_line(text: str, limit: int = 120) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
