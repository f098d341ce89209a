"""Spark's typed numeric literals (issue 13): `1.5D` is a DOUBLE, `2L` a BIGINT, `2F` a
FLOAT, `3S` a SMALLINT, `4Y` a TINYINT, `1.50BD` a DECIMAL, each named by its digits.
Flint once read `1.5D` as the DECIMAL 1.5 under the alias `D`, and typed `2L` INT. With
`_columns` the names and types Spark gives the columns."""

from frames import columns

_TYPED = "SELECT 1.5D, 2L, 2F, 3S, 4Y, 1.50BD, 0.05BD, 10BD, 1E3D, -7Y"
_IN_EXPRESSIONS = "SELECT 1.5D / 4 AS a, 10L * 2147483647 AS b, 3S + 1S AS c, 1D = 1.0 AS d, 1 e"


CASES = {
    "typed": lambda spark: spark.sql(_TYPED),
    "typed_columns": lambda spark: columns(spark.sql(_TYPED)),
    "in_expressions": lambda spark: spark.sql(_IN_EXPRESSIONS),
    "in_expressions_columns": lambda spark: columns(spark.sql(_IN_EXPRESSIONS)),
    "out_of_range": lambda spark: spark.sql("SELECT 200Y"),
}
