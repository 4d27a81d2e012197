-- Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d).
-- Each service owns its database; product search uses trigram and accent-folding indexes.
CREATE DATABASE auth;
CREATE DATABASE chat;
CREATE DATABASE product;
\connect product
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
