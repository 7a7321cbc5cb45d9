-- V6: a deleted tenant stays as a tombstone (docs/adr/0007): its ledger rows are financial records
-- and keep pointing at it; its keys are revoked, its users, entitlements, aliases, request log and
-- idempotent responses are removed. The slug stays taken, so it names one tenant forever.
ALTER TABLE tenant DROP CONSTRAINT tenant_status_check;
ALTER TABLE tenant
    ADD CONSTRAINT tenant_status_check CHECK (status IN ('ACTIVE', 'SUSPENDED', 'DELETED')),
    ADD COLUMN deleted_at timestamptz,
    ADD CONSTRAINT tenant_deleted_at_check CHECK ((status = 'DELETED') = (deleted_at IS NOT NULL));
