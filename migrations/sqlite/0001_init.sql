-- Voxide schema, SQLite flavour. Timestamps are RFC 3339 UTC text with
-- microseconds, so text order is time order; expiries are Unix seconds.
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    is_superadmin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    is_superadmin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE extensions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    sip_username TEXT NOT NULL,
    sip_password_enc TEXT NOT NULL,
    cellphone TEXT NOT NULL DEFAULT '',
    transcription INTEGER NOT NULL DEFAULT 0,
    recording INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, sip_username)
);

CREATE TABLE providers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE did_numbers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    provider_id INTEGER NOT NULL REFERENCES providers(id),
    phonenumber TEXT NOT NULL UNIQUE,
    extension_id INTEGER REFERENCES extensions(id),
    recording INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE cdrs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    call_uuid TEXT NOT NULL UNIQUE,
    call_direction TEXT NOT NULL,
    did_number_id INTEGER,
    call_from TEXT NOT NULL,
    call_to TEXT NOT NULL,
    extension_id INTEGER,
    is_verified INTEGER NOT NULL DEFAULT 0,
    in_contact INTEGER NOT NULL DEFAULT 0,
    bill_duration INTEGER NOT NULL DEFAULT 0,
    recording TEXT,
    transcription_text TEXT,
    hangup_cause TEXT,
    started_at TEXT NOT NULL,
    answered_at TEXT,
    ended_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX cdrs_tenant_created ON cdrs (tenant_id, created_at);

CREATE TABLE recordings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    call_uuid TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    extension_id INTEGER NOT NULL REFERENCES extensions(id),
    aor TEXT NOT NULL,
    contact TEXT NOT NULL,
    q REAL NOT NULL DEFAULT 1.0,
    call_id TEXT NOT NULL,
    cseq INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    transport TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    UNIQUE (aor, contact)
);
CREATE INDEX registrations_expiry ON registrations (expires_at);
