"""The product record as the domain sees it (the proto message is only its wire form)."""

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Product:
    product_id: str
    product_name: str
    brand_name: str
    main_category: str
    sub_category: str
    color_name: str
    color_hex: str
    pattern: str
    material: str
    fit: str
    seasons: tuple[str, ...]
    gender: str
    style_tags: tuple[str, ...]
    tpo_tags: tuple[str, ...]
    original_price: int
    price: int
    comprehensive_description: str
    image_url: str = ""
    # Where an imported product's picture came from; empty for drawn demo images.
    image_source_url: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        # A plain read of the flat fields, not `asdict`'s recursive deep copy: this runs for
        # every product a search answers, caches or sends.
        data = {name: getattr(self, name) for name in FIELD_NAMES}
        for key in _LIST_FIELDS:
            data[key] = list(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Product":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        for key in ("seasons", "style_tags", "tpo_tags"):
            known[key] = tuple(known.get(key) or ())
        known["image_source_url"] = known.get("image_source_url") or ""
        return cls(**known)


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Product))
_LIST_FIELDS = ("seasons", "style_tags", "tpo_tags")
