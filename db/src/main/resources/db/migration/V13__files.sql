-- V13: the tenants' files (/v1/files; ARCHITECTURE.md's cross-issue contract, docs/adr/0019): batch
-- inputs and outputs and preference datasets. Content-addressed within a tenant: a file_blob per
-- distinct content (sha256) of a tenant, its bytes in 1 MiB chunks, shared by the tenant's files with
-- that content and gone with the last of them. Never shared across tenants: an upload's timing would
-- tell whether another tenant holds the same bytes. Existing keys do not get the new scope 'files'.
CREATE TABLE file_blob (
    tenant_id  uuid        NOT NULL REFERENCES tenant (id),
    sha256     char(64)    NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes      bigint      NOT NULL CHECK (bytes >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sha256)
);

CREATE TABLE file_chunk (
    tenant_id uuid     NOT NULL,
    sha256    char(64) NOT NULL,
    seq       integer  NOT NULL CHECK (seq >= 0),
    data      bytea    NOT NULL,
    PRIMARY KEY (tenant_id, sha256, seq),
    FOREIGN KEY (tenant_id, sha256) REFERENCES file_blob (tenant_id, sha256) ON DELETE CASCADE
);

CREATE TABLE tenant_file (
    id         varchar(40)  PRIMARY KEY CHECK (id ~ '^file-[0-9a-f]{24}$'),
    tenant_id  uuid         NOT NULL REFERENCES tenant (id),
    filename   varchar(255) NOT NULL CHECK (length(filename) > 0),
    purpose    varchar(32)  NOT NULL,
    bytes      bigint       NOT NULL CHECK (bytes >= 0),
    sha256     char(64)     NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, sha256) REFERENCES file_blob (tenant_id, sha256)
);
CREATE INDEX tenant_file_by_tenant ON tenant_file (tenant_id, created_at, id);
CREATE INDEX tenant_file_by_blob ON tenant_file (tenant_id, sha256);
