-- V8: reservation leases (issue W). Every open reservation holds a lease with an expiry; the request
-- that owns it settles it (and drops the lease) on every exit path. When the JVM that owns it died
-- mid-request, the sweeper settles it as EXPIRED with the usage last known, so a tenant with
-- max_concurrent is never locked out by a crash. The lease table is mutable (the running request
-- records its progress into it); the usage ledger stays append-only.
ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_outcome_check;
ALTER TABLE usage_ledger
    ADD CONSTRAINT usage_ledger_outcome_check
        CHECK (outcome IN ('SUCCESS', 'ERROR', 'CANCELLED', 'DISCONNECTED', 'EXPIRED'));

CREATE TABLE reservation_lease (
    request_id        uuid         PRIMARY KEY,
    tenant_id         uuid         NOT NULL REFERENCES tenant (id),
    holder            varchar(200) NOT NULL,
    expires_at        timestamptz  NOT NULL,
    -- the usage known so far (completion tokens committed, query positions computed): what an
    -- expired reservation is settled with
    completion_tokens integer      NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    compute_units     bigint       NOT NULL DEFAULT 0 CHECK (compute_units >= 0),
    progress_at       timestamptz
);
CREATE INDEX reservation_lease_expiry_idx ON reservation_lease (expires_at);

-- Reservations left open before this version (a JVM that crashed mid-request) get a lease that
-- ends an hour after they were made: most are long past it and expire at the first sweep.
INSERT INTO reservation_lease (request_id, tenant_id, holder, expires_at)
SELECT r.request_id, r.tenant_id, 'before-V8', r.created_at + interval '1 hour'
FROM usage_ledger r
WHERE r.entry = 'RESERVE'
  AND NOT EXISTS (SELECT 1 FROM usage_ledger s WHERE s.request_id = r.request_id AND s.entry = 'SETTLE');
