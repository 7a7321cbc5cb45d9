-- V15: standalone inference workers (issue #21 item 1, docs/adr/0021). Each worker process registers
-- itself here at start, heartbeats every few seconds (its load and resident models), marks itself
-- draining on its way out and deletes its row when it has stopped. The platform routes to the
-- workers of its protocol whose heartbeat is recent and that are not draining. Mutable by design:
-- a live view, no history.
CREATE TABLE inference_worker (
    id           varchar(200) PRIMARY KEY,
    url          varchar(500) NOT NULL,
    protocol     integer      NOT NULL CHECK (protocol >= 1),
    devices      varchar(500) NOT NULL,
    draining     boolean      NOT NULL DEFAULT false,
    busy         integer      NOT NULL DEFAULT 0 CHECK (busy >= 0),
    resident     text         NOT NULL DEFAULT '',
    started_at   timestamptz  NOT NULL DEFAULT now(),
    heartbeat_at timestamptz  NOT NULL DEFAULT now()
);
