-- Seed 003's multi-tenant users: a user belongs to its own tenant
-- (users.tenant_id) and to every tenant listed here for it; a super-admin
-- belongs to all of them without rows.
CREATE TABLE user_tenants (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX user_tenants_tenant ON user_tenants (tenant_id);

-- Seed 003's free-text label of a DID (`di_comment`) and a phone's name
-- (`ph_name`, required there).
ALTER TABLE did_numbers ADD COLUMN comment TEXT NOT NULL DEFAULT '';
ALTER TABLE phones ADD COLUMN name TEXT NOT NULL DEFAULT '';
