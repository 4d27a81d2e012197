"""Client of product-service: catalog search and id validation, each call with a deadline."""

import logging
from dataclasses import dataclass

import grpc

from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Product:
    """The product fields the experts reason about."""

    product_id: str
    name: str
    brand: str
    main_category: str
    sub_category: str
    colour: str
    material: str
    fit: str
    pattern: str
    seasons: tuple[str, ...]
    gender: str
    style_tags: tuple[str, ...]
    tpo_tags: tuple[str, ...]
    price: int
    description: str
    image_url: str

    @property
    def text(self) -> str:
        """Every descriptive word of the product, for keyword checks."""
        return " ".join(
            [self.name, self.sub_category, self.colour, self.material, self.fit, self.description]
        )


def from_proto(message: product_pb2.Product) -> Product:
    """The domain view of a catalog product."""
    return Product(
        product_id=message.product_id,
        name=message.product_name,
        brand=message.brand_name,
        main_category=message.main_category.upper(),
        sub_category=message.sub_category,
        colour=message.color_name,
        material=message.material,
        fit=message.fit,
        pattern=message.pattern,
        seasons=tuple(message.seasons),
        gender=message.gender.upper(),
        style_tags=tuple(message.style_tags),
        tpo_tags=tuple(message.tpo_tags),
        price=message.price or message.original_price,
        description=message.comprehensive_description,
        image_url=message.image_url,
    )


class CatalogUnavailableError(RuntimeError):
    """product-service did not answer in time or failed."""


@dataclass(frozen=True)
class SearchFilter:
    """The filters of one catalog search (empty means unbounded)."""

    query: str = ""
    main_categories: tuple[str, ...] = ()
    sub_categories: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    exclude_colors: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    max_price: int = 0
    limit: int = 40


class Catalog:
    """Searches and validates products over one gRPC channel."""

    def __init__(self, channel: grpc.aio.Channel, *, timeout_seconds: float) -> None:
        self._stub = product_pb2_grpc.ProductServiceStub(channel)
        self._timeout = timeout_seconds

    async def search(self, *, search: SearchFilter) -> list[Product]:
        """Products matching the filters, best first."""
        request = product_pb2.SearchProductsRequest(
            query=search.query,
            main_categories=list(search.main_categories),
            sub_categories=list(search.sub_categories),
            colors=list(search.colors),
            exclude_colors=list(search.exclude_colors),
            genders=list(search.genders),
            max_price=search.max_price,
            limit=search.limit,
        )
        try:
            response = await self._stub.SearchProducts(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            log.warning("product search failed: %s", error.code().name)
            raise CatalogUnavailableError(error.code().name) from error
        return [from_proto(scored.product) for scored in response.results]

    async def existing(self, *, product_ids: list[str]) -> dict[str, Product]:
        """The catalog products among the ids (invented or deleted ids are left out)."""
        wanted = list(dict.fromkeys(pid for pid in product_ids if pid))
        if not wanted:
            return {}
        try:
            response = await self._stub.BatchGetProducts(
                product_pb2.BatchGetProductsRequest(product_ids=wanted), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            log.warning("product validation failed: %s", error.code().name)
            raise CatalogUnavailableError(error.code().name) from error
        found = {p.product_id: from_proto(p) for p in response.products}
        return {pid: found[pid] for pid in wanted if pid in found}
