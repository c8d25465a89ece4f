//! The digits MLP (64 → 64 tanh → 10 softmax, Adam, mini-batches of 32)
//! trained data parallel over MPI (feature `mpi`):
//!
//! ```sh
//! cargo build --release -p gd-examples --features mpi --example distributed_digits
//! mpirun -np 2 target/release/examples/distributed_digits --quick
//! ```
//!
//! (as root add `--allow-run-as-root`; more ranks than cores needs
//! `--oversubscribe`). Every rank reads the digits and makes the same
//! fixed-seed 80/20 split and standardisation, then keeps only its block of
//! the training images (`dist::shard_range`); each batch's gradient is the
//! sum of the ranks' parts. Each rank prints one line ending in
//! `final loss {:.6e} params checksum {:.6e}`: the loss over the whole
//! training set after the last epoch (summed over the ranks' blocks) and
//! the sum of all parameters — the same on every rank, and on any number of
//! ranks up to rounding.
//!
//! Flags: those of the other examples (`--quick`: 3 epochs, `--data DIR`,
//! `--no-progress`), and `--epochs N`, `--checkpoint FILE` (rank 0 saves
//! every epoch; a restarted run resumes from the file).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use gd::runtime::dist::{self, Collective, Mpi};
use gd::runtime::optim::Adam;
use gd::runtime::{BatchMode, Params, Trainer};
use gd_examples::common::{parse_args, usage, Error, Parsed};
use gd_examples::digits::{self, DigitsConfig};
use gd_examples::models::{self, Mlp};

/// This example's own flags, taken out before the shared ones are parsed.
struct Extra {
    epochs: Option<usize>,
    checkpoint: Option<PathBuf>,
}

fn split_flags(args: Vec<String>) -> Result<(Extra, Vec<String>), Error> {
    let mut extra = Extra { epochs: None, checkpoint: None };
    let mut rest = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--epochs" => {
                let v = it.next().unwrap_or_default();
                let n = v.parse().ok().filter(|&n: &usize| n > 0);
                extra.epochs = Some(n.ok_or_else(|| Error::Usage(format!("--epochs needs a count >= 1, got `{v}`")))?);
            }
            "--checkpoint" => {
                let v = it.next().filter(|v| !v.is_empty() && !v.starts_with("--"));
                extra.checkpoint = Some(PathBuf::from(v.ok_or_else(|| Error::Usage("--checkpoint needs a file".into()))?));
            }
            _ => rest.push(a),
        }
    }
    Ok((extra, rest))
}

fn main() -> ExitCode {
    let program = "distributed_digits";
    let (extra, args) = match split_flags(std::env::args().skip(1).collect()).and_then(|(e, rest)| Ok((e, parse_args(rest)?))) {
        Ok((e, Parsed::Run(a))) => (e, a),
        Ok((_, Parsed::Help)) => {
            println!("{}\n  --epochs N      train N epochs (default 30, 3 with --quick)\n  --checkpoint F  rank 0 saves to F every epoch; a run that finds F resumes from it", usage(program));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{program}: {e}\n{}", usage(program));
            return ExitCode::from(2);
        }
    };
    let comm = match Mpi::init() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{program}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let who = format!("rank {}/{}", comm.rank(), comm.size());
    match run(&comm, &args, &extra) {
        Ok(line) => {
            println!("{who}: {line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            // The same error on every rank (it names the rank that failed).
            println!("{who}: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(comm: &Mpi, args: &gd_examples::common::Args, extra: &Extra) -> Result<String, Error> {
    let base = DigitsConfig::default();
    let cfg = DigitsConfig { epochs: extra.epochs.unwrap_or(if args.quick { 3 } else { base.epochs }), ..base };
    // A rank that cannot read the data stops every rank, which learn why.
    let (train, test) = dist::agree(comm, digits::load(args))?;
    let block = dist::shard_range(train.n, comm.rank(), comm.size());
    let idx: Vec<usize> = block.clone().collect();
    let mine = train.subset(&idx);
    let (x, y) = (mine.columns(), mine.labels());

    let mut mlp = Mlp::new(&[train.d, cfg.hidden, 10], cfg.seed)?;
    let mut opt = Adam::new(cfg.lr)?;
    let mut trainer = Trainer::new()
        .batch(BatchMode::MiniBatch(cfg.batch))
        .max_epochs(cfg.epochs)
        .seed(cfg.seed)
        .progress(args.progress && comm.rank() == 0);
    if let Some(path) = &extra.checkpoint {
        trainer = trainer.checkpoint(path, 1).resume(true);
    }
    let t = Instant::now();
    let rep = trainer.fit_params_distributed(comm, &mut opt, &mut mlp, train.n, |p: &Mlp, s: &[usize], g: &mut Mlp| {
        models::xent_columns(p, &x, &y, s, cfg.l2, g)
    })?;
    let secs = t.elapsed().as_secs_f64();
    let ran = rep.history.epochs.len().max(1);

    // The training loss over all images: each rank's block, weighted by
    // its length, summed over the ranks (as the batches' losses are).
    let mut sum = [mine.n as f64 * models::xent(&mlp, &x, &y, cfg.l2)];
    comm.all_reduce_sum(&mut sum)?;
    let final_loss = sum[0] / train.n as f64;
    let checksum: f64 = mlp.to_vec().iter().sum();
    let acc = mlp.accuracy(&test.columns(), &test.labels());
    Ok(format!(
        "{} train images ({} here), {} epochs ({} steps), {:.4} s/epoch, held-out accuracy {:.1} %, final loss {:.6e} params checksum {:.6e}",
        train.n,
        block.len(),
        rep.epochs,
        rep.steps,
        secs / ran as f64,
        100.0 * acc,
        final_loss,
        checksum
    ))
}
