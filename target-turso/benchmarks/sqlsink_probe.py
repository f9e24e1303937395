"""Probe for the design decision: the SDK's SQL machinery over sqlalchemy-libsql.

A minimal singer-sdk SQLTarget/SQLSink on `sqlalchemy-libsql`, run like the
target on the same stream, in two variants:

- `executemany`: the SDK's own SQLSink.bulk_insert_records (SQLAlchemy
  executemany: one round trip per row over HTTP).
- `multirow`: bulk_insert_records overridden with 500-row multi-row upserts,
  the fastest the client allows (as target-turso does).

Runs in its own virtualenv (singer-sdk, sqlalchemy-libsql):
python sqlsink_probe.py multirow|executemany SQLALCHEMY_URL [novalidate] < plays.singer
with SQLALCHEMY_URL `sqlite+libsql:////abs/file.db` or
`sqlite+libsql://127.0.0.1:PORT/?secure=false` (sqld); plays.singer from
`python -m testkit.spotify.singer N > plays.singer`.
"""

from __future__ import annotations

import datetime
import json
import sys

from singer_sdk import SQLConnector, SQLSink, SQLTarget
from singer_sdk import typing as th

ROWS_PER_STATEMENT = 500


def _param(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, datetime.datetime):  # the SDK parsed the date-time
        return value.isoformat()
    return value


class ProbeConnector(SQLConnector):
    allow_temp_tables = False
    allow_column_alter = False
    allow_merge_upsert = True


class ExecutemanySink(SQLSink):
    connector_class = ProbeConnector

    def conform_name(self, name, object_type=None):
        return name


class MultirowSink(ExecutemanySink):
    def bulk_insert_records(self, full_table_name, schema, records):
        columns = list(schema["properties"])
        keys = self.key_properties
        table = full_table_name.table if hasattr(full_table_name, "table") else str(full_table_name)
        quoted = ", ".join(f'"{c}"' for c in columns)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in keys)
        conflict = f" ON CONFLICT ({', '.join(f'{k!r}' for k in keys)}) DO UPDATE SET {updates}"
        rows = [tuple(_param(record.get(c)) for c in columns) for record in records]
        placeholders = "(" + ", ".join("?" * len(columns)) + ")"
        with self.connector._connect() as conn, conn.begin():
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                sql = (
                    f'INSERT INTO "{table}" ({quoted}) VALUES '
                    + ", ".join([placeholders] * len(chunk))
                    + conflict.replace("'", '"')
                )
                conn.exec_driver_sql(sql, tuple(v for row in chunk for v in row))
        return len(rows)


class ProbeTarget(SQLTarget):
    name = "sqlsink-probe"
    config_jsonschema = th.PropertiesList(th.Property("sqlalchemy_url", th.StringType)).to_dict()


def main() -> None:
    mode, url, validate = sys.argv[1], sys.argv[2], sys.argv[3:] != ["novalidate"]
    ProbeTarget.default_sink_class = MultirowSink if mode == "multirow" else ExecutemanySink
    ProbeTarget(config={"sqlalchemy_url": url, "validate_records": validate}).listen()


if __name__ == "__main__":
    main()
