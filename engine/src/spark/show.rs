//! The text of Spark's `Dataset.show()`, as a table or vertically.

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;

use super::format::format_cell;

/// What `show()` prints: column names (escaped, never cut, as Spark's `getRows` leaves
/// them) and up to `num_rows` rows, cut and escaped, and whether rows were left out.
struct Cells {
    names: Vec<String>,
    rows: Vec<Vec<String>>,
    has_more: bool,
}

impl Cells {
    fn new(schema: &Schema, batches: &[RecordBatch], num_rows: usize, truncate: usize) -> Self {
        let names = schema.fields().iter().map(|f| escape(f.name())).collect();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut has_more = false;
        'batches: for batch in batches {
            for row in 0..batch.num_rows() {
                if rows.len() == num_rows {
                    has_more = true;
                    break 'batches;
                }
                let cells = batch.columns().iter().map(|c| cut(&escape(&format_cell(c.as_ref(), row)), truncate));
                rows.push(cells.collect());
            }
        }
        Self { names, rows, has_more }
    }
}

/// Renders up to `num_rows` rows of `batches` as Spark's `show(num_rows, truncate)`
/// does: cells cut to `truncate` characters (0: no cut) and right-aligned when cut is
/// on, and a footer when more rows exist than were shown.
pub fn show_string(schema: &Schema, batches: &[RecordBatch], num_rows: usize, truncate: usize) -> String {
    let Cells { names: header, rows, has_more } = Cells::new(schema, batches, num_rows, truncate);
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            let cells = std::iter::once(&header[i]).chain(rows.iter().map(|r| &r[i]));
            cells.map(|c| c.chars().count()).max().unwrap_or(0).max(3)
        })
        .collect();
    let separator: String = widths.iter().map(|w| format!("+{}", "-".repeat(*w))).collect::<String>() + "+\n";
    let line = |cells: &[String]| -> String {
        let mut out = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            let pad = " ".repeat(width - cell.chars().count());
            out.push('|');
            if truncate > 0 {
                out.push_str(&pad);
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&pad);
            }
        }
        out + "|\n"
    };
    let mut out = separator.clone();
    out.push_str(&line(&header));
    out.push_str(&separator);
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push_str(&separator);
    if has_more {
        out.push_str(&footer(num_rows));
    }
    out
}

/// Renders up to `num_rows` rows as Spark's `show(vertical=True)` does: one
/// `-RECORD n-` block per row.
pub fn show_vertical(schema: &Schema, batches: &[RecordBatch], num_rows: usize, truncate: usize) -> String {
    let Cells { names, rows, has_more } = Cells::new(schema, batches, num_rows, truncate);
    let width = |s: &String| s.chars().count();
    let name_width = names.iter().map(width).fold(3, usize::max);
    let data_width = rows.iter().flat_map(|r| r.iter().map(width)).fold(3, usize::max);
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let header = format!("-RECORD {i}");
        let pad = (name_width + data_width + 5).saturating_sub(width(&header));
        out.push_str(&header);
        out.push_str(&"-".repeat(pad));
        out.push('\n');
        for (name, cell) in names.iter().zip(row) {
            out.push_str(&format!(
                " {name}{} | {cell}{} \n",
                " ".repeat(name_width - width(name)),
                " ".repeat(data_width - width(cell))
            ));
        }
    }
    if rows.is_empty() {
        out.push_str("(0 rows)\n");
    } else if has_more {
        out.push_str(&footer(num_rows));
    }
    out
}

/// Spark's footer when rows were left out: the last line, with no newline after it
/// (Spark's `showString`; pyspark's `show()` prints the text with one).
fn footer(num_rows: usize) -> String {
    let noun = if num_rows == 1 { "row" } else { "rows" };
    format!("only showing top {num_rows} {noun}")
}

/// Spark's cut: longer cells keep `truncate - 3` characters and gain `...`.
fn cut(cell: &str, truncate: usize) -> String {
    if truncate == 0 || cell.chars().count() <= truncate {
        return cell.to_string();
    }
    if truncate < 4 {
        return cell.chars().take(truncate).collect();
    }
    cell.chars().take(truncate - 3).collect::<String>() + "..."
}

/// Control characters shown escaped, as Spark's `escapeMetaCharacters`.
fn escape(cell: &str) -> String {
    cell.replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
        .replace('\u{c}', "\\f")
        .replace('\u{8}', "\\b")
        .replace('\u{b}', "\\v")
        .replace('\u{7}', "\\a")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, SchemaRef};

    use super::*;

    fn batch() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let columns = vec![
            Arc::new(Int64Array::from(vec![1, 22, 333])) as _,
            Arc::new(StringArray::from(vec![Some("a"), None, Some("a rather long name, longer than twenty")])) as _,
        ];
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns);
        (schema, batch.unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn renders_like_spark() {
        let (schema, batch) = batch();
        let text = show_string(&schema, &[batch], 20, 20);
        assert_eq!(
            text,
            "+---+--------------------+\n\
             | id|                name|\n\
             +---+--------------------+\n\
             |  1|                   a|\n\
             | 22|                NULL|\n\
             |333|a rather long nam...|\n\
             +---+--------------------+\n"
        );
    }

    /// Spark's own example (pyspark.sql.functions.sort_array): a 23-character column
    /// name stays whole under the default cut of 20.
    #[test]
    fn column_names_are_never_cut() {
        let schema = Arc::new(Schema::new(vec![Field::new("sort_array(data, false)", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(StringArray::from(vec!["[3, 2, 1, NULL]"])) as _]);
        let text = show_string(&schema, &[batch.unwrap_or_else(|e| panic!("{e}"))], 20, 20);
        assert_eq!(
            text,
            "+-----------------------+\n\
             |sort_array(data, false)|\n\
             +-----------------------+\n\
             |        [3, 2, 1, NULL]|\n\
             +-----------------------+\n"
        );
    }

    #[test]
    fn footer_when_rows_are_left_out() {
        let (schema, batch) = batch();
        let text = show_string(&schema, &[batch], 1, 0);
        assert!(text.ends_with("|1  |a   |\n+---+----+\nonly showing top 1 row"), "{text}");
    }

    #[test]
    fn vertical_records_as_spark_prints_them() {
        let (schema, batch) = batch();
        let text = show_vertical(&schema, &[batch.slice(0, 2)], 20, 20);
        assert_eq!(text, "-RECORD 0----\n id   | 1    \n name | a    \n-RECORD 1----\n id   | 22   \n name | NULL \n");
        assert_eq!(show_vertical(&schema, &[batch.slice(0, 0)], 20, 20), "(0 rows)\n");
    }
}
