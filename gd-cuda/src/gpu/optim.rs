//! Optimizer state on the device and the fused update: one kernel launch
//! per parameter vector per step.

use cudarc::driver::{CudaSlice, CudaView, CudaViewMut, PushKernelArg};

use super::ops::int;
use super::Gpu;
use crate::error::{same, CudaError};
use crate::kernels::optim as k;
use crate::optim::{OptimSpec, Update};

/// The state of one optimizer over `n` parameters, on the device.
#[derive(Debug)]
pub struct GpuOptimizer {
    spec: OptimSpec,
    n: usize,
    t: u64,
    /// The three state vectors (length `n` where the rule uses them, else 1).
    pub state: [CudaSlice<f32>; 3],
}

impl GpuOptimizer {
    /// Zeroed state for `n` parameters.
    pub fn new(gpu: &Gpu, spec: OptimSpec, n: usize) -> Result<Self, CudaError> {
        spec.validate()?;
        let used = spec.state_used();
        let alloc = |u: bool| gpu.stream.alloc_zeros::<f32>(if u { n } else { 1 });
        let state = [alloc(used[0])?, alloc(used[1])?, alloc(used[2])?];
        Ok(GpuOptimizer { spec, n, t: 0, state })
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// One update of `p` with gradient `g` (both of length `n`).
    pub fn step(&mut self, gpu: &Gpu, p: &mut CudaSlice<f32>, g: &CudaSlice<f32>) -> Result<(), CudaError> {
        self.step_view(gpu, &mut p.as_view_mut(), &g.as_view())
    }

    /// [`step`](Self::step) on views: a parameter tensor that lives inside
    /// a larger buffer. Views at any offset work; the kernels use 16-byte
    /// accesses only where every vector is 16-byte aligned.
    pub fn step_view(&mut self, gpu: &Gpu, p: &mut CudaViewMut<'_, f32>, g: &CudaView<'_, f32>) -> Result<(), CudaError> {
        same("parameters (expected the optimizer's length)", self.n, p.len())?;
        same("gradient (expected the length of the parameters)", self.n, g.len())?;
        let n = int(self.n)?;
        let [s0, s1, s2] = &mut self.state;
        let cfg = k::SGD.shape.config(self.n.div_ceil(k::FLOATS_PER_THREAD));
        match self.spec.update(self.t) {
            Update::Sgd { lr, mu, dampening, nesterov, first } => {
                let f = gpu.function(&k::SGD)?;
                let (lr, mu32, d) = (lr as f32, mu as f32, dampening as f32);
                let (nest, first, use_m) = (nesterov as i32, first as i32, (mu != 0.0) as i32);
                let mut l = gpu.stream.launch_builder(&f);
                l.arg(p).arg(g).arg(s0).arg(&n).arg(&lr).arg(&mu32).arg(&d).arg(&nest).arg(&first).arg(&use_m);
                unsafe { l.launch(cfg) }?;
            }
            Update::RmsProp { lr, alpha, eps, mu, centered } => {
                let f = gpu.function(&k::RMSPROP)?;
                let (lr, a, e, mu32) = (lr as f32, alpha as f32, eps as f32, mu as f32);
                let (c, use_m) = (centered as i32, (mu > 0.0) as i32);
                let mut l = gpu.stream.launch_builder(&f);
                l.arg(p).arg(g).arg(s0).arg(s1).arg(s2).arg(&n).arg(&lr).arg(&a).arg(&e).arg(&mu32).arg(&c).arg(&use_m);
                unsafe { l.launch(cfg) }?;
            }
            Update::Adam { step_size, inv_bc2_sqrt, beta1, beta2, eps, decay } => {
                let f = gpu.function(&k::ADAM)?;
                let s = [step_size, inv_bc2_sqrt, beta1, beta2, eps, decay].map(|v| v as f32);
                let mut l = gpu.stream.launch_builder(&f);
                l.arg(p).arg(g).arg(s0).arg(s1).arg(&n);
                for v in &s {
                    l.arg(v);
                }
                unsafe { l.launch(cfg) }?;
            }
            Update::Lion { lr, beta1, beta2 } => {
                let f = gpu.function(&k::LION)?;
                let s = [lr, beta1, beta2].map(|v| v as f32);
                let mut l = gpu.stream.launch_builder(&f);
                l.arg(p).arg(g).arg(s0).arg(&n).arg(&s[0]).arg(&s[1]).arg(&s[2]);
                unsafe { l.launch(cfg) }?;
            }
        }
        self.t += 1;
        Ok(())
    }
}
