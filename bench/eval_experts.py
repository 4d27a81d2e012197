"""`make eval-experts`: the offline expert panel through two sets of stylist requests.

  * development: the 49 scenarios of `eval_experts_scenarios.py`, written by the engine's
    author (the engine is developed against them);
  * held-out: the cases of `eval_experts_heldout.py`, written before the request-understanding
    work without reading the engine; never tuned against (see its docstring).

Runs ExpertService in-process over gRPC against a catalog: a real product-service when
`--product-addr` is given or `--start-product-service` can start one (scratch PostgreSQL
database, seeded demo catalog), otherwise the fixture catalog server of the expert tests.
Prints a score per check and overall for each set separately, then the offline engine's time
to the first content delta and to the end of the turn. The exit status follows the
development set alone (≥ 95 %); the held-out set measures and never gates.

    uv run python bench/eval_experts.py [--product-addr HOST:PORT | --start-product-service]
        [--set development|heldout|both] [--verbose]
"""

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "expert-service" / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_experts_heldout  # noqa: E402
from eval_experts_scenarios import (  # noqa: E402
    CASUAL_SUBS,
    OCCASION_FORBIDDEN,
    OCCASION_FORBIDDEN_COLOURS,
    OCCASION_FORBIDDEN_COLOURS_WOMEN,
    SCENARIOS,
    SEASON_FORBIDDEN_MATERIALS,
    SEASON_FORBIDDEN_SUBS,
    Scenario,
)

SPECIALISTS = ("style_analyst", "trend_expert", "color_expert")
RPC_ATTEMPTS = 3  # a case whose Consult fails with an RPC error is run again in a new room
PHOTOS = {
    "navy_top": (31, 43, 74),
    "warm_beige": (214, 180, 130),
    "dark_outfit": (30, 30, 34),
}


def make_photo(rgb: tuple[int, int, int]) -> bytes:
    """A 'person in a garment' stand-in: a light background with a large garment block."""
    image = Image.new("RGB", (240, 320), (235, 233, 228))
    image.paste(Image.new("RGB", (170, 230), rgb), (35, 60))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


async def run_turns(stub, scenario: Scenario, photo_url: str) -> list[list]:
    """Every turn's events (the photo goes with the first turn), all in one room."""
    from thefirsttake.expert.v1 import expert_pb2

    room = f"eval-{uuid.uuid4().hex[:10]}"
    turns = []
    for index, text in enumerate(scenario.turns):
        request = expert_pb2.ConsultRequest(
            room_id=room,
            user_input=text,
            image_url=photo_url if index == 0 else "",
            expert_ids=getattr(scenario, "experts", []),
        )
        turns.append([event async for event in stub.Consult(request, timeout=60)])
    return turns


def answers_of(events) -> dict:
    return {e.completed.expert.agent_id: e.completed for e in events if e.HasField("completed")}


def bigram_similarity(a: str, b: str) -> float:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) / max(1, len(grams_a | grams_b))


def check(scenario: Scenario, turns: list[list], catalog: dict) -> dict[str, bool | None]:
    """Each stylist check: True/False, or None where it does not apply."""
    events = turns[-1]
    answers = answers_of(events)
    coordinator = answers.get("fitting_coordinator")
    cited = [(agent, r) for agent, a in answers.items() for r in a.products]
    products = [catalog.get(r.product_id) for _, r in cited]
    known = [p for p in products if p is not None]
    results: dict[str, bool | None] = {}
    wanted = scenario.experts or [*SPECIALISTS, "fitting_coordinator"]
    results["no_failures"] = not any(e.HasField("failed") for t in turns for e in t) and set(
        answers
    ) == set(wanted)
    results["ids_exist_with_image"] = all(
        catalog.get(r.product_id) is not None and r.product_url == catalog[r.product_id].image_url
        for _, r in cited
    )
    forbidden = OCCASION_FORBIDDEN.get(scenario.occasion, set())
    bad_colours = OCCASION_FORBIDDEN_COLOURS.get(scenario.occasion, set())
    bad_for_women = OCCASION_FORBIDDEN_COLOURS_WOMEN.get(scenario.occasion, set())
    results["occasion_fit"] = (
        all(
            p.sub_category not in forbidden
            and p.color_name not in bad_colours
            and not (p.gender == "WOMEN" and p.color_name in bad_for_women)
            for p in known
        )
        if scenario.occasion
        else None
    )
    if scenario.season:
        results["season_fit"] = all(
            p.sub_category not in SEASON_FORBIDDEN_SUBS[scenario.season]
            and p.material not in SEASON_FORBIDDEN_MATERIALS[scenario.season]
            for p in known
        )
    else:
        results["season_fit"] = None
    if scenario.expect_nothing:
        results["says_plainly_when_nothing_fits"] = all(
            "없어요" in a.message for a in answers.values()
        ) and not any(
            p.sub_category in scenario.must_subs
            or (scenario.max_price and p.price > scenario.max_price)
            for p in known
        )
    else:
        results["says_plainly_when_nothing_fits"] = None
    if coordinator is not None and not scenario.expect_nothing:
        pieces = [catalog[r.product_id] for r in coordinator.products if r.product_id in catalog]
        mains = [p.main_category for p in pieces]
        results["outfit_complete"] = (
            "TOP" in mains and "BOTTOM" in mains and len(mains) == len(set(mains))
        )
        first_line = coordinator.message.splitlines()[0] if coordinator.message else ""
        results["opens_with_the_look"] = all(
            p.sub_category in first_line for p in pieces if p.main_category in ("TOP", "BOTTOM")
        ) and bool(pieces)
        specialists = [a for a in SPECIALISTS if a in answers]
        if specialists:
            theirs = {r.product_id for a in specialists for r in answers[a].products}
            results["outfit_agrees_with_specialists"] = all(
                r.product_id in theirs for r in coordinator.products
            )
        else:
            results["outfit_agrees_with_specialists"] = None
    else:
        results["outfit_complete"] = results["opens_with_the_look"] = None
        results["outfit_agrees_with_specialists"] = None
    results["dislikes_respected"] = (
        all(
            p.color_name not in scenario.no_colours and p.sub_category not in scenario.no_subs
            for p in known
        )
        if scenario.no_colours or scenario.no_subs
        else None
    )
    results["budget_respected"] = (
        all(p.price <= scenario.max_price for p in known) if scenario.max_price else None
    )
    results["gender_respected"] = (
        all(p.gender in (scenario.gender, "UNISEX") for p in known) if scenario.gender else None
    )
    if scenario.must_subs and not scenario.expect_nothing and coordinator is not None:
        subs = {catalog[r.product_id].sub_category for r in coordinator.products}
        ok = bool(scenario.must_subs & subs)
        if scenario.must_colour_sub:
            colour, sub = scenario.must_colour_sub
            ok = ok and all(
                catalog[r.product_id].color_name == colour
                for r in coordinator.products
                if catalog[r.product_id].sub_category == sub
            )
        results["request_honoured"] = ok
    elif scenario.must_colour_main and coordinator is not None:
        colour, main = scenario.must_colour_main
        pieces = [catalog[r.product_id] for r in coordinator.products if r.product_id in catalog]
        results["request_honoured"] = any(
            p.main_category == main and p.color_name == colour for p in pieces
        ) and all(p.color_name == colour for p in pieces if p.main_category == main)
    else:
        results["request_honoured"] = None
    specialists = [a for a in SPECIALISTS if a in answers]
    if len(specialists) >= 2 and not scenario.expect_nothing:
        # A piece the person asked for by name may be shared when the catalog has few of it.
        sets = [
            {
                r.product_id
                for r in answers[a].products
                if catalog.get(r.product_id) is None
                or catalog[r.product_id].sub_category not in scenario.must_subs
            }
            for a in specialists
        ]
        overlap = any(sets[i] & sets[j] for i in range(len(sets)) for j in range(i + 1, len(sets)))
        texts = [answers[a].message for a in specialists]
        similar = any(
            bigram_similarity(texts[i], texts[j]) > 0.5
            for i in range(len(texts))
            for j in range(i + 1, len(texts))
        )
        results["experts_do_not_repeat"] = not overlap and not similar
    else:
        results["experts_do_not_repeat"] = None
    if scenario.mentions:
        results["personal_facts_used"] = all(
            agent in answers and any(word in answers[agent].message for word in words)
            for agent, words in scenario.mentions.items()
        )
    else:
        results["personal_facts_used"] = None
    if scenario.more_casual:

        def casual(turn) -> int:
            return sum(
                catalog[r.product_id].sub_category in CASUAL_SUBS
                for a in answers_of(turn).values()
                for r in a.products
                if r.product_id in catalog
            )

        results["follow_up_changes_answer"] = casual(turns[-1]) > casual(turns[0])
    else:
        results["follow_up_changes_answer"] = None
    return results


def photo_url(scenario: Scenario) -> str:
    if not scenario.photo:
        return ""
    # Where chat-service hands a person's upload to the experts: the private uploads folder.
    return f"http://127.0.0.1:8000/media/private/uploads/{scenario.photo}.jpg"


@dataclass
class SetOutcome:
    """One set's results: every applicable check's verdicts, per check and per case group."""

    scores: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    by_group: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)
    rpc_errors: list[str] = field(default_factory=list)  # attempts retried
    turns: int = 0
    seconds: float = 0.0

    @property
    def share(self) -> float:
        checked = sum(len(v) for v in self.scores.values())
        return sum(sum(v) for v in self.scores.values()) / max(1, checked)

    def print_scores(self) -> None:
        for name, values in sorted(self.scores.items()):
            share = 100 * sum(values) / len(values)
            print(f"  {name:34s} {sum(values):3d}/{len(values):3d}  {share:6.1f} %")
        passed = sum(sum(v) for v in self.scores.values())
        checked = sum(len(v) for v in self.scores.values())
        print(f"  {'OVERALL':34s} {passed:3d}/{checked:3d}  {100 * passed / checked:6.1f} %")


def dump_case(case, turns: list[list], catalog: dict, verdicts: dict) -> dict:
    """One case as a JSON-able record: every turn's answers, cited products' facts, verdicts."""
    return {
        "case": case.name,
        "turns": [
            {
                "user": text,
                "answers": {
                    agent: {
                        "message": answer.message,
                        "products": [
                            {
                                "id": r.product_id,
                                "reason": getattr(r, "reason", ""),
                                **(
                                    {
                                        "sub": catalog[r.product_id].sub_category,
                                        "colour": catalog[r.product_id].color_name,
                                        "price": catalog[r.product_id].price,
                                        "gender": catalog[r.product_id].gender,
                                        "brand": catalog[r.product_id].brand_name,
                                    }
                                    if r.product_id in catalog
                                    else {}
                                ),
                            }
                            for r in answer.products
                        ],
                    }
                    for agent, answer in answers_of(events).items()
                },
            }
            for text, events in zip(case.turns, turns, strict=True)
        ],
        "checks": verdicts,
    }


def write_dump(path: str, records: list[dict]) -> None:
    lines = (json.dumps(record, ensure_ascii=False) for record in records)
    Path(path).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


async def run_set(
    stub, handle, cases, check_case, verbose: bool, photo_of=None, dump=None
) -> SetOutcome:
    """Every case's turns in its own room, each checked against the cited products' facts."""
    outcome = SetOutcome()
    started = time.perf_counter()
    for case in cases:
        turns = None
        for attempt in range(RPC_ATTEMPTS):
            try:
                turns = await run_turns(stub, case, photo_of(case) if photo_of else "")
                break
            except grpc.aio.AioRpcError as error:  # e.g. a catalog search timing out under load
                outcome.rpc_errors.append(f"{case.name}: {error.code().name} {error.details()}")
                await asyncio.sleep(1.0 + attempt)
        if turns is None:  # every attempt failed: the case fails, nothing else is judged
            outcome.scores["no_failures"].append(False)
            outcome.by_group[getattr(case, "intent", "")].append(False)
            outcome.failures.append(f"{case.name}: no_failures (RPC error)")
            continue
        outcome.turns += len(turns)
        ids = {
            e.completed.products[i].product_id
            for t in turns
            for e in t
            if e.HasField("completed")
            for i in range(len(e.completed.products))
        }
        catalog = await fetch_products(handle, ids) if ids else {}
        verdicts = check_case(case, turns, catalog)
        if dump is not None:
            dump.append(dump_case(case, turns, catalog, verdicts))
        shown = False
        for name, ok in verdicts.items():
            if ok is None:
                continue
            outcome.scores[name].append(ok)
            outcome.by_group[getattr(case, "intent", "")].append(ok)
            if not ok:
                outcome.failures.append(f"{case.name}: {name}")
                if verbose and not shown:  # the case's answers once, at its first failure
                    shown = True
                    for agent, answer in answers_of(turns[-1]).items():
                        print(f"  [{case.name}] {agent}: {answer.message[:300]}")
    outcome.seconds = time.perf_counter() - started
    return outcome


async def load_catalog(address: str) -> dict:
    """Every product the answers may cite, fetched lazily by id through BatchGetProducts."""
    from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

    channel = grpc.aio.insecure_channel(address)
    stub = product_pb2_grpc.ProductServiceStub(channel)
    return {"stub": stub, "channel": channel, "pb2": product_pb2}


async def fetch_products(handle: dict, ids: set[str]) -> dict:
    response = await handle["stub"].BatchGetProducts(
        handle["pb2"].BatchGetProductsRequest(product_ids=sorted(ids)), timeout=10
    )
    return {p.product_id: p for p in response.products}


async def time_turns(stub, runs: int) -> tuple[list[float], list[float]]:
    """Seconds to the first delta and to the end of a four-expert turn."""
    from thefirsttake.expert.v1 import expert_pb2

    prompts = [
        "내일 소개팅 가는데 입을 옷 추천해줘",
        "면접 복장 추천해 주세요",
        "여름 여행 코디 알려줘",
        "가을 웜톤 데일리룩",
        "키 165 남자 출근룩",
    ]
    first, total = [], []
    for i in range(-2, runs):  # two warm-up turns are not counted
        request = expert_pb2.ConsultRequest(
            room_id=f"eval-time-{uuid.uuid4().hex[:8]}", user_input=prompts[i % len(prompts)]
        )
        started = time.perf_counter()
        first_delta = None
        async for event in stub.Consult(request, timeout=60):
            if first_delta is None and event.HasField("delta"):
                first_delta = time.perf_counter() - started
        if i >= 0:
            total.append(time.perf_counter() - started)
            first.append(first_delta or float("nan"))
    return first, total


async def start_expert_service(product_addr: str, delay: float, prefix: str):
    from expert_service.server import open_panel
    from expert_service.servicer import ExpertServicer
    from expert_service.settings import ExpertSettings
    from tftkit.grpc_server import GrpcServer
    from tftkit.testing import TEST_REDIS_URL, ActingStub, TestIdentities
    from thefirsttake.expert.v1 import expert_pb2_grpc

    settings = ExpertSettings(
        redis_url=os.environ.get("EXPERT_REDIS_URL", TEST_REDIS_URL),
        product_service_addr=product_addr,
        port=0,
        llm_provider="offline",
        offline_delta_delay_seconds=delay,
        redis_key_prefix=prefix,
    )
    panel_cm = open_panel(settings)
    panel = await panel_cm.__aenter__()
    # Measure the steady state: semantic retrieval on (its passages embed in the background).
    for _ in range(600):
        if panel.retriever.semantic:
            break
        await asyncio.sleep(0.1)
    # The harness signs its own caller tokens and the server trusts that key alone.
    identities = TestIdentities()
    server = GrpcServer(host="127.0.0.1", port=0, grace_seconds=0.5, verifier=identities.verifier)
    server.add(
        expert_pb2_grpc.add_ExpertServiceServicer_to_server,
        ExpertServicer(panel, verifier=identities.verifier),
        "thefirsttake.expert.v1.ExpertService",
    )
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")

    async def stop() -> None:
        await channel.close()
        await server.stop()
        await panel_cm.__aexit__(None, None, None)

    stub = expert_pb2_grpc.ExpertServiceStub(channel)
    return ActingStub(stub, identities.metadata("eval-experts")), stop


async def clean_redis(prefix: str) -> None:
    from redis.asyncio import Redis

    from tftkit.testing import TEST_REDIS_URL

    client = Redis.from_url(os.environ.get("EXPERT_REDIS_URL", TEST_REDIS_URL))
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def open_catalog(args: argparse.Namespace):
    """(address, description, stop) of the catalog the eval runs against."""
    if args.product_addr:
        return args.product_addr, f"product-service at {args.product_addr}", None
    if args.start_product_service:
        try:
            from eval_product_service import start_product_service

            address, stop = await start_product_service()
            return address, "product-service on a scratch database (seeded demo catalog)", stop
        except Exception as error:  # no PostgreSQL here: the fixture catalog still evaluates
            print(f"could not start product-service ({error!r}); using the fixture catalog")
    from expert_test_catalog import start_catalog_server

    server, address, _ = await start_catalog_server()

    async def stop() -> None:
        await server.stop(None)

    return address, "the fixture catalog of the expert tests (63 products)", stop


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--product-addr", default="", help="a running product-service")
    parser.add_argument(
        "--start-product-service",
        action="store_true",
        help="start product-service on a scratch database (needs PostgreSQL)",
    )
    parser.add_argument(
        "--set",
        choices=("development", "heldout", "both"),
        default="both",
        help="which requests to run: the engine author's scenarios, the held-out cases, or both",
    )
    parser.add_argument("--timing-runs", type=int, default=10)
    parser.add_argument("--verbose", action="store_true", help="print failing answers")
    parser.add_argument(
        "--dump", default="", help="write every case's answers, products and verdicts (JSON lines)"
    )
    args = parser.parse_args()

    media = Path(tempfile.mkdtemp(prefix="expert-eval-"))
    os.environ["OBJECT_STORE_DIR"] = str(media)
    os.environ["MEDIA_BASE_URL"] = "http://127.0.0.1:8000/media"
    for name, rgb in PHOTOS.items():
        (media / "private" / "uploads").mkdir(parents=True, exist_ok=True)
        (media / "private" / "uploads" / f"{name}.jpg").write_bytes(make_photo(rgb))

    address, source, stop_product = await open_catalog(args)

    prefix = f"experteval-{uuid.uuid4().hex[:8]}"
    stub, stop_expert = await start_expert_service(address, 0.0, prefix)
    handle = await load_catalog(address)
    outcomes: dict[str, SetOutcome] = {}
    try:
        dump: list[dict] | None = [] if args.dump else None
        if args.set in ("development", "both"):
            outcomes["development"] = await run_set(
                stub, handle, SCENARIOS, check, args.verbose, photo_of=photo_url, dump=dump
            )
        if args.set in ("heldout", "both"):
            outcomes["heldout"] = await run_set(
                stub,
                handle,
                eval_experts_heldout.CASES,
                eval_experts_heldout.check,
                args.verbose,
                dump=dump,
            )
        if dump is not None:
            write_dump(args.dump, dump)
        await stop_expert()
        stub, stop_expert = await start_expert_service(address, 0.015, prefix)
        first, total = await time_turns(stub, args.timing_runs)
        stub0, stop0 = await start_expert_service(address, 0.0, prefix)
        first0, total0 = await time_turns(stub0, args.timing_runs)
        await stop0()
    finally:
        await stop_expert()
        await handle["channel"].close()
        if stop_product:
            await stop_product()
        await clean_redis(prefix)
        shutil.rmtree(media, ignore_errors=True)

    print(f"catalog: {source}")
    for name, outcome in outcomes.items():
        for line in outcome.rpc_errors:
            print(f"  {name}: RPC error, case run again: {line}")
    development = outcomes.get("development")
    if development is not None:
        print(
            f"development ({len(SCENARIOS)} scenarios, the engine author's; "
            f"{development.turns} turns, {development.seconds:.0f} s):"
        )
        development.print_scores()
        for line in development.failures:
            print(f"  FAILED {line}")
    heldout = outcomes.get("heldout")
    if heldout is not None:
        print(
            f"held-out ({len(eval_experts_heldout.CASES)} cases, never tuned against; "
            f"{heldout.turns} turns, {heldout.seconds:.0f} s):"
        )
        heldout.print_scores()
        print("  by intent (every applicable check of the intent's cases):")
        for intent in eval_experts_heldout.INTENTS:
            values = heldout.by_group.get(intent, [])
            if values:
                share = 100 * sum(values) / len(values)
                print(f"    {intent:32s} {sum(values):3d}/{len(values):3d}  {share:6.1f} %")
        if args.verbose:
            for line in heldout.failures:
                print(f"  FAILED {line}")
        else:
            print(f"  ({len(heldout.failures)} failed checks; --verbose lists them)")

    def ms(values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return f"median {1000 * statistics.median(values):.0f} ms, p95 {1000 * p95:.0f} ms"

    print(f"timing over {args.timing_runs} four-expert turns (offline engine, gRPC in-process):")
    print(
        f"  streamed as shipped (15 ms between deltas): first content {ms(first)}, "
        f"final {ms(total)}"
    )
    print(
        f"  engine only (no pause between deltas):      first content {ms(first0)}, "
        f"final {ms(total0)}"
    )
    if development is None:
        return 0
    return 0 if development.share >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
