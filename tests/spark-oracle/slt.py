"""The part of the sqllogictest format that tests/slt/*.slt use, read as
tests/sqllogictests.rs (the sqllogictest crate) reads it, and rows compared as its
default validator compares them. Shared by record_slt.py (real Spark) and
tests/python/test_slt_matches_spark.py (the check that needs no JVM)."""

import glob
import os
import re

SLT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "slt")
DATA_DIR = os.path.abspath(os.path.join(SLT_DIR, "data"))


class Block:
    """One `statement` or `query` record of an .slt file: where it starts, its SQL and
    what the file expects (`ok`, an error regex, or result lines)."""

    def __init__(self, file, line, kind, sql, error=None, types="", sort=None, results=None):
        self.file, self.line, self.kind, self.sql = file, line, kind, sql
        self.error, self.types, self.sort, self.results = error, types, sort, results or []

    @property
    def key(self):
        """`<file>:<line>`, the block's name in the recording and slt_differences.txt."""
        return f"{self.file}:{self.line}"


def slt_files():
    """The .slt files the Rust harness runs, sorted by name."""
    return sorted(glob.glob(os.path.join(SLT_DIR, "*.slt")))


def parse(path):
    """The statement and query blocks of the .slt file at `path`; any other record kind
    is an error, since the recorder would not know what it means."""
    name = os.path.basename(path)
    with open(path) as source:
        lines = source.read().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        line, number = lines[i], i + 1
        i += 1
        tokens = line.split()
        if not tokens or line.startswith("#"):
            continue
        sql, i = _until(lines, i, lambda l: l == "" or l == "----")
        has_results = i < len(lines) and lines[i] == "----"
        if has_results:
            i += 1
        if tokens[:2] == ["statement", "ok"] and not has_results:
            blocks.append(Block(name, number, "statement", sql))
        elif tokens[0] in ("statement", "query") and tokens[1:2] == ["error"] and len(tokens) > 2 and not has_results:
            blocks.append(Block(name, number, tokens[0], sql, error=" ".join(tokens[2:])))
        elif tokens[0] == "query" and len(tokens) > 1 and tokens[1] != "error":
            results, i = _until(lines, i, lambda l: l == "") if has_results else ("", i)
            sort = tokens[2] if len(tokens) > 2 else None
            if sort not in (None, "rowsort", "nosort"):
                raise ValueError(f"{name}:{number}: sort mode {sort} is not supported by the recorder")
            blocks.append(Block(name, number, "query", sql, types=tokens[1], sort=sort, results=results.split("\n") if results else []))
        else:
            raise ValueError(f"{name}:{number}: '{line}' is a record the recorder does not support")
    return blocks


def _until(lines, i, stop):
    """The lines from `i` up to the first that `stop`s, joined, and the index of that line."""
    start = i
    while i < len(lines) and not stop(lines[i]):
        i += 1
    return "\n".join(lines[start:i]), i


def with_data_dir(sql):
    """`sql` with `$DATA` replaced by tests/slt/data, as the Rust harness does."""
    return sql.replace("$DATA", DATA_DIR)


def sorted_rows(block, rows):
    """`rows` (lists of formatted cells) in the order the harness compares them:
    `rowsort` sorts them as Rust sorts `Vec<Vec<String>>`."""
    return sorted(rows) if block.sort == "rowsort" else rows


def _normalize(text):
    return " ".join(text.split())


def result_lines(rows):
    """Formatted rows as the default validator compares them: each cell's whitespace
    collapsed, cells joined by one space."""
    return [" ".join(_normalize(cell) for cell in row) for row in rows]


def expected_lines(block):
    """The block's expected result lines, normalized as the default validator does."""
    return [_normalize(line) for line in block.results]


def error_matches(block, message):
    """Whether an error `message` matches the block's expected error regex (searched
    anywhere in the message, as Rust's `Regex::is_match`)."""
    return re.search(block.error, message) is not None
