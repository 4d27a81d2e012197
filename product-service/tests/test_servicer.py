"""The gRPC surface, through a real grpc.aio server on a free port."""

import grpc
import pytest
import pytest_asyncio

from product_service.search import ProductSearch
from product_service.server import SERVICE_NAME
from product_service.servicer import ProductServicer
from tftkit.grpc_server import GrpcServer
from thefirsttake.product.v1 import product_pb2, product_pb2_grpc


@pytest_asyncio.fixture
async def stub(pool, cache, understanding):
    server = GrpcServer(host="127.0.0.1", port=0, grace_seconds=0)
    search = ProductSearch(pool=pool, understanding=understanding)
    servicer = ProductServicer(pool=pool, cache=cache, search=search)
    server.add(product_pb2_grpc.add_ProductServiceServicer_to_server, servicer, SERVICE_NAME)
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield product_pb2_grpc.ProductServiceStub(channel)
    await server.stop()


async def test_get_product_returns_every_field(stub, catalog):
    product = catalog[5]
    reply = await stub.GetProduct(product_pb2.GetProductRequest(product_id=product.product_id))
    assert reply.product_name == product.product_name
    assert list(reply.tpo_tags) == list(product.tpo_tags)
    assert reply.price == product.price and reply.image_url == product.image_url


async def test_unknown_product_is_not_found(stub):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.GetProduct(product_pb2.GetProductRequest(product_id="123"))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


async def test_empty_product_id_is_invalid(stub):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.GetProduct(product_pb2.GetProductRequest(product_id=" "))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("product_id", ["12\x00", "\x0712"])
async def test_an_id_with_a_control_character_is_invalid_not_a_database_error(stub, product_id):
    # PostgreSQL cannot take NUL: without the check this was INTERNAL.
    for call in (
        stub.GetProduct(product_pb2.GetProductRequest(product_id=product_id)),
        stub.BatchGetProducts(product_pb2.BatchGetProductsRequest(product_ids=["1", product_id])),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await call
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "control characters" in (error.value.details() or "")


async def test_batch_get_keeps_order_and_lists_missing(stub, catalog):
    ids = [catalog[9].product_id, "404", catalog[8].product_id, catalog[9].product_id]
    reply = await stub.BatchGetProducts(product_pb2.BatchGetProductsRequest(product_ids=ids))
    assert [p.product_id for p in reply.products] == [catalog[9].product_id, catalog[8].product_id]
    assert list(reply.missing_ids) == ["404"]


async def test_batch_get_refuses_too_many_ids(stub):
    request = product_pb2.BatchGetProductsRequest(product_ids=[str(i) for i in range(501)])
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.BatchGetProducts(request)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_search_understands_korean_and_applies_filters(stub):
    reply = await stub.SearchProducts(
        product_pb2.SearchProductsRequest(query="면접 셔츠", genders=["MEN"], limit=5)
    )
    assert 0 < len(reply.results) <= 5
    for result in reply.results:
        assert result.product.sub_category == "셔츠"
        assert result.product.gender in ("MEN", "UNISEX")
    assert "면접" in reply.results[0].product.tpo_tags


async def test_search_default_limit_is_twenty(stub):
    reply = await stub.SearchProducts(product_pb2.SearchProductsRequest(query=""))
    assert len(reply.results) == 20


@pytest.mark.parametrize(
    "request_",
    [
        product_pb2.SearchProductsRequest(limit=1000),
        product_pb2.SearchProductsRequest(min_price=10, max_price=5),
        product_pb2.SearchProductsRequest(query="가" * 501),
    ],
)
async def test_bad_search_input_is_invalid_argument(stub, request_):
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.SearchProducts(request_)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_searches_and_cache_lookups_are_counted(stub, catalog):
    found = _sample("product_search_api_calls_total", outcome="found")
    empty = _sample("product_search_api_calls_total", outcome="empty")
    hits = _sample("product_cache_lookups_total", result="hit")
    await stub.SearchProducts(product_pb2.SearchProductsRequest(query="셔츠"))
    await stub.SearchProducts(product_pb2.SearchProductsRequest(query="남자 블라우스"))
    request = product_pb2.GetProductRequest(product_id=catalog[0].product_id)
    await stub.GetProduct(request)
    await stub.GetProduct(request)
    assert _sample("product_search_api_calls_total", outcome="found") == found + 1
    assert _sample("product_search_api_calls_total", outcome="empty") == empty + 1
    assert _sample("product_cache_lookups_total", result="hit") >= hits + 1


async def test_an_answered_search_is_a_success_and_is_timed(stub):
    successes = _sample("product_search_api_success_total")
    timed = _sample("product_search_api_response_duration_count", mode="lexical")
    failures = sum(
        _sample("product_search_api_failure_total", reason=r)
        for r in ("invalid_argument", "internal", "cancelled")
    )
    reply = await stub.SearchProducts(product_pb2.SearchProductsRequest(query="네이비 슬랙스"))
    assert reply.results
    assert _sample("product_search_api_success_total") == successes + 1
    assert _sample("product_search_api_response_duration_count", mode="lexical") == timed + 1
    assert (
        sum(
            _sample("product_search_api_failure_total", reason=r)
            for r in ("invalid_argument", "internal", "cancelled")
        )
        == failures
    )


@pytest.mark.parametrize(
    "request_",
    [
        product_pb2.SearchProductsRequest(min_price=10, max_price=5),  # refused by the search
        product_pb2.SearchProductsRequest(query="가" * 501),  # refused before it
    ],
)
async def test_a_refused_search_is_a_failure_and_is_timed(stub, request_):
    failures = _sample("product_search_api_failure_total", reason="invalid_argument")
    invalid = _sample("product_search_api_calls_total", outcome="invalid")
    successes = _sample("product_search_api_success_total")
    timed = _sample("product_search_api_response_duration_count", mode="failed")
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.SearchProducts(request_)
    assert _sample("product_search_api_failure_total", reason="invalid_argument") == failures + 1
    assert _sample("product_search_api_calls_total", outcome="invalid") == invalid + 1
    assert _sample("product_search_api_success_total") == successes
    assert _sample("product_search_api_response_duration_count", mode="failed") == timed + 1


async def test_a_search_that_breaks_is_an_internal_failure(pool, cache, understanding):
    class _Broken(ProductSearch):
        async def answer(self, *, query, filters):
            raise RuntimeError("the database went away")

    servicer = ProductServicer(
        pool=pool, cache=cache, search=_Broken(pool=pool, understanding=understanding)
    )
    server = GrpcServer(host="127.0.0.1", port=0, grace_seconds=0)
    server.add(product_pb2_grpc.add_ProductServiceServicer_to_server, servicer, SERVICE_NAME)
    await server.start()
    failures = _sample("product_search_api_failure_total", reason="internal")
    errors = _sample("product_search_api_calls_total", outcome="error")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await product_pb2_grpc.ProductServiceStub(channel).SearchProducts(
                    product_pb2.SearchProductsRequest(query="셔츠")
                )
    finally:
        await server.stop()
    assert error.value.code() == grpc.StatusCode.INTERNAL
    assert _sample("product_search_api_failure_total", reason="internal") == failures + 1
    assert _sample("product_search_api_calls_total", outcome="error") == errors + 1


async def test_parse_queries_answers_in_catalog_values_one_per_text(stub):
    reply = await stub.ParseQueries(
        product_pb2.ParseQueriesRequest(
            texts=["오프화이트 니트 5만원 이하", "검정 말고", "구찌 가방", "수영복", "first date"]
        )
    )
    knit, not_black, gucci, swim, date = reply.queries
    assert list(knit.colors) == ["아이보리"] and knit.max_price == 50_000
    assert [(g.sub_category, g.main_category) for g in knit.garments] == [("니트", "TOP")]
    assert list(not_black.exclude_colors) == ["블랙"] and not not_black.colors
    assert [(n.word, n.kind) for n in gucci.not_carried] == [("구찌", "brand")]
    assert {g.main_category for g in gucci.garments} == {"ACCESSORY"}
    (absent,) = swim.not_carried
    assert (absent.kind, absent.nearest_main_category) == ("garment", "BOTTOM")
    assert list(date.tpo_tags) == ["소개팅"] and date.language == "en"


async def test_parse_queries_refuses_too_much_text(stub):
    for texts in (["니트"] * 33, ["가" * 501]):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.ParseQueries(product_pb2.ParseQueriesRequest(texts=texts))
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_search_preferences_rank_but_never_filter(stub):
    plain = await stub.SearchProducts(
        product_pb2.SearchProductsRequest(main_categories=["TOP"], limit=100)
    )
    preferred = await stub.SearchProducts(
        product_pb2.SearchProductsRequest(
            main_categories=["TOP"], prefer_materials=["린넨"], limit=100
        )
    )
    assert {r.product.product_id for r in preferred.results} == {
        r.product.product_id for r in plain.results
    }
    linen = [r.product.material == "린넨" for r in preferred.results]
    assert any(linen) and not all(linen)
    assert linen == sorted(linen, reverse=True)  # every linen top before every other
