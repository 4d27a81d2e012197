"""The garments of a try-on, from product-service: which slot each goes in, and its picture."""

from dataclasses import dataclass

import grpc

from fitting_service.engines.base import Garment, Slot
from tftkit.safe_fetch import FetchError, SafeImageFetcher
from thefirsttake.product.v1 import product_pb2, product_pb2_grpc

# Catalog categories a slot takes (an outer layer is tried on as a top).
_SLOT_CATEGORIES: dict[Slot, frozenset[str]] = {
    "upper": frozenset({"TOP", "OUTER"}),
    "lower": frozenset({"BOTTOM"}),
}
_SLOT_WORDS: dict[Slot, str] = {"upper": "상의", "lower": "하의"}


class UnknownProduct(LookupError):
    """No such product in the catalog."""


class WrongSlot(ValueError):
    """The product does not go where it was asked to (a shoe as a top)."""


@dataclass(frozen=True)
class CatalogGarment:
    product_id: str
    slot: Slot
    name: str
    color_hex: str
    image_url: str


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
        )


class GarmentPictureMissing(RuntimeError):
    """The product's picture could not be loaded."""
