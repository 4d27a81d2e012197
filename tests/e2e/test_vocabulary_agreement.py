"""The stylist and search read words the same way, because there is one vocabulary.

expert-service's understanding step runs here in-process against the real product-service
process; for every colour word of the catalog's vocabulary and a set of budget phrases, what
the stylist understood equals what search filters by.
"""

import grpc
import pytest
import pytest_asyncio

from expert_service.knowledge import load_knowledge
from expert_service.products import Catalog, SearchFilter
from expert_service.understanding import Understanding
from product_service.vocabulary import COLOURS
from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

pytestmark = pytest.mark.asyncio(loop_scope="session")

BUDGETS = [
    ("5만원 이하 니트", 50_000),
    ("니트 5만 원까지", 50_000),
    ("니트 50,000원 이하", 50_000),
    ("3만원대 니트", 39_999),
    ("knit under 50,000 won", 50_000),
    ("50k won knit", 50_000),
]


@pytest_asyncio.fixture(loop_scope="session")
async def catalog_channel(system):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{system.env['PRODUCT_PORT']}") as channel:
        yield channel


async def test_every_colour_word_means_the_same_colour_to_the_stylist_and_to_search(
    catalog_channel,
):
    understanding = Understanding(
        catalog=Catalog(catalog_channel, timeout_seconds=10), kb=load_knowledge()
    )
    search = product_pb2_grpc.ProductServiceStub(catalog_channel)
    for colour in COLOURS:
        for word in colour.words:
            brief = await understanding.read(text=f"{word} 니트 하나만 골라줘")
            assert brief.item_colours == {"니트": colour.name}, word
            found = await search.SearchProducts(
                product_pb2.SearchProductsRequest(query=f"{word} 니트", limit=50)
            )
            assert {r.product.color_name for r in found.results} <= {colour.name}, word


async def test_every_budget_phrase_is_the_same_bound_for_both(catalog_channel):
    catalog = Catalog(catalog_channel, timeout_seconds=10)
    understanding = Understanding(catalog=catalog, kb=load_knowledge())
    search = product_pb2_grpc.ProductServiceStub(catalog_channel)
    for phrase, bound in BUDGETS:
        brief = await understanding.read(text=phrase)
        assert (brief.budget_max, brief.budget_total) == (bound, None), phrase
        found = await search.SearchProducts(
            product_pb2.SearchProductsRequest(query=phrase, limit=100)
        )
        assert found.results and all(r.product.price <= bound for r in found.results), phrase
    # The stylist's typed request reaches search unchanged: no words to read again.
    typed = await catalog.search(
        search=SearchFilter(sub_categories=("니트",), max_price=50_000, limit=100)
    )
    assert typed and all(p.price <= 50_000 and p.sub_category == "니트" for p in typed)
