//! The data sets in `gd-examples/data`, parsed with the standard library;
//! standardisation and a fixed-seed split.
//!
//! A missing file, or a line with the wrong number of fields or a field that
//! is not a number, is an [`Error::Data`] naming the file and the line.

use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::common::Error;

/// A table of samples: `x` row-major (`n × d`), one target per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features, row-major, `n * d` values.
    pub x: Vec<f64>,
    /// Targets (a class index as a float for classification).
    pub y: Vec<f64>,
    /// Rows.
    pub n: usize,
    /// Features per row.
    pub d: usize,
}

impl Dataset {
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
    /// The rows `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        let mut x = Vec::with_capacity(idx.len() * self.d);
        for &i in idx {
            x.extend_from_slice(self.row(i));
        }
        Dataset { x, y: idx.iter().map(|&i| self.y[i]).collect(), n: idx.len(), d: self.d }
    }
    /// The samples as the columns of a `d × n` matrix (the MLPs' layout;
    /// row-major `n × d` is column-major `d × n`, so this is one copy).
    pub fn columns(&self) -> gd::nalgebra::DMatrix<f64> {
        gd::nalgebra::DMatrix::from_column_slice(self.d, self.n, &self.x)
    }
    /// Targets as class indices.
    pub fn labels(&self) -> Vec<usize> {
        self.y.iter().map(|&v| v as usize).collect()
    }
}

/// Which character separates fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    /// `,`
    Comma,
    /// runs of spaces or tabs
    Whitespace,
}

/// Read a whole file; a missing file is an [`Error::Data`] at line 0.
pub fn read_text(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Data {
        file: path.to_path_buf(),
        line: 0,
        message: format!("cannot read the data file: {e}"),
    })
}

/// Parse numeric rows of exactly `cols` fields, skipping `skip` header lines
/// and blank lines.
pub fn parse_rows(file: &Path, text: &str, sep: Sep, skip: usize, cols: usize) -> Result<Vec<Vec<f64>>, Error> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(skip) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |message: String| Error::Data { file: file.to_path_buf(), line: i + 1, message };
        let fields: Vec<&str> = match sep {
            Sep::Comma => line.split(',').map(str::trim).collect(),
            Sep::Whitespace => line.split_whitespace().collect(),
        };
        if fields.len() != cols {
            return Err(bad(format!("expected {cols} fields, found {}", fields.len())));
        }
        let mut row = Vec::with_capacity(cols);
        for (j, f) in fields.iter().enumerate() {
            let v: f64 = f.parse().map_err(|_| bad(format!("field {}: `{f}` is not a number", j + 1)))?;
            if !v.is_finite() {
                return Err(bad(format!("field {}: `{f}` is not finite", j + 1)));
            }
            row.push(v);
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(Error::Data { file: file.to_path_buf(), line: 0, message: "no data rows".into() });
    }
    Ok(rows)
}

fn from_rows(rows: Vec<Vec<f64>>, d: usize) -> Dataset {
    let n = rows.len();
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for r in rows {
        x.extend_from_slice(&r[..d]);
        y.push(r[d]);
    }
    Dataset { x, y, n, d }
}

fn check_labels(file: &Path, ds: &Dataset, classes: usize, skip: usize) -> Result<(), Error> {
    for (i, &v) in ds.y.iter().enumerate() {
        if v.fract() != 0.0 || v < 0.0 || v >= classes as f64 {
            return Err(Error::Data {
                file: file.to_path_buf(),
                line: i + 1 + skip,
                message: format!("label {v} is not a class in 0..{classes}"),
            });
        }
    }
    Ok(())
}

/// Breast Cancer Wisconsin (Diagnostic): 569 × 30, label 1 = benign.
pub fn breast_cancer(dir: &Path) -> Result<Dataset, Error> {
    let file = dir.join("breast_cancer.csv");
    let text = read_text(&file)?;
    let ds = from_rows(parse_rows(&file, &text, Sep::Comma, 1, 31)?, 30);
    check_labels(&file, &ds, 2, 1)?;
    Ok(ds)
}

/// 8×8 digits: 1 797 × 64, label 0..9.
pub fn digits(dir: &Path) -> Result<Dataset, Error> {
    let file = dir.join("digits.csv");
    let text = read_text(&file)?;
    let ds = from_rows(parse_rows(&file, &text, Sep::Comma, 0, 65)?, 64);
    check_labels(&file, &ds, 10, 0)?;
    Ok(ds)
}

/// Diabetes: 442 × 10 (raw units) and the disease progression target.
pub fn diabetes(dir: &Path) -> Result<Dataset, Error> {
    let xf: PathBuf = dir.join("diabetes_data_raw.csv");
    let yf: PathBuf = dir.join("diabetes_target.csv");
    let xr = parse_rows(&xf, &read_text(&xf)?, Sep::Whitespace, 0, 10)?;
    let yr = parse_rows(&yf, &read_text(&yf)?, Sep::Whitespace, 0, 1)?;
    if xr.len() != yr.len() {
        return Err(Error::Data {
            file: yf,
            line: 0,
            message: format!("{} targets for {} rows of {}", yr.len(), xr.len(), xf.display()),
        });
    }
    let n = xr.len();
    let mut x = Vec::with_capacity(n * 10);
    for r in &xr {
        x.extend_from_slice(r);
    }
    Ok(Dataset { x, y: yr.into_iter().map(|r| r[0]).collect(), n, d: 10 })
}

/// A fixed-seed shuffle of `0..n` cut into `(train, test)` with
/// `round(n · test_frac)` test rows.
pub fn split(n: usize, test_frac: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let n_test = ((n as f64) * test_frac).round() as usize;
    let test = idx.split_off(n - n_test);
    (idx, test)
}

/// Per-feature mean and standard deviation of a training set.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Means.
    pub mean: Vec<f64>,
    /// Standard deviations (1 for a constant feature, so it maps to 0).
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Fit on `ds`.
    pub fn fit(ds: &Dataset) -> Self {
        let (n, d) = (ds.n as f64, ds.d);
        let mut mean = vec![0.0; d];
        for i in 0..ds.n {
            for (m, v) in mean.iter_mut().zip(ds.row(i)) {
                *m += v / n;
            }
        }
        let mut var = vec![0.0; d];
        for i in 0..ds.n {
            for j in 0..d {
                var[j] += (ds.row(i)[j] - mean[j]).powi(2) / n;
            }
        }
        let std = var.iter().map(|&v| if v > 1e-12 { v.sqrt() } else { 1.0 }).collect();
        Standardizer { mean, std }
    }
    /// `(x − mean) / std`, feature by feature.
    pub fn apply(&self, ds: &Dataset) -> Dataset {
        let mut out = ds.clone();
        for i in 0..ds.n {
            for j in 0..ds.d {
                out.x[i * ds.d + j] = (ds.x[i * ds.d + j] - self.mean[j]) / self.std[j];
            }
        }
        out
    }
}

/// Split with a fixed seed, then standardise both parts with the training
/// part's statistics. Returns `(train, test)`.
pub fn split_standardized(ds: &Dataset, test_frac: f64, seed: u64) -> (Dataset, Dataset) {
    let (tr, te) = split(ds.n, test_frac, seed);
    let (train, test) = (ds.subset(&tr), ds.subset(&te));
    let s = Standardizer::fit(&train);
    (s.apply(&train), s.apply(&test))
}
