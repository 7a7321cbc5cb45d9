-- V10 (issue #17 item 5): Idempotency-Key also on the administration API, and claims that expire.
-- A key belongs to an owner: a tenant ('tenant:<id>', its keys and users together) or one of the
-- platform's callers ('platform:master', 'platform:user:<name>'), which have no tenant. A claim of a
-- request still running (status 0) holds until claimed_until; a request that died leaves a claim the
-- next retry takes over instead of a 409 for 24 hours.
ALTER TABLE idempotent_response DROP CONSTRAINT idempotent_response_pkey;
ALTER TABLE idempotent_response ALTER COLUMN tenant_id DROP NOT NULL;
ALTER TABLE idempotent_response ADD COLUMN owner varchar(200);
UPDATE idempotent_response SET owner = 'tenant:' || tenant_id;
ALTER TABLE idempotent_response ALTER COLUMN owner SET NOT NULL;
ALTER TABLE idempotent_response ADD PRIMARY KEY (owner, key);
ALTER TABLE idempotent_response ADD COLUMN claimed_until timestamptz;
-- a claim without a deadline (from before V10) is taken to have died
CREATE INDEX idempotent_response_tenant_idx ON idempotent_response (tenant_id);
