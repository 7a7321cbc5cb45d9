-- V3: what a registered version records about itself (layout, model card, lineage), mutable tags,
-- and the history of every alias move (promote, rollback).

ALTER TABLE model_version
    ADD COLUMN layout          varchar(32)  NOT NULL DEFAULT 'single',
    ADD COLUMN has_tokenizer   boolean      NOT NULL DEFAULT true,
    ADD COLUMN model_card      text,
    ADD COLUMN base_version_id uuid         REFERENCES model_version (id),
    ADD COLUMN training_job    varchar(128),
    ADD COLUMN dataset         varchar(200);
CREATE INDEX model_version_base_idx ON model_version (base_version_id);

-- Tags are annotations, not content: they may change after registration (MLflow does the same).
CREATE TABLE model_version_tag (
    version_id uuid         NOT NULL REFERENCES model_version (id) ON DELETE CASCADE,
    key        varchar(64)  NOT NULL CHECK (key ~ '^[A-Za-z0-9_.:-]+$'),
    value      varchar(500) NOT NULL,
    PRIMARY KEY (version_id, key)
);

CREATE TABLE model_alias_history (
    id         bigserial   PRIMARY KEY,
    alias_id   uuid        NOT NULL REFERENCES model_alias (id) ON DELETE CASCADE,
    version_id uuid        NOT NULL REFERENCES model_version (id),
    action     varchar(16) NOT NULL CHECK (action IN ('CREATE', 'PROMOTE', 'ROLLBACK')),
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_alias_history_alias_idx ON model_alias_history (alias_id, id);

-- Aliases that exist already start their history where they point now.
INSERT INTO model_alias_history (alias_id, version_id, action, changed_at)
SELECT id, version_id, 'CREATE', updated_at FROM model_alias;
