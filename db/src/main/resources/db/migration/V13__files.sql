-- V13: the tenants' files (/v1/files; ARCHITECTURE.md's cross-issue contract, docs/adr/0019): batch
-- inputs and outputs and preference datasets. Content-addressed: a file_blob per distinct content
-- (sha256), its bytes in 1 MiB chunks, shared by every tenant_file with that content; a file's
-- metadata is its tenant's alone. The last tenant_file of a blob takes the blob with it.
CREATE TABLE file_blob (
    sha256     char(64)    PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes      bigint      NOT NULL CHECK (bytes >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE file_chunk (
    sha256 char(64) NOT NULL REFERENCES file_blob (sha256) ON DELETE CASCADE,
    seq    integer  NOT NULL CHECK (seq >= 0),
    data   bytea    NOT NULL,
    PRIMARY KEY (sha256, seq)
);

CREATE TABLE tenant_file (
    id         varchar(40)  PRIMARY KEY CHECK (id ~ '^file-[0-9a-f]{24}$'),
    tenant_id  uuid         NOT NULL REFERENCES tenant (id),
    filename   varchar(255) NOT NULL CHECK (length(filename) > 0),
    purpose    varchar(32)  NOT NULL,
    bytes      bigint       NOT NULL CHECK (bytes >= 0),
    sha256     char(64)     NOT NULL REFERENCES file_blob (sha256),
    created_at timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX tenant_file_by_tenant ON tenant_file (tenant_id, created_at, id);
CREATE INDEX tenant_file_by_blob ON tenant_file (sha256);

-- keys that could already run models may keep their files: the new scope joins theirs
UPDATE api_key SET scopes = scopes || ',files'
 WHERE ',' || scopes || ',' LIKE '%,inference,%' AND ',' || scopes || ',' NOT LIKE '%,files,%';
