"""Every block of tests/slt/*.slt expects what real Spark gave (recorded into
tests/spark-oracle/recorded/slt.json by `tests/spark-oracle/record slt`), or is listed
with its reason in tests/spark-oracle/slt_differences.txt. Needs no JVM and no Flint."""

import functools
import json
import os
import sys

import pytest

ORACLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spark-oracle")
sys.path.insert(0, ORACLE)
import slt  # noqa: E402

BLOCKS = [block for path in slt.slt_files() for block in slt.parse(path)]


@functools.cache
def _recorded():
    with open(os.path.join(ORACLE, "recorded", "slt.json")) as recording:
        return json.load(recording)["blocks"]


@functools.cache
def _differences():
    """`<file>:<line>` → reason, from slt_differences.txt (`key | reason` lines)."""
    listed = {}
    with open(os.path.join(ORACLE, "slt_differences.txt")) as source:
        for line in source:
            if line.strip() and not line.startswith("#"):
                key, _, reason = line.partition("|")
                listed[key.strip()] = reason.strip()
    return listed


def difference(block, spark):
    """Why `block`'s expectation is not what Spark did (`spark`, its recorded outcome),
    or None when it is."""
    if spark["sql"] != block.sql:
        return f"recorded SQL {spark['sql']!r} is not the block's; re-record with tests/spark-oracle/record slt"
    if "error" in spark:
        if block.error is not None and slt.error_matches(block, spark["error"]):
            return None
        return f"Spark failed: {spark['error'][:300]}"
    if block.error is not None:
        return f"the block expects an error matching {block.error!r}; Spark succeeded"
    if block.kind == "query":
        spark_lines, expected = slt.result_lines(spark["rows"]), slt.expected_lines(block)
        if spark_lines != expected:
            return f"Spark gives {spark_lines}; the block expects {expected}"
    return None


@pytest.mark.parametrize("block", BLOCKS, ids=[b.key for b in BLOCKS])
def test_slt_block_expects_what_spark_gave(block):
    recorded = _recorded()
    assert block.key in recorded, f"{block.key} is not recorded; run tests/spark-oracle/record slt"
    found = difference(block, recorded[block.key])
    listed = _differences().get(block.key)
    if listed is None:
        assert found is None, f"{block.key}: {found} (fix Flint, or list it in slt_differences.txt with a reason)"
    else:
        assert found is not None, f"{block.key} is listed in slt_differences.txt ({listed}) but matches Spark: remove it"


def test_every_listed_difference_names_a_block():
    keys = {block.key for block in BLOCKS}
    stale = sorted(set(_differences()) - keys)
    assert not stale, f"slt_differences.txt lists blocks that do not exist: {stale}"


def test_recording_has_no_stale_blocks():
    stale = sorted(set(_recorded()) - {block.key for block in BLOCKS})
    assert not stale, f"recorded/slt.json has blocks no .slt file has: {stale}; re-record with tests/spark-oracle/record slt"
