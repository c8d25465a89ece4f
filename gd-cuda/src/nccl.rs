//! Data parallelism across GPUs with NCCL (cudarc's `nccl` feature): one
//! rank per GPU, each a process (started by `mpirun`, say), gradients
//! summed on the devices by `ncclAllReduce`.
//!
//! NCCL needs a unique id made on rank 0 and known to every rank before
//! it can connect them; [`NcclComm::new`] sends it over the processes' own
//! [`Collective`] (gd-runtime's `dist::Mpi`, or any other), used once.
//! Then:
//! - [`train_data_parallel`]: the GPU training loop of [`crate::train`],
//!   each rank taking its part of every batch, the `f32` gradient
//!   all-reduced in place on the device before each step;
//! - `NcclComm` is itself a [`Collective`] (an `f64` sum staged through
//!   the device), so gd-runtime's `Trainer::fit_distributed` and
//!   `dist::objective` run over NCCL too.
//!
//! libnccl is loaded at run time: without it (or without a GPU) the
//! constructor returns [`CudaError::NoGpu`].

use std::cell::RefCell;
use std::ffi::c_char;

use cudarc::driver::CudaSlice;
use cudarc::nccl::safe::{Comm, Id, ReduceOp};
use gd_runtime::dist::{broadcast_bytes, Collective};
use gd_runtime::GdError;

use crate::error::{same, CudaError};
use crate::gpu::Gpu;
use crate::model::MlpSpec;
use crate::train::{epoch_orders, Data, TrainConfig, Trained};

/// One rank's NCCL communicator, on a [`Gpu`]'s stream (so its sums are
/// ordered with the kernels that make and use the gradients).
pub struct NcclComm {
    comm: Comm,
    rank: usize,
    size: usize,
    // The device copy of a host buffer summed through `Collective`.
    staging: RefCell<Option<CudaSlice<f64>>>,
}

fn nccl(e: impl std::fmt::Debug) -> CudaError {
    CudaError::Nccl(format!("{e:?}"))
}

impl NcclComm {
    /// Connect rank `boot.rank()` of `boot.size()` on `gpu`: rank 0 makes
    /// NCCL's unique id and `boot` carries it to the others (a collective
    /// over `boot`: every rank calls this).
    ///
    /// Errors: [`CudaError::NoGpu`] when libnccl cannot be loaded (checked
    /// on every rank, and agreed over `boot` so that no rank waits for one
    /// that cannot join); [`CudaError::Nccl`] when NCCL fails to connect.
    pub fn new<C: Collective + ?Sized>(gpu: &Gpu, boot: &C) -> Result<NcclComm, CudaError> {
        // SAFETY: only tries to dlopen libnccl by its usual names.
        let present = unsafe { cudarc::nccl::sys::is_culib_present() };
        let here: Result<(), String> = if present { Ok(()) } else { Err("cannot load NCCL (libnccl.so.2)".into()) };
        gd_runtime::dist::agree(boot, here).map_err(|e| CudaError::NoGpu { reason: e.to_string() })?;
        let (rank, size) = (boot.rank(), boot.size());
        let mut bytes = if rank == 0 {
            let id = Id::new().map_err(nccl)?;
            id.internal().iter().map(|&c| c as u8).collect()
        } else {
            Vec::new()
        };
        broadcast_bytes(boot, 0, &mut bytes)?;
        let mut internal = [0 as c_char; 128];
        same("NCCL unique id bytes", internal.len(), bytes.len())?;
        for (d, s) in internal.iter_mut().zip(&bytes) {
            *d = *s as c_char;
        }
        let comm = Comm::from_rank(gpu.stream.clone(), rank, size, Id::uninit(internal)).map_err(nccl)?;
        Ok(NcclComm { comm, rank, size, staging: RefCell::new(None) })
    }

    /// Sum `buf` over the ranks in place, on the device (`ncclAllReduce`,
    /// `ncclSum`: each element summed once and the sum sent to every rank,
    /// so all ranks get the same bits).
    pub fn all_reduce_f32(&self, buf: &mut CudaSlice<f32>) -> Result<(), CudaError> {
        // Called on one rank too (a copy): the one-GPU tests then run the
        // NCCL path they would run on several.
        self.comm.all_reduce_in_place(buf, &ReduceOp::Sum).map_err(nccl)?;
        Ok(())
    }

    /// This rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl Collective for NcclComm {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_reduce_sum(&self, buf: &mut [f64]) -> Result<(), GdError> {
        let comm_err = |e: &dyn std::fmt::Debug| GdError::Communication(format!("NCCL: {e:?}"));
        let stream = self.comm.stream();
        let mut staging = self.staging.borrow_mut();
        if staging.as_ref().map_or(true, |s| s.len() != buf.len()) {
            *staging = Some(stream.alloc_zeros::<f64>(buf.len()).map_err(|e| comm_err(&e))?);
        }
        let dev = staging.as_mut().expect("made above");
        stream.memcpy_htod(buf, dev).map_err(|e| comm_err(&e))?;
        self.comm.all_reduce_in_place(dev, &ReduceOp::Sum).map_err(|e| comm_err(&e))?;
        stream.memcpy_dtoh(dev, buf).map_err(|e| comm_err(&e))?;
        stream.synchronize().map_err(|e| comm_err(&e))
    }
}

/// [`crate::train`] on `gpu`, data parallel over `comm`'s ranks: every
/// rank passes the same `spec`, `params`, data and `cfg` (the seeded
/// epoch orders are then the same), takes its part of each batch, and the
/// gradients are summed on the devices before each step. Every rank
/// returns the same parameters: those of one GPU up to the order of the
/// `f32` sums.
pub fn train_data_parallel(
    spec: &MlpSpec,
    params: &[f32],
    data: Data<'_>,
    cfg: TrainConfig,
    gpu: &Gpu,
    comm: &NcclComm,
) -> Result<Trained, CudaError> {
    spec.validate()?;
    same("parameters", spec.n_params(), params.len())?;
    let n = data.rows(spec)?;
    if cfg.batch == 0 {
        return Err(CudaError::Invalid("batch size 0".into()));
    }
    // Settings that must agree, or the ranks' all-reduces would not match.
    gd_runtime::dist::same_on_all(
        comm,
        &[
            ("rows", n as f64),
            ("parameter count", params.len() as f64),
            ("batch", cfg.batch as f64),
            ("epochs", cfg.epochs as f64),
            ("seed (low 32 bits)", (cfg.seed & 0xffff_ffff) as f64),
            ("seed (high 32 bits)", (cfg.seed >> 32) as f64),
        ],
    )?;
    let order = epoch_orders(n, cfg.epochs, cfg.seed);
    let run = crate::gpu::train::run_parallel(gpu, spec, params, data, n, cfg, &order, Some(comm))?;
    if let Some(epoch) = run.epoch_loss.iter().position(|l| !l.is_finite()) {
        return Err(CudaError::Diverged { epoch });
    }
    Ok(run)
}
