"""ProductService over gRPC: proto ↔ domain conversion and error → status code mapping only."""

import asyncpg
import grpc

from product_service.cache import ProductCache, lookup_products
from product_service.garments import GARMENT_BY_NAME
from product_service.metrics import SearchCall
from product_service.product import FIELD_NAMES, Product
from product_service.query_understanding import ParsedQuery
from product_service.search import ProductSearch, SearchFilters
from product_service.vocabulary import NOT_CARRIED
from tftkit import text
from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

MAX_BATCH_IDS = 500
MAX_QUERY_CHARS = 500
MAX_PARSE_TEXTS = 32


# Every field but where an imported picture came from (kept for the importer, never sent).
_WIRE_FIELDS = tuple(name for name in FIELD_NAMES if name != "image_source_url")


def product_to_proto(product: Product) -> product_pb2.Product:
    # Straight from the attributes (repeated fields take the tuples as they are): a search
    # answer converts every result, and a dict copy of each cost more than the message.
    return product_pb2.Product(**{name: getattr(product, name) for name in _WIRE_FIELDS})


def filters_from_proto(request: product_pb2.SearchProductsRequest) -> SearchFilters:
    return SearchFilters(
        main_categories=tuple(request.main_categories),
        sub_categories=tuple(request.sub_categories),
        colours=tuple(request.colors),
        exclude_colours=tuple(request.exclude_colors),
        tpo_tags=tuple(request.tpo_tags),
        seasons=tuple(request.seasons),
        genders=tuple(request.genders),
        style_tags=tuple(request.style_tags),
        min_price=request.min_price,
        max_price=request.max_price,
        exclude_ids=tuple(request.exclude_ids),
        limit=request.limit,
        exclude_sub_categories=tuple(request.exclude_sub_categories),
        prefer_styles=tuple(request.prefer_styles),
        prefer_materials=tuple(request.prefer_materials),
        prefer_fits=tuple(request.prefer_fits),
        prefer_patterns=tuple(request.prefer_patterns),
    )


def _garments(subs: tuple[str, ...]) -> list[product_pb2.GarmentKind]:
    return [
        product_pb2.GarmentKind(sub_category=s, main_category=GARMENT_BY_NAME[s].main)
        for s in subs
        if s in GARMENT_BY_NAME
    ]


def parsed_to_proto(parsed: ParsedQuery) -> product_pb2.ParsedQuery:
    """One understood text in catalog values, with what it asks for that we do not carry."""
    absent = []
    for word in parsed.not_carried:
        kind, nearest_sub, nearest_colour = NOT_CARRIED[word]
        garment = GARMENT_BY_NAME.get(nearest_sub)
        absent.append(
            product_pb2.NotCarried(
                word=word,
                kind=kind,
                nearest_sub_category=nearest_sub if garment else "",
                nearest_main_category=garment.main if garment else "",
                nearest_color=nearest_colour,
            )
        )
    return product_pb2.ParsedQuery(
        colors=parsed.colours,
        garments=_garments(parsed.sub_categories),
        main_categories=parsed.main_categories,
        tpo_tags=parsed.tpos,
        seasons=parsed.seasons,
        genders=parsed.genders,
        styles=parsed.styles,
        patterns=parsed.patterns,
        materials=parsed.materials,
        fits=parsed.fits,
        exclude_colors=parsed.exclude_colours,
        exclude_garments=_garments(parsed.exclude_sub_categories),
        min_price=parsed.min_price,
        max_price=parsed.max_price,
        terms=parsed.terms,
        partner_genders=parsed.partner_genders,
        not_carried=absent,
        language=parsed.language,
    )


class ProductServicer(product_pb2_grpc.ProductServiceServicer):
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        cache: ProductCache,
        search: ProductSearch,
    ) -> None:
        self._pool = pool
        self._cache = cache
        self._search = search

    async def SearchProducts(
        self, request: product_pb2.SearchProductsRequest, context: grpc.aio.ServicerContext
    ) -> product_pb2.SearchProductsResponse:
        with SearchCall() as call:
            if len(request.query) > MAX_QUERY_CHARS:
                call.refused()
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"query is longer than {MAX_QUERY_CHARS} chars",
                )
            try:
                answer = await self._search.answer(
                    query=request.query, filters=filters_from_proto(request)
                )
            except ValueError as error:
                call.refused()
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            reply = product_pb2.SearchProductsResponse(
                results=[
                    product_pb2.ScoredProduct(product=product_to_proto(r.product), score=r.score)
                    for r in answer.results
                ]
            )
            call.answered(len(answer.results), answer.mode)
            return reply

    async def GetProduct(
        self, request: product_pb2.GetProductRequest, context: grpc.aio.ServicerContext
    ) -> product_pb2.Product:
        product_id = request.product_id.strip()
        if not product_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "product_id is required")
        if problem := text.problem_of(product_id):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"product_id: {problem}")
        found = await lookup_products(pool=self._pool, cache=self._cache, product_ids=[product_id])
        if product_id not in found:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"product {product_id} not found")
        return product_to_proto(found[product_id])

    async def BatchGetProducts(
        self, request: product_pb2.BatchGetProductsRequest, context: grpc.aio.ServicerContext
    ) -> product_pb2.BatchGetProductsResponse:
        ids = [i.strip() for i in request.product_ids]
        if len(ids) > MAX_BATCH_IDS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"at most {MAX_BATCH_IDS} product_ids per call"
            )
        if any(not i for i in ids):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "product_ids must not be empty")
        if problem := next(filter(None, map(text.problem_of, ids)), None):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"product_ids: {problem}")
        found = await lookup_products(pool=self._pool, cache=self._cache, product_ids=ids)
        ordered = list(dict.fromkeys(ids))
        return product_pb2.BatchGetProductsResponse(
            products=[product_to_proto(found[i]) for i in ordered if i in found],
            missing_ids=[i for i in ordered if i not in found],
        )

    async def ParseQueries(
        self, request: product_pb2.ParseQueriesRequest, context: grpc.aio.ServicerContext
    ) -> product_pb2.ParseQueriesResponse:
        if len(request.texts) > MAX_PARSE_TEXTS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"at most {MAX_PARSE_TEXTS} texts per call"
            )
        if any(len(text) > MAX_QUERY_CHARS for text in request.texts):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"a text is longer than {MAX_QUERY_CHARS} chars"
            )
        return product_pb2.ParseQueriesResponse(
            queries=[parsed_to_proto(self._search.understand(text)) for text in request.texts]
        )
