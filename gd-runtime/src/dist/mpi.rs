//! [`Collective`] over MPI (feature `mpi`): rsmpi's `MPI_Allreduce` with
//! `MPI_SUM` on `MPI_COMM_WORLD`.

use std::cell::RefCell;

use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::CommunicatorCollectives;

use crate::error::GdError;

use super::Collective;

/// MPI's world communicator: one rank per process started by `mpirun`.
/// Made once per process ([`Mpi::init`]); MPI is finalised when it is
/// dropped, so keep it alive until the last collective call.
///
/// A process started without `mpirun` is rank 0 of 1 (MPI's singleton
/// start), and runs the plain path.
pub struct Mpi {
    world: SimpleCommunicator,
    rank: usize,
    size: usize,
    // rsmpi's all-reduce reads one buffer and writes another; the send
    // copy is kept between steps so a step allocates nothing.
    send: RefCell<Vec<f64>>,
    // Declared last: dropped (MPI_Finalize) after the communicator.
    _universe: Universe,
}

impl Mpi {
    /// Initialise MPI (`MPI_Init`) and take its world communicator.
    ///
    /// Errors: [`GdError::Communication`] when MPI was initialised before
    /// in this process (MPI allows it once).
    pub fn init() -> Result<Mpi, GdError> {
        let universe = mpi::initialize()
            .ok_or_else(|| GdError::Communication("MPI was already initialised in this process (MPI_Init runs once)".into()))?;
        let world = universe.world();
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        Ok(Mpi { world, rank, size, send: RefCell::new(Vec::new()), _universe: universe })
    }

    /// The rsmpi communicator, for what this type does not wrap.
    pub fn world(&self) -> &SimpleCommunicator {
        &self.world
    }
}

impl Collective for Mpi {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_reduce_sum(&self, buf: &mut [f64]) -> Result<(), GdError> {
        if self.size == 1 {
            return Ok(());
        }
        let mut send = self.send.borrow_mut();
        send.clear();
        send.extend_from_slice(buf);
        // MPI's default error handler (MPI_ERRORS_ARE_FATAL) aborts every
        // rank on a communication error, so a failed call ends the job
        // rather than returning; nothing to map here.
        self.world.all_reduce_into(&send[..], buf, SystemOperation::sum());
        Ok(())
    }
}
