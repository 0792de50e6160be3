-- PBX features (seed 003's objects): per-extension call handling,
-- follow-me, hunt groups, voicemail, time and caller-id conditions,
-- custom (outside-number) destinations, chained destinations, DID caller-id
-- prefixes and provisioned desk phones.
--
-- A destination is text: `extension:<id>`, `hunt:<id>`, `voicemail:<extension
-- id>`, `ivr:<id>`, `condition:<id>`, `custom:<id>`, `number:<digits>`,
-- `hangup`, or '' for none (voxide_store::DestinationRef parses them).
-- Booleans are 0/1 integers, as in the earlier migrations.

ALTER TABLE extensions ADD COLUMN cid_number TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN cid_name TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN call_waiting BIGINT NOT NULL DEFAULT 1;
ALTER TABLE extensions ADD COLUMN dnd BIGINT NOT NULL DEFAULT 0;
ALTER TABLE extensions ADD COLUMN forward_always TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN forward_busy TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN forward_no_answer TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN forward_unregistered TEXT NOT NULL DEFAULT '';
-- How long the extension rings before no-answer handling.
ALTER TABLE extensions ADD COLUMN ring_secs BIGINT NOT NULL DEFAULT 20;
ALTER TABLE extensions ADD COLUMN followme_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE extensions ADD COLUMN followme_cid_number TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN followme_cid_name TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN voicemail_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE extensions ADD COLUMN voicemail_pin TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN voicemail_email TEXT NOT NULL DEFAULT '';
-- A file under the recordings directory's voicemail/greetings/; '' = the
-- default greeting.
ALTER TABLE extensions ADD COLUMN voicemail_greeting TEXT NOT NULL DEFAULT '';

-- The numbers follow-me rings in turn (`ord` ascending): an outside number
-- or an extension of the tenant.
CREATE TABLE followme_steps (
    id BIGSERIAL PRIMARY KEY,
    extension_id BIGINT NOT NULL REFERENCES extensions(id) ON DELETE CASCADE,
    ord BIGINT NOT NULL,
    number TEXT NOT NULL,
    ring_secs BIGINT NOT NULL DEFAULT 20
);
CREATE INDEX followme_steps_extension ON followme_steps (extension_id, ord);

-- A number the tenant's phones dial like an extension, ringing its members
-- by `strategy`: `ring_all` (all at once for `ring_secs`), `sequential`,
-- `round_robin` (from the member after `last_member_id`) or `longest_idle`
-- (the member whose last call ended longest ago first), `ring_secs` each.
-- `skip_busy` skips members on a call; `overflow` is where an unanswered
-- call goes ('' = hang up).
CREATE TABLE hunt_groups (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    number TEXT NOT NULL,
    strategy TEXT NOT NULL CHECK (strategy IN ('ring_all', 'sequential', 'round_robin', 'longest_idle')),
    ring_secs BIGINT NOT NULL DEFAULT 20,
    skip_busy BIGINT NOT NULL DEFAULT 0,
    overflow TEXT NOT NULL DEFAULT '',
    last_member_id BIGINT REFERENCES extensions(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, number)
);

CREATE TABLE hunt_group_members (
    hunt_group_id BIGINT NOT NULL REFERENCES hunt_groups(id) ON DELETE CASCADE,
    extension_id BIGINT NOT NULL REFERENCES extensions(id) ON DELETE CASCADE,
    ord BIGINT NOT NULL,
    PRIMARY KEY (hunt_group_id, extension_id)
);
CREATE INDEX hunt_group_members_extension ON hunt_group_members (extension_id);

-- Messages left for an extension; `path` is relative to the recordings
-- directory.
CREATE TABLE voicemail_messages (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    extension_id BIGINT NOT NULL REFERENCES extensions(id) ON DELETE CASCADE,
    caller TEXT NOT NULL DEFAULT '',
    call_uuid TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    heard BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX voicemail_messages_extension ON voicemail_messages (extension_id, created_at);
CREATE INDEX voicemail_messages_tenant ON voicemail_messages (tenant_id, created_at);

-- `time`: matches on `weekdays` ('' = every day; `mon,tue,…`) between
-- `start_time` and `end_time` (HH:MM, wrapping past midnight when the end
-- is earlier) in the IANA `time_zone`. `callerid`: matches callers whose
-- number equals `callerid_pattern`, or starts with it when it ends in `*`.
CREATE TABLE conditions (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('time', 'callerid')),
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    weekdays TEXT NOT NULL DEFAULT '',
    start_time TEXT NOT NULL DEFAULT '',
    end_time TEXT NOT NULL DEFAULT '',
    callerid_pattern TEXT NOT NULL DEFAULT '',
    match_destination TEXT NOT NULL DEFAULT '',
    nomatch_destination TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conditions_tenant ON conditions (tenant_id);

-- An outside number dialled through the tenant's trunk routing (seed 003's
-- FORWARD custom destination).
CREATE TABLE custom_destinations (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    number TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX custom_destinations_tenant ON custom_destinations (tenant_id);

-- Seed 003's chained destinations: after `src_type` `src_id` comes
-- `dst_type` `dst_id`, in `ord` order. `dst_id` is NULL for `hangup`.
CREATE TABLE destinations (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    src_type TEXT NOT NULL,
    src_id BIGINT NOT NULL,
    dst_type TEXT NOT NULL,
    dst_id BIGINT,
    ord BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX destinations_tenant ON destinations (tenant_id, ord);

-- Caller-id rewriting for calls in on a DID, and where they go.
ALTER TABLE did_numbers ADD COLUMN cid_name_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE did_numbers ADD COLUMN number_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE did_numbers ADD COLUMN destination TEXT NOT NULL DEFAULT '';

-- Desk phones fetch their configuration from /provision/<mac>.cfg with
-- HTTP Basic credentials; the password is sealed like SIP passwords.
CREATE TABLE phones (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    mac TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    extension_id BIGINT REFERENCES extensions(id) ON DELETE SET NULL,
    http_username TEXT NOT NULL,
    http_password_enc TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX phones_tenant ON phones (tenant_id);
