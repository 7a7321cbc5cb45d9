-- One lease primitive for leaders and exactly-once work (ARCHITECTURE.md, "One lease mechanism";
-- docs/adr/0006): a named lease held by one holder until it expires, taken and renewed in one
-- statement on the database clock (dev.llada.db.Leases). Sweepers use it today; the serving
-- runtime's reservation leases, the worker queue and the cron leader will use it too.
CREATE TABLE lease (
    name        varchar(64)  PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._:-]*$'),
    holder      varchar(128) NOT NULL CHECK (length(holder) > 0),
    acquired_at timestamptz  NOT NULL DEFAULT now(),
    expires_at  timestamptz  NOT NULL,
    CHECK (expires_at > acquired_at)
);
