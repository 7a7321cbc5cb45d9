-- V7: the retention sweep deletes request-log records by age across all tenants (docs/adr/0006);
-- without this index each sweep scans the whole table.
CREATE INDEX request_log_created_idx ON request_log (created_at);
