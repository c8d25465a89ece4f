//! Data parallelism across GPUs over NCCL (issue 19). On a machine with a
//! GPU and libnccl, one rank (`dist::Single` carries NCCL's id): the
//! data-parallel loop with its device all-reduce gives the bits of the
//! plain GPU loop, and `NcclComm` as a `Collective` sums a host buffer.
//! Several GPUs need one process each: `mpirun -np N` on a program that
//! passes `dist::Mpi` to `NcclComm::new` (README, "Across GPUs").
//! Without a GPU or NCCL these tests say SKIPPED (GD_REQUIRE_GPU=1 fails
//! instead).

mod common;

use gd_cuda::gpu::probe::gpu_or_skip;
use gd_cuda::nccl::{train_data_parallel, NcclComm};
use gd_cuda::{Activation, CudaError, Data, Device, Loss, MlpSpec, OptimSpec, Targets, TrainConfig};
use gd_runtime::dist::{Collective, Single};
use gd_runtime::optim::AdamConfig;

fn comm_or_skip(gpu: &gd_cuda::gpu::Gpu, what: &str) -> Option<NcclComm> {
    match NcclComm::new(gpu, &Single) {
        Ok(c) => Some(c),
        Err(e @ CudaError::NoGpu { .. }) if std::env::var("GD_REQUIRE_GPU").map_or(true, |v| v != "1") => {
            eprintln!("SKIPPED {what}: {e} (set GD_REQUIRE_GPU=1 to fail instead)");
            None
        }
        Err(e) => panic!("{what}: {e}"),
    }
}

#[test]
fn one_rank_over_nccl_is_the_plain_gpu_loop() {
    let what = "one_rank_over_nccl_is_the_plain_gpu_loop";
    let Some(gpu) = gpu_or_skip(what) else { return };
    let Some(comm) = comm_or_skip(&gpu, what) else { return };
    let (xtr, ytr, _, _) = common::digits();
    let spec = MlpSpec {
        sizes: vec![64, 64, 10],
        activations: vec![Activation::Tanh, Activation::Identity],
        loss: Loss::SoftmaxCrossEntropy,
        optimizer: OptimSpec::Adam(AdamConfig { lr: 3e-3, ..AdamConfig::default() }),
    };
    let p0 = spec.init(0).unwrap();
    let data = Data { x: &xtr, targets: Targets::Classes(&ytr) };
    let cfg = TrainConfig { epochs: 3, batch: 32, seed: 0 };
    let plain = spec.train(&p0, data, cfg, Device::Gpu(0)).unwrap();
    let dp = train_data_parallel(&spec, &p0, data, cfg, &gpu, &comm).unwrap();
    assert_eq!(dp.steps, plain.steps);
    assert_eq!(dp.params, plain.params, "one rank takes the whole batch: the same kernels in the same order");
    let mut buf = [1.5, -2.0, 3.25];
    comm.all_reduce_sum(&mut buf).unwrap();
    assert_eq!(buf, [1.5, -2.0, 3.25]);
}
