"""Database access shared by target-turso and listening-report (Turso, sqld, local files).

- `libsql_access.connection`: `connect()`, its errors, and what each client error means.
- `libsql_access.dbapi`: the typed connection interface (`Connection`, `Cursor`).
- `libsql_access.schema`: `quote_identifier` and `table_columns`.
- `libsql_access.retry`: the one retry policy for transient and spurious server errors.
"""
