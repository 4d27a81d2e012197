"""`python -m product_service` serves; `seed` loads the demo catalog; `import FILE` a real one."""

import argparse
import asyncio
import json
import sys
from pathlib import Path

from product_service.cache import ProductCache
from product_service.catalog import count_products
from product_service.demo_catalog import seed_demo_catalog
from product_service.importer import import_catalog
from product_service.lexicon import Lexicon
from product_service.morphology import load_kiwi
from product_service.query_understanding import Tokenizer
from product_service.server import prepare_database, serve
from product_service.settings import ProductSettings
from tftkit.logging import configure_logging
from tftkit.object_store import ObjectStoreSettings, build_object_store
from tftkit.postgres import connect_pool
from tftkit.redis import connect_redis
from tftkit.service import load_settings, run_service


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m product_service")
    commands = parser.add_subparsers(dest="command")
    seed = commands.add_parser("seed", help="load the generated demo catalog (idempotent)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if products exist")
    seed.add_argument("--count", type=int, default=None, help="number of products")
    seed.add_argument("--seed", type=int, default=None, help="generator seed")
    importer = commands.add_parser("import", help="import a JSON Lines catalog")
    importer.add_argument("file", help="path to a .jsonl file")
    return parser.parse_args(argv)


def _index_tokenizers(settings: ProductSettings) -> tuple[Tokenizer, ...]:
    """Kiwi for the documents' morphemes when enabled and loadable."""
    if not settings.use_kiwi:
        return ()
    kiwi = load_kiwi(user_words=Lexicon().surface_words())
    return (kiwi,) if kiwi else ()


async def _seed(settings: ProductSettings, args: argparse.Namespace) -> int:
    async with (
        connect_pool(settings.postgres_dsn) as pool,
        connect_redis(settings.redis_url) as redis,
    ):
        await prepare_database(pool)
        if args.if_empty and await count_products(pool):
            # Checked here too, so a skipped seed does not pay for loading kiwi.
            print(json.dumps({"skipped": True}))
            return 0
        result = await seed_demo_catalog(
            pool=pool,
            cache=ProductCache(redis=redis, ttl_seconds=settings.cache_ttl_seconds),
            store=build_object_store(ObjectStoreSettings()),
            count=args.count or settings.seed_count,
            seed=settings.seed_random if args.seed is None else args.seed,
            if_empty=args.if_empty,
            tokenizers=_index_tokenizers(settings),
            image_workers=settings.image_workers,
        )
    report = (
        {"skipped": True}
        if result is None
        else {
            "added": len(result.added),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
        }
    )
    print(json.dumps(report, ensure_ascii=False))
    return 0


async def _import(settings: ProductSettings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    async with (
        connect_pool(settings.postgres_dsn) as pool,
        connect_redis(settings.redis_url) as redis,
    ):
        await prepare_database(pool)
        # split("\n"), not splitlines(): JSON strings may hold U+2028 and friends.
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        report = await import_catalog(
            pool=pool,
            cache=ProductCache(redis=redis, ttl_seconds=settings.cache_ttl_seconds),
            store=build_object_store(ObjectStoreSettings()),
            lines=text.split("\n"),
            lexicon=Lexicon(),
            tokenizers=_index_tokenizers(settings),
            image_workers=settings.image_workers,
        )
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    # Non-zero when lines were rejected, so scripts notice a partial import.
    return 1 if report.rejected else 0


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        run_service("product-service", ProductSettings, serve)
        return 0
    settings = load_settings("product-service", ProductSettings)
    configure_logging("product-service", settings.log_level)
    if args.command == "seed":
        return asyncio.run(_seed(settings, args))
    if args.command == "import":
        return asyncio.run(_import(settings, args))
    raise SystemExit(f"unknown command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
