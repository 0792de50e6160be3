-- Console sign-in. `users` (0001) already holds username, tenant_id,
-- is_superadmin and a nullable password_hash (a PHC string; NULL: the user
-- cannot sign in with a password). A signed-in browser holds a random
-- session id in a cookie; only its SHA-256 is stored here, with the
-- session's CSRF token and what it may see. `tenant_id` is the tenant
-- being looked at: a super-admin may switch it, nobody else can.
CREATE TABLE console_sessions (
    id BIGSERIAL PRIMARY KEY,
    session_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The API token signed in with, when it was one.
    token_id BIGINT REFERENCES api_tokens(id) ON DELETE CASCADE,
    home_tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    is_superadmin BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    -- Unix seconds.
    expires_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
