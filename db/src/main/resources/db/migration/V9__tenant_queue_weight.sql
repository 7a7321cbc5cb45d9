-- V9: a tenant's share of the inference worker's denoising steps (issue #16 item 2, weighted fair
-- queueing): a tenant of weight 3 takes three steps for each step of a tenant of weight 1 while both
-- have work waiting. Existing tenants keep equal shares.
ALTER TABLE tenant
    ADD COLUMN queue_weight integer NOT NULL DEFAULT 1 CHECK (queue_weight BETWEEN 1 AND 100);
