"""Every JSON number that is a double comes back bit-exact, on a file and over HTTP.

sqld parses about one double parameter in ten an ulp off (`1e-30` would come back
`9.999999999999999e-31`); prices with few decimals never show it, so these tests
load random doubles of every magnitude (random bit patterns, seeded).
"""

from __future__ import annotations

import random
import struct

SPECIAL = [
    1e-30,
    0.1,
    0.30000000000000004,
    1 / 3,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -2.5,
]


def random_doubles(n: int, seed: int = 20261129) -> list[float]:
    """`SPECIAL` plus finite doubles from random 64-bit patterns (every exponent)."""
    rng = random.Random(seed)
    doubles = list(SPECIAL)
    while len(doubles) < n:
        (number,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if number == number and abs(number) != float("inf"):
            doubles.append(number)
    return doubles


def bits(number: float) -> bytes:
    return struct.pack("<d", number)


def schema(stream: str, **types: dict) -> dict:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "key_properties": ["id"],
        "schema": {"properties": {"id": {"type": "integer"}, **types}},
    }


def test_random_doubles_come_back_bit_exact_from_real_and_untyped_columns(
    database, load_text, singer
):
    doubles = random_doubles(3000)
    load_text(
        database.config,
        singer(
            schema(
                "doubles",
                x={"type": ["number", "null"]},
                mixed={"type": ["number", "string", "null"]},
            ),
            *(
                {"type": "RECORD", "stream": "doubles", "record": {"id": i, "x": x, "mixed": x}}
                for i, x in enumerate(doubles)
            ),
        ),
    )
    rows = database.query(
        f'SELECT "x", typeof("x"), "mixed", typeof("mixed") FROM {database.table("doubles")} '
        'ORDER BY "id"'
    )
    assert [bits(x) for x, _, _, _ in rows] == [bits(x) for x in doubles]
    assert [bits(m) for _, _, m, _ in rows] == [bits(x) for x in doubles]
    assert {(x_type, m_type) for _, x_type, _, m_type in rows} == {("real", "real")}


def test_doubles_in_a_column_first_declared_integer_come_back_bit_exact(
    database, load_text, singer
):
    doubles = [x for x in random_doubles(1000, seed=7) if x != int(x)]
    load_text(
        database.config,
        singer(
            schema("counts", n={"type": ["integer", "null"]}),
            {"type": "RECORD", "stream": "counts", "record": {"id": -1, "n": 5}},
            schema("counts", n={"type": ["number", "null"]}),
            *(
                {"type": "RECORD", "stream": "counts", "record": {"id": i, "n": x}}
                for i, x in enumerate(doubles)
            ),
        ),
    )
    rows = database.query(f'SELECT "n" FROM {database.table("counts")} ORDER BY "id"')
    assert [bits(n) for (n,) in rows[1:]] == [bits(x) for x in doubles]
    assert rows[0] == (5,)
