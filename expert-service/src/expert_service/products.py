"""Client of product-service: catalog search, id validation and reading a person's words in
the catalog's vocabulary (product-service owns it), each call with a deadline."""

import logging
from dataclasses import dataclass
from functools import cached_property, lru_cache

import grpc

from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

log = logging.getLogger(__name__)

# product-service's limits on ParseQueries.
_MAX_TEXTS = 32
_MAX_TEXT = 500


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

    # Built once per product (the fields are frozen): the stylist's rules test words against
    # these texts many times for every product of a turn.
    @cached_property
    def text(self) -> str:
        """Every descriptive word of the product, for keyword checks."""
        return " ".join(
            [self.name, self.sub_category, self.colour, self.material, self.fit, self.description]
        )

    @cached_property
    def tagged_text(self) -> str:
        """`text` with the style and occasion tags: what a style keyword may match."""
        return f"{self.text} {' '.join(self.style_tags)} {' '.join(self.tpo_tags)}"


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


# Products kept by their wire bytes: a turn reads hundreds of search results, and the same
# ones come back turn after turn. A couple of thousand is a few MiB.
PRODUCT_MEMO_SIZE = 2048


def product_of(message: product_pb2.Product) -> Product:
    """`from_proto`, remembered by the message's bytes: the same bytes always make the same
    product, so this is exact, and a product seen lately comes back as the same object (its
    texts already built) at a tenth of the cost of reading every field again."""
    return _product_from_wire(message.SerializeToString())


@lru_cache(maxsize=PRODUCT_MEMO_SIZE)
def _product_from_wire(data: bytes) -> Product:
    return from_proto(product_pb2.Product.FromString(data))


class CatalogUnavailableError(RuntimeError):
    """product-service did not answer in time or failed."""


@dataclass(frozen=True)
class SearchFilter:
    """One catalog search in the catalog's own values (empty means unbounded). Filters are
    hard; the prefer_ fields only rank."""

    main_categories: tuple[str, ...] = ()
    sub_categories: tuple[str, ...] = ()
    exclude_sub_categories: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    exclude_colors: tuple[str, ...] = ()
    tpo_tags: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    max_price: int = 0
    exclude_ids: tuple[str, ...] = ()
    prefer_styles: tuple[str, ...] = ()
    prefer_materials: tuple[str, ...] = ()
    limit: int = 40


@dataclass(frozen=True)
class Garment:
    """A garment kind in the catalog's words: its sub-category and main category."""

    sub: str
    main: str


@dataclass(frozen=True)
class NotCarried:
    """Something a person asked for that the catalog lacks, and the nearest thing it has."""

    word: str
    kind: str  # brand, garment or colour
    nearest_sub: str = ""
    nearest_main: str = ""
    nearest_colour: str = ""


@dataclass(frozen=True)
class Reading:
    """What one text says in catalog values, as product-service (the vocabulary's owner)
    reads it. Negated values are in the exclude fields."""

    colours: tuple[str, ...] = ()
    garments: tuple[Garment, ...] = ()
    main_categories: tuple[str, ...] = ()
    tpos: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    partner_genders: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()
    fits: tuple[str, ...] = ()
    exclude_colours: tuple[str, ...] = ()
    exclude_garments: tuple[Garment, ...] = ()
    min_price: int = 0
    max_price: int = 0
    not_carried: tuple[NotCarried, ...] = ()
    language: str = "ko"

    def names_fashion(self) -> bool:
        """Whether the text says anything about clothes the vocabulary knows."""
        return any(
            (
                self.colours, self.garments, self.main_categories, self.tpos, self.seasons,
                self.styles, self.materials, self.fits, self.exclude_colours,
                self.exclude_garments, self.max_price, self.min_price, self.not_carried,
            )
        )  # fmt: skip


def _garments(messages) -> tuple[Garment, ...]:
    return tuple(Garment(g.sub_category, g.main_category) for g in messages)


def reading_from_proto(message: product_pb2.ParsedQuery) -> Reading:
    """The domain view of one parsed text."""
    return Reading(
        colours=tuple(message.colors),
        garments=_garments(message.garments),
        main_categories=tuple(message.main_categories),
        tpos=tuple(message.tpo_tags),
        seasons=tuple(message.seasons),
        genders=tuple(message.genders),
        partner_genders=tuple(message.partner_genders),
        styles=tuple(message.styles),
        materials=tuple(message.materials),
        fits=tuple(message.fits),
        exclude_colours=tuple(message.exclude_colors),
        exclude_garments=_garments(message.exclude_garments),
        min_price=message.min_price,
        max_price=message.max_price,
        not_carried=tuple(
            NotCarried(
                word=n.word,
                kind=n.kind,
                nearest_sub=n.nearest_sub_category,
                nearest_main=n.nearest_main_category,
                nearest_colour=n.nearest_color,
            )
            for n in message.not_carried
        ),
        language=message.language or "ko",
    )


class Catalog:
    """Searches and validates products over one gRPC channel."""

    def __init__(self, channel: grpc.aio.Channel, *, timeout_seconds: float) -> None:
        self._stub = product_pb2_grpc.ProductServiceStub(channel)
        self._timeout = timeout_seconds

    async def search(self, *, search: SearchFilter) -> list[Product]:
        """Products matching the filters, best first."""
        request = product_pb2.SearchProductsRequest(
            main_categories=search.main_categories,
            sub_categories=search.sub_categories,
            exclude_sub_categories=search.exclude_sub_categories,
            colors=search.colors,
            exclude_colors=search.exclude_colors,
            tpo_tags=search.tpo_tags,
            seasons=search.seasons,
            genders=search.genders,
            max_price=search.max_price,
            exclude_ids=search.exclude_ids,
            prefer_styles=search.prefer_styles,
            prefer_materials=search.prefer_materials,
            limit=search.limit,
        )
        try:
            response = await self._stub.SearchProducts(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            log.warning("product search failed: %s", error.code().name)
            raise CatalogUnavailableError(error.code().name) from error
        return [product_of(scored.product) for scored in response.results]

    async def read(self, *, texts: list[str]) -> list[Reading]:
        """Each text in catalog values, read by product-service in one call."""
        if not texts:
            return []
        try:
            response = await self._stub.ParseQueries(
                product_pb2.ParseQueriesRequest(texts=[t[:_MAX_TEXT] for t in texts[:_MAX_TEXTS]]),
                timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as error:
            log.warning("reading the request failed: %s", error.code().name)
            raise CatalogUnavailableError(error.code().name) from error
        readings = [reading_from_proto(q) for q in response.queries]
        return readings + [Reading()] * (len(texts) - len(readings))

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
        found = {p.product_id: product_of(p) for p in response.products}
        return {pid: found[pid] for pid in wanted if pid in found}
