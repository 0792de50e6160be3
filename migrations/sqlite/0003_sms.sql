-- Text messages. `direction` says how a message entered the switch: 'out'
-- when the API sent it, 'in' when it arrived (a phone's SIP MESSAGE, the
-- provider's inbound webhook). `status` follows its delivery to `sms_to`:
-- queued → sent (a carrier accepted it) → delivered, or failed with `error`.
-- `provider_id` is the carrier's message id, which its delivery receipts
-- and webhook retries name.
CREATE TABLE sms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    sms_from TEXT NOT NULL,
    sms_to TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
    callback_url TEXT,
    provider_id TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX sms_tenant_created ON sms (tenant_id, created_at);
CREATE INDEX sms_provider_id ON sms (provider_id);
CREATE INDEX sms_status ON sms (status);
