-- Third-party apps of the open API (seed 001): each has a public app_id
-- and a secret shown once. Requests carry sha256(app_id + … + secret), so
-- the secret must stay retrievable: it is sealed like SIP passwords.
CREATE TABLE apps (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    app_id TEXT NOT NULL UNIQUE,
    app_secret_enc TEXT NOT NULL,
    created_at TEXT NOT NULL
);
