-- V11 (issue #17 item 4): the audit log. One row per management mutation that took effect: who
-- (actor: 'master', 'user:<name>' of the identity provider, or an API key's prefix), when, what
-- (the endpoint and its target), the state before and after (secrets redacted) and the request id.
-- Append-only like the usage ledger; no foreign keys, so a tenant's deletion keeps its history.
CREATE TABLE audit_log (
    id              bigserial    PRIMARY KEY,
    at              timestamptz  NOT NULL DEFAULT now(),
    actor           varchar(200) NOT NULL CHECK (length(actor) > 0),
    actor_tenant_id uuid,
    tenant_id       uuid,
    action          varchar(128) NOT NULL CHECK (length(action) > 0),
    target          varchar(512) NOT NULL,
    before          jsonb,
    after           jsonb,
    status          integer      NOT NULL,
    request_id      uuid         NOT NULL
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER audit_log_no_change
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
