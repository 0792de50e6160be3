-- Hosted IVR menus, and the crawls that map other businesses' IVRs.
--
-- An IVR plays its greeting (TTS text or a WAV of the prompts directory),
-- waits `timeout_ms` for a digit and acts on it; it is played `repeat`
-- times before giving up. A DID routes to an extension or to an IVR.
CREATE TABLE ivrs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    greeting_text TEXT,
    greeting_file TEXT,
    timeout_ms INTEGER NOT NULL DEFAULT 5000,
    repeat INTEGER NOT NULL DEFAULT 3,
    invalid_text TEXT,
    timeout_text TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

-- `target` is the extension or number dialled, the IVR id jumped to, or
-- the text or WAV played; empty for `hangup`.
CREATE TABLE ivr_options (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ivr_id INTEGER NOT NULL REFERENCES ivrs(id) ON DELETE CASCADE,
    digit TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('extension', 'ivr', 'number', 'hangup', 'playback')),
    target TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    UNIQUE (ivr_id, digit)
);

ALTER TABLE did_numbers ADD COLUMN ivr_id INTEGER REFERENCES ivrs(id);

-- One crawl per scanned number and tenant: the tree `/api/callmenu/` shows.
-- A crawl that failed is retried at `next_retry_at` when `retry_enabled`.
CREATE TABLE crawls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    number TEXT NOT NULL,
    business_name TEXT,
    retry_enabled INTEGER NOT NULL DEFAULT 1,
    attempt INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('Calling', 'Processed', 'Failed')),
    reason TEXT,
    next_retry_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX crawls_tenant_number ON crawls (tenant_id, number);
CREATE INDEX crawls_status ON crawls (status);

-- One row per attempt (the rows of `/api/scan/`); `call_uuids` lists the
-- calls of the attempt, comma-separated.
CREATE TABLE crawl_scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id) ON DELETE CASCADE,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    number TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('Calling', 'Processed', 'Failed')),
    attempt INTEGER NOT NULL,
    call_uuids TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX crawl_scans_tenant_number ON crawl_scans (tenant_id, number);

-- The menu tree: a node per prompt reached, `keys_to_reach` being the
-- digits dialled from the root ("", "1", "1,3"). `explored` once its
-- prompt was heard and its options listed.
CREATE TABLE crawl_nodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES crawl_nodes(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    keys_to_reach TEXT NOT NULL,
    parent_text TEXT NOT NULL DEFAULT '',
    audio_text TEXT NOT NULL DEFAULT '',
    audio_text_debug TEXT,
    prompt_audio TEXT,
    explored INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (crawl_id, keys_to_reach)
);
