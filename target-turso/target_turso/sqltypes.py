"""JSON Schema types to SQLite column types, and Python values to exact SQL parameters.

SQLite stores what it is given, filtered by the column's type *affinity*. The
libsql client binds a Python int above 2**31 as REAL (2**53 + 1 would become
2**53), so larger integers are bound as decimal text, which an INTEGER column
turns back into the exact 64-bit integer. Values no affinity can keep exactly
(integers beyond 64 bits, decimals a double would round) need a column without
affinity: such a column is declared `UNTYPED` ("") and the sink widens a column
to it when the first such value arrives (see `connector.widen_columns`).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import typing as t

import orjson
import simplejson

INTEGER = "INTEGER"
REAL = "REAL"
TEXT = "TEXT"
BOOLEAN = "BOOLEAN"
UNTYPED = ""
"""No declared type: SQLite's BLOB affinity, which keeps every value as bound."""
NUMERIC = "NUMERIC"


def affinity(declared_type: str) -> str:
    """Return a declared column type's affinity, by SQLite's rules (in their order)."""
    declared = declared_type.upper()
    if "INT" in declared:
        return INTEGER
    if "CHAR" in declared or "CLOB" in declared or "TEXT" in declared:
        return TEXT
    if "BLOB" in declared or not declared:
        return UNTYPED
    if "REAL" in declared or "FLOA" in declared or "DOUB" in declared:
        return REAL
    return NUMERIC


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Overflow(Exception):  # noqa: N818 - a signal, not an error shown to users
    """A value this column's affinity cannot keep exactly: widen the column."""


def json_types(property_schema: dict[str, t.Any]) -> set[str]:
    """Return the JSON types a property allows, following anyOf/oneOf, without "null"."""
    found: set[str] = set()
    declared = property_schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(x for x in declared if isinstance(x, str))
    for key in ("anyOf", "oneOf", "allOf"):
        for option in property_schema.get(key) or []:
            if isinstance(option, dict):
                found |= json_types(option)
    found.discard("null")
    return found


def column_type(property_schema: dict[str, t.Any]) -> str:
    """Map a property's JSON Schema to the declared type of a new column.

    integer -> INTEGER, number -> REAL, boolean -> BOOLEAN (0/1), string (any
    format) and object/array (JSON text) -> TEXT; a mix of kinds, or no type,
    -> UNTYPED so that each value keeps its own storage class.
    """
    types = json_types(property_schema)
    if types == {"integer"}:
        return INTEGER
    if types and types <= {"integer", "number"}:
        return REAL
    if types == {"boolean"}:
        return BOOLEAN
    if types == {"string"} or (types and types <= {"object", "array"}):
        return TEXT
    return UNTYPED


_KEPT_BY_AFFINITY = {
    INTEGER: frozenset({"integer", "number", "boolean"}),
    NUMERIC: frozenset({"integer", "number", "boolean"}),
    REAL: frozenset({"integer", "number", "boolean"}),
    TEXT: frozenset({"string", "object", "array"}),
}


def keeps(declared_type: str, property_schema: dict[str, t.Any]) -> bool:
    """Tell whether a column of `declared_type` stores the property's values as sent.

    SQLite converts what a column's affinity can: text that looks like a number
    in a numeric column (`"02134"` becomes 2134, `"1e3"` 1000), numbers in a
    TEXT column (`0.30000000000000004` becomes `'0.3'`). Numbers too big or
    too precise for a numeric column are handled per value (see `Overflow`).
    """
    kind = affinity(declared_type)
    if kind == UNTYPED:
        return True
    types = json_types(property_schema)
    return bool(types) and types <= _KEPT_BY_AFFINITY[kind]


def dump_json(value: t.Any) -> str:
    """Serialise an object or array as compact JSON text that `json_extract` reads.

    orjson is several times faster than the stdlib; what it cannot write exactly
    (Decimals, integers beyond 64 bits) goes through simplejson, which writes
    Decimals digit for digit.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return simplejson.dumps(
            value,
            use_decimal=True,
            ensure_ascii=False,
            separators=(",", ":"),
            ignore_nan=True,
            default=_json_default,
        )


def _json_default(value: t.Any) -> str:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def exact_float(value: decimal.Decimal) -> float | None:
    """Return the float equal to `value` if its shortest repr keeps every digit."""
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):  # NaN/inf
        return None
    return number if decimal.Decimal(repr(number)) == value else None


def scalar(value: t.Any) -> t.Any:
    """Convert any JSON value to a parameter for a column without affinity concerns."""
    kind = type(value)
    if kind is str or value is None or kind is float:
        return value
    if kind is bool:
        return int(value)
    if kind is int:
        return value if INT32_MIN <= value <= INT32_MAX else str(value)
    if kind is decimal.Decimal:
        number = exact_float(value)
        return str(value) if number is None else number
    if kind is dict or kind is list:
        return dump_json(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def to_numeric(value: t.Any) -> t.Any:
    """Parameter for an INTEGER or NUMERIC column: exact for every 64-bit integer.

    Raises:
        Overflow: an integer beyond 64 bits or a decimal a double would round
            (the column's affinity would turn either into an inexact REAL).
    """
    kind = type(value)
    if kind is int:
        if INT32_MIN <= value <= INT32_MAX:
            return value
        if INT64_MIN <= value <= INT64_MAX:
            return str(value)
        raise Overflow
    if kind is decimal.Decimal:
        if value.is_finite() and value == value.to_integral_value():
            return to_numeric(int(value))
        number = exact_float(value)
        if number is None:
            raise Overflow
        return number
    return scalar(value)


def to_real(value: t.Any) -> t.Any:
    """Parameter for a REAL column.

    Raises:
        Overflow: a double would lose digits of this number.
    """
    kind = type(value)
    if kind is float or value is None:
        return value
    if kind is decimal.Decimal:
        number = exact_float(value)
        if number is None:
            raise Overflow
        return number
    if kind is int:
        try:
            number = float(value)
        except OverflowError:
            raise Overflow from None
        if number != value:  # beyond 2**53 and not a double
            raise Overflow
        return number
    return scalar(value)


def to_untyped(value: t.Any) -> tuple[t.Any, t.Any]:
    """Parameter pair for `coalesce(?, CAST(? AS INTEGER))` in a column without affinity.

    A 64-bit integer above 2**31 goes in the second slot as text so the CAST
    stores it as an exact INTEGER; every other value goes in the first slot as is
    (integers beyond 64 bits and inexact decimals as their exact text).
    """
    if type(value) is int and not INT32_MIN <= value <= INT32_MAX:
        if INT64_MIN <= value <= INT64_MAX:
            return None, str(value)
        return str(value), None
    return scalar(value), None


def keep_number(value: t.Any) -> t.Any:
    """Early step for numeric and untyped columns: JSON text for objects, else as parsed."""
    kind = type(value)
    return dump_json(value) if kind is dict or kind is list else value


def to_text(value: t.Any) -> t.Any:
    """Parameter for a TEXT column: a number kept as invalid input is its exact text.

    Bound as a double, SQLite would write it with 15 digits (`0.30000000000000004`
    as `'0.3'`).
    """
    kind = type(value)
    if kind is decimal.Decimal or kind is float:
        return str(value) if kind is decimal.Decimal else repr(value)
    return scalar(value)


def double_text(number: float) -> str:
    """A double as text SQLite converts back to the same double (17 significant digits).

    Over HTTP, sqld parses about one double parameter in ten an ulp off; SQLite's
    own text-to-REAL conversion (a column's affinity, or CAST) is exact given 17
    digits, whereas the shortest repr can land on a rounding boundary it misses
    (27 of 100,000 random doubles; 0 with 17 digits).
    """
    return format(number, ".16e")


def _doubles_as_text(convert: t.Callable[[t.Any], t.Any]) -> t.Callable[[t.Any], t.Any]:
    def convert_exactly(value: t.Any) -> t.Any:
        parameter = convert(value)
        return double_text(parameter) if type(parameter) is float else parameter

    return convert_exactly


def to_untyped_over_http(value: t.Any) -> tuple[t.Any, t.Any, t.Any]:
    """`to_untyped` plus a third slot, `CAST(? AS REAL)`, for doubles as exact text."""
    first, second = to_untyped(value)
    if type(first) is float:
        return None, None, double_text(first)
    return first, second, None


@dataclasses.dataclass(frozen=True)
class Binding:
    """How the values of one column become statement parameters.

    `early` runs per record (so a batch holds compact rows); `late` runs per batch
    (numbers, whose conversion may ask to widen the column with `Overflow`) and
    returns one parameter, or a tuple of `len(placeholder's ?)` when `spread`.
    """

    placeholder: str
    early: t.Callable[[t.Any], t.Any]
    late: t.Callable[[t.Any], t.Any] | None = None
    spread: bool = False


_LOCAL = {
    UNTYPED: Binding("coalesce(?, CAST(? AS INTEGER))", keep_number, to_untyped, spread=True),
    TEXT: Binding("?", to_text),
    INTEGER: Binding("?", keep_number, to_numeric),
    NUMERIC: Binding("?", keep_number, to_numeric),
    REAL: Binding("?", keep_number, to_real),
}
_EXACT_INTEGER_OR_DOUBLE = _doubles_as_text(to_numeric)
_OVER_HTTP = {
    UNTYPED: Binding(
        "coalesce(?, CAST(? AS INTEGER), CAST(? AS REAL))",
        keep_number,
        to_untyped_over_http,
        spread=True,
    ),
    TEXT: _LOCAL[TEXT],
    INTEGER: Binding("?", keep_number, _EXACT_INTEGER_OR_DOUBLE),
    NUMERIC: Binding("?", keep_number, _EXACT_INTEGER_OR_DOUBLE),
    REAL: Binding("?", keep_number, _doubles_as_text(to_real)),
}


def binding(declared_type: str, *, over_http: bool) -> Binding:
    """The binding of a column of `declared_type`, on a local file or over HTTP."""
    return (_OVER_HTTP if over_http else _LOCAL)[affinity(declared_type)]
