-- V2: tenancy (API keys, entitlements, limits), the append-only usage ledger, quota counters and
-- the request log. Limits are NULL when unlimited; a key's own limit applies on top of its tenant's.

ALTER TABLE tenant
    ADD COLUMN requests_per_minute     integer CHECK (requests_per_minute > 0),
    ADD COLUMN tokens_per_day          bigint  CHECK (tokens_per_day > 0),
    ADD COLUMN compute_units_per_month bigint  CHECK (compute_units_per_month > 0),
    ADD COLUMN max_concurrent          integer CHECK (max_concurrent > 0),
    ADD COLUMN store_bodies            boolean NOT NULL DEFAULT false;

-- Which variants a tenant may call (default deny).
CREATE TABLE tenant_entitlement (
    tenant_id    uuid        NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    variant_code varchar(16) NOT NULL REFERENCES model_variant (code),
    PRIMARY KEY (tenant_id, variant_code)
);

-- The secret is shown once; only its SHA-256 is kept. The prefix identifies a key in lists and logs.
CREATE TABLE api_key (
    id                      uuid         PRIMARY KEY,
    tenant_id               uuid         NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    name                    varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    prefix                  varchar(16)  NOT NULL,
    secret_sha256           char(64)     NOT NULL UNIQUE,
    scopes                  varchar(200) NOT NULL,
    requests_per_minute     integer CHECK (requests_per_minute > 0),
    tokens_per_day          bigint  CHECK (tokens_per_day > 0),
    compute_units_per_month bigint  CHECK (compute_units_per_month > 0),
    max_concurrent          integer CHECK (max_concurrent > 0),
    expires_at              timestamptz,
    revoked_at              timestamptz,
    created_at              timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX api_key_tenant_idx ON api_key (tenant_id);

-- Append-only: one RESERVE row before dispatch, one SETTLE row on every exit path.
CREATE TABLE usage_ledger (
    id                bigserial    PRIMARY KEY,
    request_id        uuid         NOT NULL,
    entry             varchar(8)   NOT NULL CHECK (entry IN ('RESERVE', 'SETTLE')),
    tenant_id         uuid         NOT NULL REFERENCES tenant (id),
    api_key_id        uuid         REFERENCES api_key (id),
    model             varchar(128) NOT NULL,
    endpoint          varchar(64)  NOT NULL,
    prompt_tokens     integer      NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens integer      NOT NULL CHECK (completion_tokens >= 0),
    compute_units     bigint       NOT NULL CHECK (compute_units >= 0),
    outcome           varchar(16)  CHECK (outcome IN ('SUCCESS', 'ERROR', 'CANCELLED', 'DISCONNECTED')),
    created_at        timestamptz  NOT NULL DEFAULT now(),
    UNIQUE (request_id, entry),
    CHECK ((entry = 'SETTLE') = (outcome IS NOT NULL))
);
CREATE INDEX usage_ledger_tenant_time_idx ON usage_ledger (tenant_id, created_at);

CREATE FUNCTION usage_ledger_is_append_only() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'the usage ledger is append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER usage_ledger_no_change
    BEFORE UPDATE OR DELETE ON usage_ledger
    FOR EACH ROW EXECUTE FUNCTION usage_ledger_is_append_only();

-- Running totals per window, kept in step with the ledger in the same transaction; rebuilt from
-- the ledger by reconciliation. scope_id is a tenant id or an API key id.
CREATE TABLE quota_counter (
    scope_kind   varchar(8)  NOT NULL CHECK (scope_kind IN ('TENANT', 'KEY')),
    scope_id     uuid        NOT NULL,
    metric       varchar(16) NOT NULL CHECK (metric IN ('REQUESTS', 'TOKENS', 'UNITS', 'CONCURRENT')),
    window_start timestamptz NOT NULL,
    used         bigint      NOT NULL,
    PRIMARY KEY (scope_kind, scope_id, metric, window_start)
);

-- Every request: metadata, usage and latency; bodies only when the tenant opted in.
CREATE TABLE request_log (
    request_id        uuid         PRIMARY KEY,
    tenant_id         uuid         REFERENCES tenant (id),
    api_key_id        uuid         REFERENCES api_key (id),
    method            varchar(8)   NOT NULL,
    path              varchar(256) NOT NULL,
    model             varchar(128),
    status            integer      NOT NULL,
    error_code        varchar(64),
    prompt_tokens     integer,
    completion_tokens integer,
    compute_units     bigint,
    latency_ms        bigint       NOT NULL,
    request_body      text,
    response_body     text,
    created_at        timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX request_log_tenant_time_idx ON request_log (tenant_id, created_at);

-- Idempotency-Key on POSTs: the first response is kept for 24 h and replayed for the same key.
CREATE TABLE idempotent_response (
    tenant_id    uuid         NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    key          varchar(255) NOT NULL,
    request_hash char(64)     NOT NULL,
    status       integer      NOT NULL,
    body         text         NOT NULL,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
