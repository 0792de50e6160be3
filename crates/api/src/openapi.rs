//! The route table and the OpenAPI document built from it. A test asks the
//! running router for every documented route and for every route it serves,
//! so the document cannot drift from the code.

use serde_json::{Map, Value, json};

/// One documented operation.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// Whether it needs credentials: `Authorization: Token …`, or for
    /// `scheme` `app`, seed 001's `x-auth-app-id` and `x-auth-app-hash`,
    /// or for `webhook`, the carrier webhook's shared secret.
    pub auth: bool,
    /// The security scheme (`token`, `token_query`, `app`, `app_query`,
    /// `signed_link` or `webhook`) when `auth`.
    pub scheme: &'static str,
}

const fn r(method: &'static str, path: &'static str, summary: &'static str, auth: bool) -> RouteDoc {
    RouteDoc { method, path, summary, auth, scheme: "token" }
}

/// A route a carrier calls, holding the shared webhook secret.
const fn webhook(method: &'static str, path: &'static str, summary: &'static str) -> RouteDoc {
    RouteDoc { method, path, summary, auth: true, scheme: "webhook" }
}

/// A route for third-party apps that sign their query: `appId` and
/// `hash = sha256(appId + the listed values + appSecret)`.
const fn app_query(method: &'static str, path: &'static str, summary: &'static str) -> RouteDoc {
    RouteDoc { method, path, summary, auth: true, scheme: "app_query" }
}

/// Seed 002's face: an API token as `?token=` (the header works too).
const fn token_query(method: &'static str, path: &'static str, summary: &'static str) -> RouteDoc {
    RouteDoc { method, path, summary, auth: true, scheme: "token_query" }
}

/// Seed 003's face: a user's username and password as HTTP Basic.
const fn user_basic(method: &'static str, path: &'static str, summary: &'static str) -> RouteDoc {
    RouteDoc { method, path, summary, auth: true, scheme: "user_basic" }
}

/// A route for third-party apps, signed with their app id and secret.
const fn app(method: &'static str, path: &'static str, summary: &'static str) -> RouteDoc {
    RouteDoc { method, path, summary, auth: true, scheme: "app" }
}

pub const ROUTES: &[RouteDoc] = &[
    r("get", "/api/extensions/", "List extensions", true),
    r("post", "/api/extensions/", "Create an extension", true),
    r("get", "/api/extensions/{id}/", "Get an extension", true),
    r("put", "/api/extensions/{id}/", "Replace an extension", true),
    r("patch", "/api/extensions/{id}/", "Change some fields of an extension", true),
    r("delete", "/api/extensions/{id}/", "Delete an extension and its registrations", true),
    token_query(
        "get",
        "/v1.0/extensions",
        "Seed 002: live extensions newest first (domain_id, page_size 1-100 default 10, page_token = the last \
         tm_create): {result, next_page_token}",
    ),
    token_query(
        "post",
        "/v1.0/extensions",
        "Seed 002: create an extension (extension, password; name, detail, domain_id = the tenant's id)",
    ),
    token_query("get", "/v1.0/extensions/{id}", "Seed 002: get an extension (a deleted one shows tm_delete)"),
    token_query(
        "put",
        "/v1.0/extensions/{id}",
        "Seed 002: change name, detail, password; direct: true|false and direct_regenerate: true manage its \
         direct address sip:direct.<direct_hash>@<domain_name>",
    ),
    token_query(
        "delete",
        "/v1.0/extensions/{id}",
        "Seed 002: soft-delete an extension (it stops registering and being called; GET shows tm_delete)",
    ),
    r("get", "/api/did_numbers/", "List DID numbers", true),
    r("post", "/api/did_numbers/", "Buy a number from the provider and assign it", true),
    r("get", "/api/did_numbers/search/", "Search the provider's available numbers (npa, limit)", true),
    r("get", "/api/did_numbers/{id}/", "Get a DID number", true),
    r("patch", "/api/did_numbers/{id}/", "Reassign a DID number", true),
    r("put", "/api/did_numbers/{id}/", "Reassign a DID number (same as PATCH)", true),
    r("delete", "/api/did_numbers/{id}/", "Release a DID number to the provider", true),
    r("get", "/api/ivrs/", "List the tenant's hosted IVR menus", true),
    r("post", "/api/ivrs/", "Create an IVR menu (name, greeting_text or greeting_file, options)", true),
    r("get", "/api/ivrs/{id}/", "Get an IVR menu", true),
    r("put", "/api/ivrs/{id}/", "Replace an IVR menu and all its options", true),
    r("patch", "/api/ivrs/{id}/", "Change some fields of an IVR menu", true),
    r("delete", "/api/ivrs/{id}/", "Delete an IVR menu; 409 while a DID or another menu leads to it", true),
    r(
        "get",
        "/api/extensions/{id}/features/",
        "An extension's call handling: caller id, forwards, follow-me, voicemail",
        true,
    ),
    r(
        "patch",
        "/api/extensions/{id}/features/",
        "Change an extension's call handling (cid_*, call_waiting, dnd, forward_* destinations, ring_secs, \
         followme_*, followme steps, voicemail_*)",
        true,
    ),
    r("get", "/api/hunt_groups/", "List the tenant's hunt groups", true),
    r(
        "post",
        "/api/hunt_groups/",
        "Create a hunt group (name, number, strategy ring_all|sequential|round_robin|longest_idle, ring_secs, \
         skip_busy, overflow, members)",
        true,
    ),
    r("get", "/api/hunt_groups/{id}/", "Get a hunt group", true),
    r("put", "/api/hunt_groups/{id}/", "Replace a hunt group and its members", true),
    r("patch", "/api/hunt_groups/{id}/", "Change some fields of a hunt group", true),
    r("delete", "/api/hunt_groups/{id}/", "Delete a hunt group; 409 while something leads to it", true),
    r("get", "/api/voicemail/", "List voicemail messages, newest first (extension)", true),
    r("get", "/api/voicemail/{id}/", "Get a voicemail message", true),
    r("patch", "/api/voicemail/{id}/", "Mark a voicemail message heard or new (heard)", true),
    r("delete", "/api/voicemail/{id}/", "Delete a voicemail message and its audio", true),
    r("get", "/api/voicemail/{id}/audio", "A voicemail message's audio (audio/wav, range requests supported)", true),
    r("get", "/api/conditions/", "List the tenant's time and caller-id conditions", true),
    r(
        "post",
        "/api/conditions/",
        "Create a condition (name, kind time|callerid, time_zone, weekdays, start_time, end_time, \
         callerid_pattern, match_destination, nomatch_destination)",
        true,
    ),
    r("get", "/api/conditions/{id}/", "Get a condition", true),
    r("put", "/api/conditions/{id}/", "Replace a condition", true),
    r("patch", "/api/conditions/{id}/", "Change some fields of a condition", true),
    r("delete", "/api/conditions/{id}/", "Delete a condition; 409 while something leads to it", true),
    r("get", "/api/custom_destinations/", "List the tenant's custom destinations (named outside numbers)", true),
    r("post", "/api/custom_destinations/", "Create a custom destination (name, number)", true),
    r("get", "/api/custom_destinations/{id}/", "Get a custom destination", true),
    r("put", "/api/custom_destinations/{id}/", "Replace a custom destination", true),
    r("patch", "/api/custom_destinations/{id}/", "Change a custom destination", true),
    r("delete", "/api/custom_destinations/{id}/", "Delete a custom destination; 409 while something leads to it", true),
    r("get", "/api/destinations/", "List the tenant's chained destinations by ord", true),
    r("post", "/api/destinations/", "Chain a destination (src_type, src_id, dst_type, dst_id, ord)", true),
    r("get", "/api/destinations/{id}/", "Get a chained destination", true),
    r("put", "/api/destinations/{id}/", "Replace a chained destination", true),
    r("patch", "/api/destinations/{id}/", "Change a chained destination", true),
    r("delete", "/api/destinations/{id}/", "Delete a chained destination", true),
    r("get", "/api/phones/", "List the tenant's provisioned phones", true),
    r(
        "post",
        "/api/phones/",
        "Add a phone (mac, model generic|yealink|polycom, extension, http_username, http_password)",
        true,
    ),
    r("get", "/api/phones/{id}/", "Get a phone", true),
    r("put", "/api/phones/{id}/", "Replace a phone", true),
    r("patch", "/api/phones/{id}/", "Change some fields of a phone", true),
    r("delete", "/api/phones/{id}/", "Delete a phone", true),
    RouteDoc {
        method: "get",
        path: "/provision/{file}",
        summary: "A phone's configuration file, {mac}.cfg (generic, yealink) or {mac}.xml (polycom), for the \
                  phone's own HTTP Basic credentials; 401 with WWW-Authenticate otherwise",
        auth: true,
        scheme: "phone_basic",
    },
    user_basic("get", "/user/login", "Seed 003: the signed-in user's id: {status, data: {user_id}}"),
    user_basic("get", "/user/get", "Seed 003: the users of the signed-in user's tenants (us_id, us_username)"),
    user_basic(
        "post",
        "/user/tenants",
        "Seed 003: the tenants a user belongs to (user; itself, or anyone for a super-admin)",
    ),
    user_basic(
        "post",
        "/user/updatebyid",
        "Seed 003: set a user's password (user_id, password; its own, or anyone's for a super-admin)",
    ),
    user_basic("post", "/destination/all", "Seed 003: a tenant's chained destinations (tenant_id)"),
    user_basic(
        "post",
        "/extension/bytenant",
        "Seed 003: a tenant's extensions with caller id and call waiting (tenant_id)",
    ),
    user_basic("post", "/extension/byid", "Seed 003: one extension (extension_id)"),
    user_basic(
        "post",
        "/extension/user",
        "Seed 003: an extension's SIP account: name, host, secret (tenant_id, extension_id)",
    ),
    user_basic("post", "/extension/usersecret", "Seed 003: an extension's SIP password (tenant_id, extension_id)"),
    user_basic("post", "/extension/getCidNumber", "Seed 003: an extension's caller-id number (extension_id)"),
    user_basic(
        "post",
        "/extension/getCidNumberList",
        "Seed 003: the caller-id numbers of a tenant's extensions (tenant_id)",
    ),
    user_basic("post", "/extension/GetFMFCallerId", "Seed 003: an extension's follow-me caller id (extension_id)"),
    user_basic(
        "post",
        "/extension/GetFMFCallerIdList",
        "Seed 003: the follow-me caller ids of a tenant's extensions (tenant_id)",
    ),
    user_basic(
        "post",
        "/extension/updatebyid",
        "Seed 003: change an extension (extension_id, extension: JSON of ex_name, ex_number, ex_cidnum, \
         ex_cidname, ex_callwaiting)",
    ),
    user_basic("post", "/did/bytenant", "Seed 003: a tenant's DID numbers (tenant_id)"),
    user_basic("post", "/did/byid", "Seed 003: one DID number with its prefixes (did_id)"),
    user_basic(
        "post",
        "/did/updatebyid",
        "Seed 003: change a DID's prefixes and label (did_id, did: JSON of di_didprefix, \
         di_didnameprefix, di_comment)",
    ),
    user_basic("post", "/hunt/bytenant", "Seed 003: a tenant's hunt groups (tenant_id)"),
    user_basic("post", "/hunt/byid", "Seed 003: one hunt group (hunt_id)"),
    user_basic("post", "/hunt/deletebyid", "Seed 003: delete a hunt group (hunt_id); 409 while something leads to it"),
    user_basic(
        "post",
        "/hunt/updatebyid",
        "Seed 003: change a hunt group (hunt_id, hunt: JSON of hu_number, hu_name, hu_type, \
         hu_ringtime, hu_checkinuse)",
    ),
    user_basic("post", "/phone/bytenant", "Seed 003: a tenant's provisioned phones (tenant_id)"),
    user_basic("post", "/phone/deletebyid", "Seed 003: delete a phone (phone_id)"),
    user_basic(
        "post",
        "/phone/AddNewPhone",
        "Seed 003: add a phone (phone: JSON of ph_name, ph_te_id, ph_pm_id 1-3, ph_mac; ph_http_user, \
         ph_http_password)",
    ),
    user_basic("post", "/voicemail/bytenant", "Seed 003: a tenant's voicemail boxes (tenant_id)"),
    user_basic("post", "/condition/bytenant", "Seed 003: a tenant's time and caller-id conditions (tenant_id)"),
    user_basic("post", "/ivr/bytenant", "Seed 003: a tenant's hosted IVR menus (tenant_id)"),
    user_basic("post", "/custom/bytenant", "Seed 003: a tenant's custom destinations (tenant_id)"),
    user_basic(
        "post",
        "/cdr/getCallHistory",
        "Seed 003: a tenant's calls between two days (start_date_ymd, end_date_ymd, tenant_code; \
         firstdst, disposition)",
    ),
    r("get", "/api/scan/", "Seed 004: IVR crawl attempts, newest first (number, limit, offset)", true),
    r("get", "/api/callmenu/", "Seed 004: the IVR menu tree found for ?number=", true),
    r(
        "get",
        "/api/cdrs/",
        "List call detail records (did_number, extension_number, search, ordering, limit, offset)",
        true,
    ),
    r("get", "/api/cdrs/{id}/", "Get a call detail record by id or call_uuid", true),
    r("get", "/api/registrations/", "List current SIP registrations", true),
    r("get", "/api/contacts/", "List the caller's contacts", true),
    r("post", "/api/contacts/", "Add a contact (name, number)", true),
    r("get", "/api/contacts/{id}/", "Get a contact", true),
    r("delete", "/api/contacts/{id}/", "Delete a contact", true),
    r("get", "/api/calls/", "List calls in progress", true),
    r(
        "post",
        "/api/calls/",
        "Click-to-call: ring extension `from`'s device, then dial `to` and bridge (from, to, caller_id)",
        true,
    ),
    r("get", "/api/makecall/", "Seed 004 click-to-call: ring your first extension, then dial ?number=", true),
    r("get", "/api/apps/", "List third-party apps (no secrets)", true),
    r("post", "/api/apps/", "Create a third-party app (name); its app_secret is shown only here", true),
    r("delete", "/api/apps/{id}/", "Delete a third-party app", true),
    app(
        "post",
        "/oapi/v1/call/click-to-call/{number}",
        "Seed 001 click-to-call: ring sipUser's device (or the app owner's), then dial number; 400 if offline",
    ),
    app(
        "post",
        "/oapi/v1/voice/auth_token",
        "Seed 001: a token for the app's tenant's live events (/api/events?token=), valid an hour: {value, expire}",
    ),
    app_query(
        "get",
        "/oapi/v1/call/histories",
        "Seed 001 call history: the tenant's calls started in created_from..created_to (at most 31 days), newest \
         first; limit (1-100, default 20), page (default 1); hash = sha256(appId + created_from + created_to + limit \
         + page + appSecret), absent limit/page counting as 20/1: {data, page, limit, total}",
    ),
    app_query(
        "get",
        "/oapi/v1/call/play_recording",
        "Seed 001: a link to one of the tenant's recordings (media, as the history names it) valid 10 minutes; \
         hash = sha256(appId + media + appSecret): {media}",
    ),
    RouteDoc {
        method: "get",
        path: "/oapi/v1/call/recording/{file}",
        summary: "Download a recording through a link from play_recording (tenant, expires, signature); 403 when \
                  expired or altered",
        auth: true,
        scheme: "signed_link",
    },
    r("get", "/api/calls/{uuid}/", "Get a call in progress by call_uuid", true),
    r("delete", "/api/calls/{uuid}/", "Hang up a call (MANAGER_REQUEST)", true),
    r("post", "/api/calls/{uuid}/dtmf/", "Send RFC 4733 digits to one side (digits, side, duration_ms)", true),
    r(
        "post",
        "/api/calls/{uuid}/play/",
        "Play a WAV prompt from the prompts directory to one side (prompt, side)",
        true,
    ),
    r("post", "/api/calls/{uuid}/record/", "Start recording a call in progress", true),
    r("delete", "/api/calls/{uuid}/record/", "Stop recording a call; the file stays with its CDR", true),
    r(
        "post",
        "/api/calls/{uuid}/transfer/",
        "Blind transfer: connect the caller to {\"to\": N} and hang up the callee",
        true,
    ),
    r("post", "/api/sendsms/", "Send a text to an extension or a phone number (sms_to, sms_body, callback_url)", true),
    r("get", "/api/sms/", "List text messages, newest first (limit, offset)", true),
    r("get", "/api/sms/{id}/", "Get a text message and its delivery status", true),
    webhook("post", "/api/sms/inbound/", "Carrier webhook: inbound texts and delivery receipts (Flowroute v2.1)"),
    r("get", "/api/media/{path}", "Download a recording (range requests supported)", true),
    r(
        "get",
        "/api/events/",
        "Live events over a websocket, one JSON object per frame (since, tenant_id; token also as ?token=)",
        true,
    ),
    r("get", "/api/openapi.json", "This document", false),
    r("get", "/healthz", "Liveness", false),
    r("get", "/metrics", "Prometheus metrics", false),
];

/// The OpenAPI 3.1 document for `ROUTES`.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths.entry(route.path.to_string()).or_insert_with(|| json!({}));
        let mut op = json!({
            "summary": route.summary,
            "responses": {
                "200": { "description": "Success" },
                "400": { "description": "Invalid input; the body names each bad field" },
                "404": { "description": "Not found (also for another tenant's objects)" }
            }
        });
        if route.auth {
            op["security"] = json!([{ route.scheme: [] }]);
            let why = match route.scheme {
                "app" | "app_query" => "Missing app id or wrong app hash",
                "signed_link" => "Not a signed link (403 when it is altered or expired)",
                "webhook" => "Missing or wrong webhook secret",
                "phone_basic" => "Missing or wrong phone credentials",
                "user_basic" => {
                    "Missing or wrong user credentials: {\"status\": \"failed\", \"message\": \"Unauthorized Access\"}"
                }
                _ => "Missing or invalid token",
            };
            op["responses"]["401"] = json!({ "description": why });
        }
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        entry[route.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Voxide admin API", "version": env!("CARGO_PKG_VERSION") },
        "components": { "securitySchemes": {
            "token": {
                "type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <token>` or `Bearer <token>`"
            },
            "token_query": {
                "type": "apiKey", "in": "query", "name": "token",
                "description": "An API token, as `Authorization: Token` takes"
            },
            "app": {
                "type": "apiKey", "in": "header", "name": "x-auth-app-id",
                "description": "With `x-auth-app-hash`: hex sha256(app_id + app_secret)"
            },
            "app_query": {
                "type": "apiKey", "in": "query", "name": "appId",
                "description": "With `hash`: hex sha256(appId + the operation's listed values + appSecret)"
            },
            "signed_link": {
                "type": "apiKey", "in": "query", "name": "signature",
                "description": "With `tenant` and `expires`, as `play_recording` hands them out"
            },
            "phone_basic": {
                "type": "http", "scheme": "basic",
                "description": "A phone's http_username and http_password from /api/phones/"
            },
            "user_basic": {
                "type": "http", "scheme": "basic",
                "description": "A user's username and password (voxide user add), as the console takes them"
            },
            "webhook": {
                "type": "apiKey", "in": "query", "name": "secret",
                "description": "`sms.inbound_secret`, or the same in an `X-Voxide-Secret` header"
            }
        } },
        "paths": paths
    })
}
