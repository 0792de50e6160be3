-- Per-user address books: a CDR's in_contact says whether the caller's
-- number is in the callee's contacts.
CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, number)
);
