//! The text of Spark's `show(vertical=True)`: one `-RECORD n-` block per row.

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use flint_engine::spark::format::format_cell;

/// Renders up to `num_rows` rows as Spark's vertical `show` does, cells cut to
/// `truncate` characters (0: no cut).
pub fn show_vertical(schema: &Schema, batches: &[RecordBatch], num_rows: usize, truncate: usize) -> String {
    let names: Vec<String> = schema.fields().iter().map(|f| cut(&escape(f.name()), truncate)).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut has_more = false;
    'batches: for batch in batches {
        for row in 0..batch.num_rows() {
            if rows.len() == num_rows {
                has_more = true;
                break 'batches;
            }
            rows.push(batch.columns().iter().map(|c| cut(&escape(&format_cell(c.as_ref(), row)), truncate)).collect());
        }
    }
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
        let noun = if num_rows == 1 { "row" } else { "rows" };
        out.push_str(&format!("only showing top {num_rows} {noun}\n"));
    }
    out
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
    cell.replace('\n', "\\n").replace('\r', "\\r").replace('\t', "\\t")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};

    use super::*;

    #[test]
    fn records_as_spark_prints_them() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from(vec![1, 2])), Arc::new(StringArray::from(vec![Some("Alice"), None]))],
        )
        .unwrap();
        assert_eq!(
            show_vertical(&schema, &[batch], 20, 20),
            "-RECORD 0-----\n id   | 1     \n name | Alice \n-RECORD 1-----\n id   | 2     \n name | NULL  \n"
        );
    }
}
