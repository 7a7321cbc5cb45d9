-- V12 (issue #17 item 2): the ceilings a platform admin sets for a tenant's own limits. A
-- tenant-admin may set each limit up to its ceiling; where there is none, only lower it. NULL: no
-- ceiling. The limits themselves stay in the V2 columns.
ALTER TABLE tenant
    ADD COLUMN ceiling_requests_per_minute     integer CHECK (ceiling_requests_per_minute > 0),
    ADD COLUMN ceiling_tokens_per_day          bigint  CHECK (ceiling_tokens_per_day > 0),
    ADD COLUMN ceiling_compute_units_per_month bigint  CHECK (ceiling_compute_units_per_month > 0),
    ADD COLUMN ceiling_max_concurrent          integer CHECK (ceiling_max_concurrent > 0);
