//! Quasi-Newton minimisation: [`Lbfgs`], and the report and stopping rules
//! shared with the Newton solvers in [`crate::second_order`].

mod lbfgs;
mod lbfgsb;
mod memory;
mod report;
mod single;


pub use lbfgs::Lbfgs;
pub use report::{SolverReport, SolverStop, StopCriteria};

pub(crate) use lbfgs::check_dim;
pub(crate) use report::{check_start, inf_norm};
