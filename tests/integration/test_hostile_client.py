"""Standing suite (issue 8): a hostile client cannot take a model offline.

About 1,000 malformed or extreme prediction requests — 1e308, -1e308, values
beyond float32, strings, nested arrays, NaN/Infinity tokens, wrong types,
ragged rows, empty bodies, huge row counts, unknown columns, an unknown pilot
— sent 8 at a time (so micro-batches mix them with valid rows), interleaved
with valid requests. Afterwards every breaker is closed, the deployment
(revision, weights, aliases) is unchanged, no rollback was recorded, there
was no 5xx, every error was problem+json, and every valid request got 200.

The deployment makes mistakes expensive: a float32 random forest as the
challenger (its own validation refuses 1e300), a logistic regression that
refuses NaN (``age`` may be missing, so NaN reaches it) as the champion, and a
breaker that opens after 3 failures in a row.
"""

from __future__ import annotations

import concurrent.futures
import random
from collections import Counter
from typing import Any

import orjson

from tests.integration.conftest import COLS, Env

PILOT = "churn-prediction"
EXTREMES: list[Any] = [1e308, -1e308, 1e300, -1e300, 3.5e38, -3.5e38, 5e-324, -0.0,
                       1.7976931348623157e308, 9007199254740993, -(2**63), 2**63 - 1]
ODD: list[Any] = ["abc", "", "1.5", None, True, False, [1, 2], [[1.0]], {"x": 1}, [],
                  {}]
RAW_TOKENS = [b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf", b"1e999", b"-1e999",
              b"123456789012345678901234567890", b"0x10", b"01", b".5", b"+1"]


def _row(rng: random.Random) -> list[Any]:
    return [round(rng.gauss(0, 1), 4) for _ in COLS]


def _valid(rng: random.Random) -> bytes:
    rows = [_row(rng) for _ in range(rng.choice([1, 1, 3, 50]))]
    return orjson.dumps({"dataframe_split": {"columns": COLS, "data": rows}})


def _hostile(rng: random.Random) -> tuple[str, bytes]:  # noqa: PLR0911 - one per kind
    """One malformed or extreme request body (and the pilot it targets)."""
    kind = rng.randrange(16)
    row = _row(rng)
    col = rng.randrange(len(COLS))
    if kind == 0:  # an extreme number, in each format
        row[col] = rng.choice(EXTREMES)
        fmt = rng.choice(["split", "records", "instances", "inputs"])
        body: Any = {"split": {"dataframe_split": {"columns": COLS, "data": [row]}},
                     "records": {"dataframe_records": [dict(zip(COLS, row, strict=True))]},
                     "instances": {"instances": [row]},
                     "inputs": {"inputs": {c: [v] for c, v in zip(COLS, row, strict=True)}},
                     }[fmt]
        return PILOT, orjson.dumps(body)
    if kind == 1:  # a wrong type in one cell
        row[col] = rng.choice(ODD)
        return PILOT, orjson.dumps({"dataframe_split": {"columns": COLS, "data": [row]}})
    if kind == 2:  # a NaN/Infinity token, or a number JSON cannot hold, spliced in
        text = orjson.dumps({"instances": [row]}).decode()
        return PILOT, text.replace(str(row[col]), rng.choice(RAW_TOKENS).decode(), 1).encode()
    if kind == 3:  # ragged rows
        rows = [_row(rng), _row(rng)[: rng.randrange(0, 4)], _row(rng) + [1.0]]
        return PILOT, orjson.dumps({"dataframe_split": {"columns": COLS, "data": rows}})
    if kind == 4:  # empty things
        return PILOT, rng.choice([b"", b"{}", b"[]", b"null", b'{"instances": []}',
                                  b'{"dataframe_split": {"columns": [], "data": []}}',
                                  b'{"inputs": {}}', b'{"dataframe_records": [{}]}'])
    if kind == 5:  # too many rows
        return PILOT, orjson.dumps({"instances": [row] * rng.choice([10_001, 20_000])})
    if kind == 6:  # unknown or missing columns
        cols = [*COLS[:col], "zip_code", *COLS[col + 1:]]
        return PILOT, orjson.dumps({"dataframe_split": {"columns": cols, "data": [row]}})
    if kind == 7:  # records with extra, missing or renamed keys
        rec: dict[str, Any] = dict(zip(COLS, row, strict=True))
        rng.choice([lambda: rec.pop(COLS[col]), lambda: rec.update(extra=1),
                    lambda: rec.update({COLS[col].upper(): rec.pop(COLS[col])})])()
        return PILOT, orjson.dumps({"dataframe_records": [rec]})
    if kind == 8:  # nested arrays where rows should be
        return PILOT, orjson.dumps({"instances": [[row]]} if rng.random() < 0.5 else
                                   {"dataframe_split": {"columns": COLS, "data": [[row]]}})
    if kind == 9:  # wrong shapes for the format itself
        return PILOT, orjson.dumps(rng.choice([
            {"dataframe_split": row}, {"dataframe_split": {"data": "rows"}},
            {"dataframe_records": {"a": 1}}, {"instances": 5}, {"inputs": "x"},
            {"dataframe_split": {"columns": [1, 2, 3, 4], "data": [row]}},
            {"instances": [row], "inputs": [row]}, [row], "text", 42]))
    if kind == 10:  # deep nesting
        depth = rng.choice([100, 600, 5000])
        return PILOT, b'{"instances": ' + b"[" * depth + b"1" + b"]" * depth + b"}"
    if kind == 11:  # not JSON, or not UTF-8
        return PILOT, rng.choice([b"{nope", b"\xff\xfe\x00", b'{"instances": [[1,2,3,4]',
                                  b"instances=1", bytes(rng.randrange(256) for _ in range(40))])
    if kind == 12:  # an unknown or hostile pilot name
        return rng.choice(["nope", "x" * 70, "..", "churn-prediction%2F..", "%00"]), _valid(rng)
    if kind == 13:  # null or NaN in an allowed-missing column: the champion refuses NaN
        rec = dict(zip(COLS, row, strict=True))
        rec["age"] = None
        return PILOT, orjson.dumps({"dataframe_records": [rec]})
    if kind == 14:  # a mix of good and extreme rows in one request
        rows = [_row(rng) for _ in range(5)]
        rows[rng.randrange(5)][col] = rng.choice(EXTREMES)
        return PILOT, orjson.dumps({"dataframe_split": {"columns": COLS, "data": rows}})
    # a string where a number's row should be, in every column
    return PILOT, orjson.dumps({"dataframe_split": {"columns": COLS,
                                                    "data": [[str(v) for v in row]]}})


def test_a_thousand_hostile_requests_leave_every_model_online(env: Env, forest: int) -> None:
    env.deploy(variants=[{"name": "champion", "version": 1, "weight": 50},
                         {"name": "challenger", "version": forest, "weight": 50}],
               shadow=[2], allowMissing=["age"], cacheTtlSeconds=30,
               breaker={"consecutiveFailures": 3, "minRequests": 5, "errorRate": 0.2,
                        "slowCallMs": 10_000})
    platform = env.platform
    before = platform.models.deployment(PILOT)
    aliases = {v.version: v.aliases for v in platform.models.versions(PILOT)}
    rollbacks = len(platform.audit.log(action="deployment.rolled-back"))
    rng = random.Random(8)
    plan: list[tuple[str, str, bytes]] = []
    for i in range(1_100):
        plan.append(("valid", PILOT, _valid(rng)) if i % 11 == 0
                    else ("hostile", *_hostile(rng)))
    headers = {"Authorization": env.http.headers["Authorization"],
               "Content-Type": "application/json"}

    def send(item: tuple[int, tuple[str, str, bytes]]) -> tuple[str, int, str, str]:
        i, (kind, pilot, body) = item
        r = env.http.post(f"/v1/pilots/{pilot}/predict", content=body,
                          headers={**headers, "X-Pilotdeck-Key": f"user-{i}"})
        return kind, r.status_code, r.headers.get("content-type", ""), r.text[:300]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(send, enumerate(plan)))

    codes = Counter((kind, code) for kind, code, _, _ in results)
    server_errors = [r for r in results if r[1] >= 500]
    assert not server_errors, (codes, server_errors[:5])
    assert all(code == 200 for kind, code, _, _ in results if kind == "valid"), codes
    assert all(ctype == "application/problem+json" for _, code, ctype, _ in results
               if code >= 400), codes
    hostile = Counter(code for kind, code, _, _ in results if kind == "hostile")
    assert set(hostile) <= {200, 400, 404, 413, 422}, hostile
    assert hostile[422] > 600 and hostile[413] > 0 and hostile[404] > 0, hostile
    # The models' own validation was reached (not only the gateway's): the forest
    # refused float32 overflows and the champion refused NaN, as 422s naming a column.
    assert any('"[0].age"' in text and "NaN" in text for _, _, _, text in results)
    assert any("float32" in text for _, _, _, text in results)

    status = env.http.get("/v1/gateway/status").json()["routes"][PILOT]
    assert {v["name"]: v["breaker"] for v in status["variants"]} == {
        "champion": "closed", "challenger": "closed"}
    after = platform.models.deployment(PILOT)
    assert after.revision == before.revision
    assert after.spec.document() == before.spec.document()
    assert {v.version: v.aliases for v in platform.models.versions(PILOT)} == aliases
    assert len(platform.audit.log(action="deployment.rolled-back")) == rollbacks
    for i in range(8):  # and both variants still answer
        r = env.predict({"dataframe_split": {"columns": COLS, "data": [_row(rng)]}},
                        key=f"after-{i}")
        assert r.status_code == 200, r.text
