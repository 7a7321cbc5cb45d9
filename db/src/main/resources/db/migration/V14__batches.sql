-- V14: durable asynchronous inference (issue #21 item 2, docs/adr/0020): OpenAI's Batch API over a
-- PostgreSQL job queue. A batch is one tenant's input file of requests; each line becomes a
-- batch_item leased by one platform JVM at a time (FOR UPDATE SKIP LOCKED, an expiry of the
-- database's clock). An item's result and the settlement of the attempt that produced it are
-- written in one transaction, so an item re-run after a crash has one result and one charge.
CREATE TABLE batch (
    id                varchar(40)  PRIMARY KEY CHECK (id ~ '^batch_[0-9a-f]{24}$'),
    tenant_id         uuid         NOT NULL REFERENCES tenant (id),
    -- who created it: the key (null for a signed-in user) and the label and scopes its items run as
    api_key_id        uuid,
    actor             varchar(200) NOT NULL,
    scopes            varchar(200) NOT NULL,
    endpoint          varchar(64)  NOT NULL,
    input_file_id     varchar(40)  NOT NULL,
    completion_window varchar(8)   NOT NULL,
    status            varchar(16)  NOT NULL CHECK (status IN ('validating', 'failed', 'in_progress',
                          'finalizing', 'completed', 'expired', 'cancelling', 'cancelled')),
    metadata          text,
    errors            text,
    output_file_id    varchar(40),
    error_file_id     varchar(40),
    created_at        timestamptz  NOT NULL DEFAULT now(),
    in_progress_at    timestamptz,
    expires_at        timestamptz  NOT NULL,
    finalizing_at     timestamptz,
    completed_at      timestamptz,
    failed_at         timestamptz,
    expired_at        timestamptz,
    cancelling_at     timestamptz,
    cancelled_at      timestamptz
);
CREATE INDEX batch_by_tenant ON batch (tenant_id, created_at DESC, id DESC);
CREATE INDEX batch_open ON batch (status) WHERE status IN ('in_progress', 'finalizing', 'cancelling');

CREATE TABLE batch_item (
    batch_id          varchar(40)  NOT NULL REFERENCES batch (id) ON DELETE CASCADE,
    line              integer      NOT NULL CHECK (line >= 1),
    custom_id         varchar(512) NOT NULL,
    body              text         NOT NULL,
    state             varchar(16)  NOT NULL DEFAULT 'pending'
                          CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled',
                          'expired')),
    attempts          integer      NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- the JVM running it and until when: past that the item may be leased again
    holder            varchar(200),
    lease_expires_at  timestamptz,
    -- a refused attempt (rate limit, busy platform) waits until then
    not_before        timestamptz,
    -- the attempt now running or the one that ended it: its ledger request id
    request_id        uuid,
    status_code       integer,
    response          text,
    prompt_tokens     integer      NOT NULL DEFAULT 0,
    completion_tokens integer      NOT NULL DEFAULT 0,
    finished_at       timestamptz,
    PRIMARY KEY (batch_id, line),
    UNIQUE (batch_id, custom_id)
);
CREATE INDEX batch_item_ready ON batch_item (batch_id, line) WHERE state IN ('pending', 'running');
