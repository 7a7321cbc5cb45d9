-- V1: tenants and the model registry (variants, immutable versions, aliases).
-- Flyway owns the schema; Hibernate only maps it (schema generation is off).

CREATE TABLE tenant (
    id           uuid         PRIMARY KEY,
    slug         varchar(63)  NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    display_name varchar(200) NOT NULL CHECK (length(btrim(display_name)) > 0),
    status       varchar(16)  NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED')),
    created_at   timestamptz  NOT NULL DEFAULT now()
);

-- The LLaDA family (llada-spec §1, §6-§8). One row per variant; reference data seeded below.
CREATE TABLE model_variant (
    code          varchar(16)  PRIMARY KEY CHECK (code IN ('BASE', 'INSTRUCT', 'V1_5', 'MOE', 'VISION')),
    model_id      varchar(128) NOT NULL UNIQUE CHECK (model_id ~ '^[a-z0-9][a-z0-9._-]*$'),
    display_name  varchar(200) NOT NULL,
    upstream_repo varchar(200) NOT NULL,
    owned_by      varchar(64)  NOT NULL,
    architecture  varchar(16)  NOT NULL CHECK (architecture IN ('DENSE', 'MOE', 'VISION')),
    description   text         NOT NULL,
    created_at    timestamptz  NOT NULL DEFAULT now()
);

-- A registered checkpoint. Immutable once written: content is pinned by its digest.
CREATE TABLE model_version (
    id              uuid         PRIMARY KEY,
    variant_code    varchar(16)  NOT NULL REFERENCES model_variant (code),
    name            varchar(128) NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]*$'),
    version         integer      NOT NULL CHECK (version >= 1),
    digest          varchar(71)  NOT NULL CHECK (digest ~ '^sha256:[0-9a-f]{64}$'),
    artifact_uri    text         NOT NULL CHECK (length(artifact_uri) > 0),
    parameter_count bigint       NOT NULL CHECK (parameter_count > 0),
    dtype           varchar(8)   NOT NULL CHECK (dtype IN ('F32', 'F16', 'BF16')),
    created_at      timestamptz  NOT NULL DEFAULT now(),
    UNIQUE (name, version)
);
CREATE INDEX model_version_variant_idx ON model_version (variant_code);

CREATE FUNCTION model_version_is_immutable() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'model version %:% is immutable once registered', OLD.name, OLD.version
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER model_version_no_update
    BEFORE UPDATE ON model_version
    FOR EACH ROW EXECUTE FUNCTION model_version_is_immutable();

-- A movable name for a version, e.g. "instruct@prod". Global when tenant_id is null.
CREATE TABLE model_alias (
    id         uuid         PRIMARY KEY,
    tenant_id  uuid         REFERENCES tenant (id) ON DELETE CASCADE,
    alias      varchar(128) NOT NULL CHECK (alias ~ '^[a-z0-9][a-z0-9._@-]*$'),
    version_id uuid         NOT NULL REFERENCES model_version (id),
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX model_alias_global_uq ON model_alias (alias) WHERE tenant_id IS NULL;
CREATE UNIQUE INDEX model_alias_tenant_uq ON model_alias (tenant_id, alias) WHERE tenant_id IS NOT NULL;
CREATE INDEX model_alias_version_idx ON model_alias (version_id);

INSERT INTO model_variant (code, model_id, display_name, upstream_repo, owned_by, architecture, description)
VALUES ('BASE', 'llada-8b-base', 'LLaDA 8B Base', 'GSAI-ML/LLaDA-8B-Base', 'gsai-ml', 'DENSE',
        'Pre-trained 8B masked diffusion language model (bidirectional transformer, 32 layers, d_model 4096).'),
       ('INSTRUCT', 'llada-8b-instruct', 'LLaDA 8B Instruct', 'GSAI-ML/LLaDA-8B-Instruct', 'gsai-ml', 'DENSE',
        'LLaDA 8B after supervised fine-tuning; chat template with header and end-of-turn tokens.'),
       ('V1_5', 'llada-1.5', 'LLaDA 1.5', 'GSAI-ML/LLaDA-1.5', 'gsai-ml', 'DENSE',
        'LLaDA 8B Instruct aligned with VRPO (variance-reduced preference optimisation).'),
       ('MOE', 'llada-moe-7b-a1b-instruct', 'LLaDA-MoE 7B-A1B Instruct', 'inclusionAI/LLaDA-MoE-7B-A1B-Instruct',
        'inclusionai', 'MOE',
        'Mixture-of-experts diffusion model: 64 routed experts, top-8, about 1.4B active of 7B parameters.'),
       ('VISION', 'llada-v', 'LLaDA-V', 'GSAI-ML/LLaDA-V', 'gsai-ml', 'VISION',
        'Vision-language LLaDA: SigLIP2 vision tower and MLP projector in front of LLaDA 8B Instruct.');
