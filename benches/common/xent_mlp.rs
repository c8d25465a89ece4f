//! The MLP the training benches share (benches/threads.rs,
//! benches/peers/gd.rs): a `Vec` of dense layers as a `#[derive(gd::Params)]`
//! struct, and its mean softmax cross-entropy over the columns of `x`
//! (tanh between layers; the digits example's `models::xent` without its
//! L2 term). `xent_mlp!(Layer, Mlp, xent, f64)` defines them in one float
//! type (the macro differentiates one float type at a time).

macro_rules! xent_mlp {
    ($layer:ident, $mlp:ident, $xent:ident, $f:ty) => {
        #[derive(Clone, Debug, gd::Params)]
        struct $layer {
            w: gd::nalgebra::DMatrix<$f>,
            b: gd::nalgebra::DVector<$f>,
        }

        #[derive(Clone, Debug, gd::Params)]
        struct $mlp {
            layers: Vec<$layer>,
        }

        /// Mean softmax cross-entropy of a tanh MLP; the samples are the
        /// columns of `x`.
        #[gd::differentiable(wrt(p))]
        fn $xent(p: &$mlp, x: &gd::nalgebra::DMatrix<$f>, labels: &[usize]) -> $f {
            let n = x.ncols();
            let ones = gd::nalgebra::DVector::from_element(n, 1.0 as $f);
            let mut h = x.clone();
            for (l, layer) in p.layers.iter().enumerate() {
                let z = &layer.w * &h + &layer.b * ones.transpose();
                h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
            }
            let k = h.nrows();
            let m = gd::stop_gradient(gd::nalgebra::RowDVector::from_iterator(n, h.column_iter().map(|c| c.max())));
            let ones_k = gd::nalgebra::DVector::from_element(k, 1.0 as $f);
            let e = (&h - &ones_k * &m).map(|v| v.exp());
            let lse = (ones_k.transpose() * e).map(|v| v.ln()).sum() + m.sum();
            let mut picked = 0.0 as $f;
            for j in 0..n {
                picked += h[(labels[j], j)];
            }
            (lse - picked) / n as $f
        }
    };
}
