-- The catalog: companies, folders, users, assets and the version counter.
-- Portable SQL: the same statements run on SQLite and PostgreSQL, except the
-- integer primary keys (INTEGER PRIMARY KEY here, BIGINT GENERATED ALWAYS AS
-- IDENTITY there). Times are milliseconds since the Unix epoch.

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    root_path TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (company_id, path)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE user_companies (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, company_id)
);

-- Asset names are unique within a company: they are the IS object ids of
-- /is/image/{company}/{name}.
CREATE TABLE assets (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    folder_id BIGINT NOT NULL REFERENCES folders (id),
    name TEXT NOT NULL,
    asset_type TEXT NOT NULL,
    owner_id BIGINT REFERENCES assets (id) ON DELETE CASCADE,
    url_modifier TEXT NOT NULL DEFAULT '',
    url_post_modifier TEXT NOT NULL DEFAULT '',
    width BIGINT NOT NULL DEFAULT 0,
    height BIGINT NOT NULL DEFAULT 0,
    blob TEXT,
    file_name TEXT,
    file_size BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    modified_ms BIGINT NOT NULL,
    modified_by TEXT NOT NULL DEFAULT '',
    UNIQUE (company_id, name)
);

CREATE INDEX assets_owner ON assets (owner_id);
CREATE INDEX assets_folder ON assets (folder_id);

-- One row: the catalog-wide version counter. Every change that affects
-- rendering takes the next value, so versions never repeat.
CREATE TABLE catalog_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);

INSERT INTO catalog_version (id, value) VALUES (1, 0);
