"""Importing a real catalog from JSON Lines: validate every line, upsert, report.

One product per line with the fields of the Product message. A line that fails validation
is rejected with its line number, field and reason; the others are imported. Importing the
same file twice changes nothing the second time. Known Korean synonyms are folded into the
catalog's own values (남색 → 네이비, 청바지 stays 청바지, 데님 → 청바지) so search and filters treat
imported and demo products alike.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from product_service.cache import ProductCache
from product_service.catalog import upsert_products
from product_service.demo_catalog import image_key
from product_service.images import draw_product_images
from product_service.indexing import search_text_for
from product_service.lexicon import Lexicon, normalise
from product_service.product import Product
from product_service.query_understanding import Tokenizer
from product_service.vocabulary import COLOUR_BY_NAME, MAIN_CATEGORIES, SEASONS
from tftkit.object_store import ObjectStore

_BATCH = 1000
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$")

ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class ProductLine(BaseModel):
    """The schema of one line; field names are the Product message's."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    product_id: str
    product_name: ShortText
    brand_name: ShortText
    main_category: str
    sub_category: ShortText
    color_name: ShortText
    color_hex: str = ""
    pattern: str = "무지"
    material: str = ""
    fit: str = ""
    seasons: list[str] = Field(default_factory=list)
    gender: str
    style_tags: list[ShortText] = Field(default_factory=list)
    tpo_tags: list[ShortText] = Field(default_factory=list)
    original_price: int | None = Field(default=None, ge=0)
    price: int = Field(ge=0)
    comprehensive_description: Annotated[str, Field(max_length=5000)] = ""
    image_url: str = ""

    @field_validator("product_id")
    @classmethod
    def _numeric_id(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9]{1,20}", value):
            raise ValueError("must be a numeric string of at most 20 digits")
        return value

    @field_validator("main_category", "gender")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("main_category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in MAIN_CATEGORIES:
            raise ValueError(f"must be one of {', '.join(MAIN_CATEGORIES)}")
        return value

    @field_validator("gender")
    @classmethod
    def _known_gender(cls, value: str) -> str:
        if value not in ("MEN", "WOMEN", "UNISEX"):
            raise ValueError("must be MEN, WOMEN or UNISEX")
        return value

    @field_validator("color_hex")
    @classmethod
    def _hex(cls, value: str) -> str:
        if value and not _HEX.match(value):
            raise ValueError("must look like #1f2b4a")
        return value.lower()

    @field_validator("seasons")
    @classmethod
    def _seasons(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in SEASONS]
        if unknown:
            raise ValueError(f"unknown season(s) {unknown}; use {', '.join(SEASONS)}")
        return value

    @field_validator("image_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not _URL.match(value):
            raise ValueError("must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _prices(self) -> "ProductLine":
        if self.original_price is None:
            self.original_price = self.price
        if self.price > self.original_price:
            raise ValueError("price must not exceed original_price")
        return self


@dataclass
class LineError:
    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[LineError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.__dict__ for e in self.errors],
        }


def _canonical(lexicon: Lexicon, slot: str, value: str) -> str:
    """The catalog's own value for a known synonym (남색 → 네이비); unknown values unchanged."""
    for term in lexicon.exact(normalise(value).replace(" ", "")):
        if term.slot == slot:
            return term.value
    return value


def _canonical_tags(lexicon: Lexicon, slot: str, values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_canonical(lexicon, slot, v) for v in values))


def to_product(line: ProductLine, *, lexicon: Lexicon, store: ObjectStore) -> Product:
    colour = _canonical(lexicon, "colour", line.color_name)
    known_hex = COLOUR_BY_NAME[colour].hex if colour in COLOUR_BY_NAME else "#888888"
    return Product(
        product_id=line.product_id,
        product_name=line.product_name,
        brand_name=line.brand_name,
        main_category=line.main_category,
        sub_category=_canonical(lexicon, "sub", line.sub_category),
        color_name=colour,
        color_hex=line.color_hex or known_hex,
        pattern=_canonical(lexicon, "pattern", line.pattern) if line.pattern else "무지",
        material=_canonical(lexicon, "material", line.material) if line.material else "",
        fit=_canonical(lexicon, "fit", line.fit) if line.fit else "",
        seasons=tuple(s for s in SEASONS if s in line.seasons),
        gender=line.gender,
        style_tags=_canonical_tags(lexicon, "style", line.style_tags),
        tpo_tags=_canonical_tags(lexicon, "tpo", line.tpo_tags),
        original_price=line.original_price or line.price,
        price=line.price,
        comprehensive_description=line.comprehensive_description,
        # Without a picture of its own, the product gets one drawn like the demo catalog's.
        image_url=line.image_url or store.url_for(image_key(line.product_id)),
        image_source_url=line.image_url,
    )


def parse_lines(
    lines: Iterable[str], *, lexicon: Lexicon, store: ObjectStore
) -> tuple[list[Product], list[LineError]]:
    """Valid products (the first line wins for a repeated id) and the errors of the rest."""
    products: dict[str, Product] = {}
    first_line: dict[str, int] = {}
    errors: list[LineError] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            errors.append(LineError(number, "", f"invalid JSON: {error.msg}"))
            continue
        if not isinstance(data, dict):
            errors.append(LineError(number, "", "a line must be a JSON object"))
            continue
        try:
            line = ProductLine.model_validate(data)
        except ValidationError as error:
            errors.extend(_line_errors(number, error))
            continue
        if line.product_id in first_line:
            errors.append(
                LineError(
                    number,
                    "product_id",
                    f"duplicate of line {first_line[line.product_id]} ({line.product_id})",
                )
            )
            continue
        first_line[line.product_id] = number
        products[line.product_id] = to_product(line, lexicon=lexicon, store=store)
    return list(products.values()), errors


def _line_errors(number: int, error: ValidationError) -> list[LineError]:
    found = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        found.append(LineError(number, name, message))
    return found


async def import_catalog(
    *,
    pool: asyncpg.Pool,
    cache: ProductCache,
    store: ObjectStore,
    lines: Iterable[str],
    lexicon: Lexicon,
    tokenizers: tuple[Tokenizer, ...] = (),
    image_workers: int = 0,
) -> ImportReport:
    """Validates and upserts every line; changed products leave the cache."""
    products, errors = parse_lines(lines, lexicon=lexicon, store=store)
    report = ImportReport(rejected=len({e.line for e in errors}), errors=errors)
    changed: list[Product] = []
    for start in range(0, len(products), _BATCH):
        batch = products[start : start + _BATCH]
        texts = [search_text_for(p, tokenizers=tokenizers) for p in batch]
        result = await upsert_products(pool, products=batch, search_texts=texts)
        await cache.invalidate(result.added + result.updated)
        report.added += len(result.added)
        report.updated += len(result.updated)
        report.unchanged += len(result.unchanged)
        touched = set(result.added) | set(result.updated)
        changed += [p for p in batch if p.product_id in touched]
    if changed:
        await cache.catalog_changed()
    await draw_product_images(
        store=store,
        products=[p for p in changed if not p.image_source_url],
        key_for=image_key,
        workers=image_workers,
    )
    return report
