-- V16: a standalone worker's heartbeat also says how much device memory it could give a model it
-- does not hold (the most any one of its slots has unreserved, in bytes), so that the platform routes
-- a model none holds to a worker that can load it (issue #21 item 1; docs/adr/0021).
ALTER TABLE inference_worker ADD COLUMN free_bytes bigint NOT NULL DEFAULT 0 CHECK (free_bytes >= 0);
