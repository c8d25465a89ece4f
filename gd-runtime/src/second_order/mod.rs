//! Second-order minimisation with exact curvature: [`Newton`] (Hessian
//! closure, damped Cholesky) and [`NewtonCg`] (Hessian-free, Hessian–vector
//! products and truncated conjugate gradients). Both return a
//! [`SolverReport`](crate::quasi_newton::SolverReport) and use the stopping
//! rules of [`StopCriteria`](crate::quasi_newton::StopCriteria).

mod damped_cholesky;
mod driver;
mod newton;
mod newton_cg;

pub use newton::Newton;
pub use newton_cg::NewtonCg;
