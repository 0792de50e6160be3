-- Seed 002's extension fields, direct extensions and soft delete.
--
-- `display_name` and `detail` are the seed's `name` and `detail`.
-- `direct_hash`, when set, makes the extension reachable at
-- sip:direct.<hash>@<its tenant's domain> from trunks and from any
-- extension. It is drawn at random (so it cannot be guessed) and is
-- unique across tenants, because the dialled user part alone finds it.
-- `deleted_at`: a soft-deleted extension keeps its row (seed 002's face
-- shows it with `tm_delete`) but no longer registers, is called or is
-- listed. The row is purged when its username is taken again, so the
-- (tenant_id, sip_username) uniqueness of 0001 still holds.
ALTER TABLE extensions ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN direct_hash TEXT;
ALTER TABLE extensions ADD COLUMN deleted_at TEXT;
CREATE UNIQUE INDEX extensions_direct_hash ON extensions (direct_hash);
-- Seed 002's list: a tenant's extensions newest first, a page at a time.
CREATE INDEX extensions_tenant_created ON extensions (tenant_id, created_at);
