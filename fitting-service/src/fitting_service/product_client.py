"""The garments of a try-on, from product-service: which slot each goes in, and its picture."""

from dataclasses import dataclass

import grpc

from fitting_service.engines.base import DRESS_WITH_LOWER, Garment, Slot
from tftkit.safe_fetch import FetchError, SafeImageFetcher
from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

# Catalog categories a slot takes (an outer layer is tried on as a top; a dress goes on from
# the shoulders, so it takes the upper slot and covers the lower one as well).
_SLOT_CATEGORIES: dict[Slot, frozenset[str]] = {
    "upper": frozenset({"TOP", "OUTER", "DRESS"}),
    "lower": frozenset({"BOTTOM"}),
}
_FULL_BODY = "DRESS"
_SLOT_WORDS: dict[Slot, str] = {"upper": "상의", "lower": "하의"}


class UnknownProduct(LookupError):
    """No such product in the catalog."""


class WrongSlot(ValueError):
    """The product does not go where it was asked to (a shoe as a top)."""


class DressWithLower(WrongSlot):
    """A dress was asked for together with a lower garment (it is tried on alone)."""


@dataclass(frozen=True)
class CatalogGarment:
    product_id: str
    slot: Slot
    name: str
    color_hex: str
    image_url: str
    full_body: bool = False


def check_outfit(garments: list[CatalogGarment]) -> None:
    """Raises DressWithLower when a dress comes with a lower garment."""
    slots = {g.slot for g in garments}
    if "lower" in slots and any(g.full_body for g in garments):
        raise DressWithLower(DRESS_WITH_LOWER)


class ProductClient:
    def __init__(
        self,
        *,
        stub: product_pb2_grpc.ProductServiceStub,
        fetcher: SafeImageFetcher,
        timeout_seconds: float,
    ) -> None:
        self._stub = stub
        self._fetcher = fetcher
        self._timeout = timeout_seconds

    async def garment(self, *, product_id: str, slot: Slot) -> CatalogGarment:
        """The catalog product for `slot`; raises UnknownProduct or WrongSlot."""
        try:
            product = await self._stub.GetProduct(
                product_pb2.GetProductRequest(product_id=product_id), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise UnknownProduct(f"상품 {product_id}을(를) 찾을 수 없어요.") from None
            raise
        if product.main_category == _FULL_BODY and slot == "lower":
            raise WrongSlot(
                f"상품 {product_id}({product.product_name})은(는) 원피스라 상의 자리에서 "
                "하의 없이 입어볼 수 있어요."
            )
        if product.main_category not in _SLOT_CATEGORIES[slot]:
            raise WrongSlot(
                f"상품 {product_id}({product.product_name})은(는) {_SLOT_WORDS[slot]}가 아니에요."
            )
        return CatalogGarment(
            product_id=product.product_id,
            slot=slot,
            name=product.product_name,
            color_hex=product.color_hex,
            image_url=product.image_url,
            full_body=product.main_category == _FULL_BODY,
        )

    async def picture(self, garment: CatalogGarment) -> Garment:
        """The garment with its picture (from the object store, or an allow-listed host)."""
        try:
            fetched = await self._fetcher.fetch(garment.image_url)
        except FetchError as error:
            raise GarmentPictureMissing(garment.product_id) from error
        return Garment(
            product_id=garment.product_id,
            slot=garment.slot,
            image=fetched.content,
            name=garment.name,
            color_hex=garment.color_hex,
            full_body=garment.full_body,
        )


class GarmentPictureMissing(RuntimeError):
    """The product's picture could not be loaded."""
