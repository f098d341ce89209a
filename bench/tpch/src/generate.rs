//! TPC-H data as Parquet, from the `tpchgen` generators.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use arrow::record_batch::RecordBatchReader;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator, PartSuppGenerator,
    RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{
    CustomerArrow, LineItemArrow, NationArrow, OrderArrow, PartArrow, PartSuppArrow, RegionArrow, SupplierArrow,
};

/// A reader of one part of one table.
type PartReader = Box<dyn RecordBatchReader + Send>;

/// A table: its name, whether it is split into parts, and how to generate part `i` of `n`.
struct Table {
    name: &'static str,
    split: bool,
    reader: fn(f64, i32, i32) -> PartReader,
}

const TABLES: [Table; 8] = [
    Table { name: "nation", split: false, reader: |sf, i, n| Box::new(NationArrow::new(NationGenerator::new(sf, i, n))) },
    Table { name: "region", split: false, reader: |sf, i, n| Box::new(RegionArrow::new(RegionGenerator::new(sf, i, n))) },
    Table { name: "part", split: true, reader: |sf, i, n| Box::new(PartArrow::new(PartGenerator::new(sf, i, n))) },
    Table {
        name: "supplier",
        split: true,
        reader: |sf, i, n| Box::new(SupplierArrow::new(SupplierGenerator::new(sf, i, n))),
    },
    Table {
        name: "partsupp",
        split: true,
        reader: |sf, i, n| Box::new(PartSuppArrow::new(PartSuppGenerator::new(sf, i, n))),
    },
    Table {
        name: "customer",
        split: true,
        reader: |sf, i, n| Box::new(CustomerArrow::new(CustomerGenerator::new(sf, i, n))),
    },
    Table { name: "orders", split: true, reader: |sf, i, n| Box::new(OrderArrow::new(OrderGenerator::new(sf, i, n))) },
    Table {
        name: "lineitem",
        split: true,
        reader: |sf, i, n| Box::new(LineItemArrow::new(LineItemGenerator::new(sf, i, n))),
    },
];

/// Writes every table under `out/<table>/part-<i>.parquet`; large tables in `parts`
/// files generated in parallel. Does nothing when `out` already holds this scale.
pub fn generate(sf: f64, out: &Path, parts: usize) -> Result<()> {
    let marker = out.join("_SUCCESS");
    let stamp = format!("sf={sf}\n");
    if std::fs::read_to_string(&marker).is_ok_and(|s| s == stamp) {
        eprintln!("TPC-H sf={sf} already in {}", out.display());
        return Ok(());
    }
    let parts = i32::try_from(parts.max(1)).context("--parts is too large")?;
    for table in &TABLES {
        let dir = out.join(table.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let count = if table.split { parts } else { 1 };
        std::thread::scope(|scope| {
            let writers: Vec<_> = (1..=count)
                .map(|i| {
                    let path = dir.join(format!("part-{i}.parquet"));
                    scope.spawn(move || write_parquet((table.reader)(sf, i, count), &path))
                })
                .collect();
            writers.into_iter().try_for_each(|w| w.join().map_err(|_| anyhow::anyhow!("generator panicked"))?)
        })?;
        eprintln!("generated {} (sf={sf})", table.name);
    }
    std::fs::write(&marker, stamp).with_context(|| format!("writing {}", marker.display()))?;
    Ok(())
}

fn write_parquet(reader: PartReader, path: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut writer = ArrowWriter::try_new(file, reader.schema(), Some(props))?;
    for batch in reader {
        writer.write(&batch?)?;
    }
    writer.close()?;
    Ok(())
}
