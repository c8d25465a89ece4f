//! What every example shares: command-line flags, the report it returns,
//! the error type, and the gradient check that runs before training.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gd::runtime::{check_gradient, GdError, GradCheckOptions};

/// Flags shared by the tour and every `--example`.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// Where the plots (SVG) go. Default `<workspace>/target/gd-tour`.
    pub out_dir: PathBuf,
    /// Where the data sets are read from. Default `gd-examples/data`.
    pub data_dir: PathBuf,
    /// Fewer epochs and steps (the tests use this).
    pub quick: bool,
    /// Write plots. Default on.
    pub plots: bool,
    /// Progress bars (shown only when stderr is a terminal). Default on.
    pub progress: bool,
}

impl Default for Args {
    fn default() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        Args {
            out_dir: root.join("..").join("target").join("gd-tour"),
            data_dir: root.join("data"),
            quick: false,
            plots: true,
            progress: true,
        }
    }
}

/// The usage text of `program`.
pub fn usage(program: &str) -> String {
    format!(
        "usage: {program} [--out DIR] [--data DIR] [--quick] [--no-plots] [--no-progress] [--help]\n\
         \n  --out DIR       write the plots (SVG) to DIR (default target/gd-tour)\
         \n  --data DIR      read the data sets from DIR (default gd-examples/data)\
         \n  --quick         fewer epochs and steps: a fast smoke run\
         \n  --no-plots      do not write plots\
         \n  --no-progress   no progress bars\
         \n  --help          this text"
    )
}

/// What parsing the flags asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Run with these flags.
    Run(Args),
    /// Print the usage and exit 0.
    Help,
}

/// Parse flags (without the program name); `--out=DIR` works as `--out DIR`.
/// Unknown flags and missing values are [`Error::Usage`].
pub fn parse_args<I: IntoIterator<Item = String>>(it: I) -> Result<Parsed, Error> {
    let mut args = Args::default();
    let mut flat = Vec::new();
    for a in it {
        match a.split_once('=') {
            Some((k, v)) if k == "--out" || k == "--data" => {
                flat.push(k.to_string());
                flat.push(v.to_string());
            }
            _ => flat.push(a),
        }
    }
    let mut it = flat.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--quick" => args.quick = true,
            "--no-plots" => args.plots = false,
            "--no-progress" => args.progress = false,
            "--out" | "--data" => {
                let v = it.next().ok_or_else(|| Error::Usage(format!("{a} needs a directory")))?;
                if v.is_empty() || v.starts_with("--") {
                    return Err(Error::Usage(format!("{a} needs a directory, got `{v}`")));
                }
                if a == "--out" {
                    args.out_dir = PathBuf::from(v);
                } else {
                    args.data_dir = PathBuf::from(v);
                }
            }
            other => return Err(Error::Usage(format!("unknown argument `{other}`"))),
        }
    }
    Ok(Parsed::Run(args))
}

/// Everything that can go wrong in an example.
#[derive(Debug)]
pub enum Error {
    /// A bad command line.
    Usage(String),
    /// A data file that is missing or malformed: the file, the 1-based line
    /// (0 when the whole file is at fault) and what was wrong.
    Data { file: PathBuf, line: usize, message: String },
    /// Creating a directory or writing a file failed.
    Io { path: PathBuf, message: String },
    /// The runtime's typed error (divergence, bad hyperparameter, failed
    /// gradient check, plot error, …).
    Gd(GdError),
    /// An example's claim did not hold (e.g. a solver stopped early).
    Claim(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) => write!(f, "{m}"),
            Error::Data { file, line: 0, message } => write!(f, "{}: {message}", file.display()),
            Error::Data { file, line, message } => write!(f, "{}:{line}: {message}", file.display()),
            Error::Io { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Gd(e) => write!(f, "{e}"),
            Error::Claim(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<GdError> for Error {
    fn from(e: GdError) -> Self {
        Error::Gd(e)
    }
}

/// What an example prints, the plots it wrote, and named numbers for tests.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One-line title.
    pub title: String,
    /// Lines of the terminal report.
    pub lines: Vec<String>,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Named results (`"w"`, `"test_accuracy"`, …).
    pub metrics: Vec<(String, f64)>,
}

impl Report {
    /// An empty report with a title.
    pub fn new(title: &str) -> Self {
        Report { title: title.to_string(), ..Report::default() }
    }
    /// Add a line of text.
    pub fn line(&mut self, s: impl Into<String>) {
        self.lines.push(s.into());
    }
    /// Record a named number.
    pub fn metric(&mut self, name: &str, v: f64) {
        self.metrics.push((name.to_string(), v));
    }
    /// A recorded number, if any.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics.iter().rev().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
    /// Record a written file.
    pub fn file(&mut self, p: PathBuf) {
        self.files.push(p);
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "── {} ──", self.title)?;
        for l in &self.lines {
            writeln!(f, "  {l}")?;
        }
        if !self.files.is_empty() {
            let names: Vec<String> =
                self.files.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
            writeln!(f, "  wrote {}", names.join(", "))?;
        }
        Ok(())
    }
}

/// Create the output directory (when plots are on) and return the path of
/// `name` in it, or `None` when plots are off.
pub fn out_file(args: &Args, name: &str) -> Result<Option<PathBuf>, Error> {
    if !args.plots {
        return Ok(None);
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| Error::Io { path: args.out_dir.clone(), message: format!("cannot create the output folder: {e}") })?;
    Ok(Some(args.out_dir.join(name)))
}

/// Check `f`'s gradient against central differences at `x` before training
/// (`gd::runtime::check_gradient`, torch's tolerances), and say so in the
/// report. A failing check is an error.
pub fn gradient_check(
    report: &mut Report,
    what: &str,
    f: impl FnMut(&[f64], &mut [f64]) -> f64,
    x: &[f64],
) -> Result<(), Error> {
    let r = check_gradient(f, x, GradCheckOptions::default())?;
    report.line(format!(
        "gradient check of {what} ({} coordinate{}) against central differences: max |Δ| {:.1e}, ok",
        x.len(),
        if x.len() == 1 { "" } else { "s" },
        r.max_abs_err
    ));
    report.metric("gradcheck_max_abs_err", r.max_abs_err);
    Ok(())
}

/// The `main` of `cargo run --example NAME`: parse flags, run, print.
/// Exit code 2 with the usage on a bad flag, 1 on any other error.
pub fn example_main(name: &str, run: fn(&Args) -> Result<Report, Error>) -> ExitCode {
    let program = format!("cargo run --release -p gd-examples --example {name} --");
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Help) => {
            println!("{}", usage(&program));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n{}", usage(&program));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(report) => {
            print!("{report}");
            if args.plots && !report.files.is_empty() {
                let dir = args.out_dir.canonicalize().unwrap_or_else(|_| args.out_dir.clone());
                println!("\nplots (SVG): {}", dir.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Format a count with thin separators: 12345 → "12 345".
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        #[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87; the workspace says 1.80
        let group = (s.len() - i) % 3 == 0;
        if i > 0 && group {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
