-- V4: the people of a tenant, mapped from the identity provider's subject ("sub" of the OIDC token,
-- per issuer), with their role in the tenant. Keys record who created them.

CREATE TABLE tenant_user (
    id         uuid         PRIMARY KEY,
    tenant_id  uuid         NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    issuer     varchar(255) NOT NULL CHECK (length(issuer) > 0),
    subject    varchar(255) NOT NULL CHECK (length(subject) > 0),
    email      varchar(320),
    role       varchar(16)  NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
    created_at timestamptz  NOT NULL DEFAULT now(),
    UNIQUE (issuer, subject)
);
CREATE INDEX tenant_user_tenant_idx ON tenant_user (tenant_id);

ALTER TABLE api_key ADD COLUMN created_by uuid REFERENCES tenant_user (id) ON DELETE SET NULL;
