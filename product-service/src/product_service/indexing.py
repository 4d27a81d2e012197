"""The text a product is found by: its attributes and the words of its name and description.

Documents are tokenized by both the whitespace tokenizer and kiwi (when given), so a free
query word matches whichever tokenizer the serving process happens to be using.
"""

from collections.abc import Sequence

from product_service.product import Product
from product_service.query_understanding import Tokenizer, WhitespaceTokenizer


def search_text_for(product: Product, *, tokenizers: Sequence[Tokenizer] = ()) -> str:
    text = " ".join((product.product_name, product.brand_name, product.comprehensive_description))
    tokens: list[str] = [
        product.sub_category,
        product.color_name,
        product.pattern,
        product.material,
        product.fit,
        *product.seasons,
        *product.style_tags,
        *product.tpo_tags,
        *product.brand_name.lower().split(),
    ]
    for tokenizer in (WhitespaceTokenizer(), *tokenizers):
        tokens += tokenizer.tokens(text)
    return " ".join(dict.fromkeys(t for t in tokens if t))
