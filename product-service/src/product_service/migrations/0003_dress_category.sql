-- Dresses (원피스) are their own main category: one garment from the shoulders to the hem,
-- worn without a separate top or bottom.
ALTER TABLE products DROP CONSTRAINT products_main_category_check;
ALTER TABLE products ADD CONSTRAINT products_main_category_check
    CHECK (main_category IN ('TOP', 'BOTTOM', 'OUTER', 'DRESS', 'SHOES', 'ACCESSORY'));
