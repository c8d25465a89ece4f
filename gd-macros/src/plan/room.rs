//! Which local arrays (`let mut c = vec![0.0; n];`) the reverse sweep keeps
//! in room in its own frame (`__private::Room`: up to `INLINE` elements,
//! else a vector), with their adjoints, instead of two heap allocations per
//! call. At ten elements those allocations and frees cost more than the
//! gradient itself (`cumsum_local`: about 400 of 843 instructions).
//!
//! An array qualifies when it is made once per call (outside every loop)
//! and the sweep only indexes it: no `push`, no call's outputs appended to
//! it, not the function's output, not passed to a call (a callee may take a
//! `&Vec`). The sweep then holds it as a `&mut [F]` into the room.

use std::collections::HashSet;

use crate::ir::{Arr, Block, CallArg, Stmt};

/// The local arrays a body creates outside its loops (in branches
/// included): each at most once per call.
pub fn created_outside_loops(body: &Block) -> HashSet<usize> {
    fn walk(b: &Block, out: &mut HashSet<usize>) {
        for s in b {
            match s {
                Stmt::ArrNew { arr, .. } => {
                    out.insert(*arr);
                }
                Stmt::Loop(_) => {}
                _ => s.children().into_iter().for_each(|c| walk(c, out)),
            }
        }
    }
    let mut out = HashSet::new();
    walk(body, &mut out);
    out
}

/// The local arrays kept in room (see the module's comment).
pub fn rooms(body: &Block) -> HashSet<usize> {
    let mut out = created_outside_loops(body);
    let mut barred = HashSet::new();
    bar(body, false, &mut barred);
    out.retain(|a| !barred.contains(a));
    out
}

/// The arrays used other than by indexing, or made inside a loop.
fn bar(b: &Block, in_loop: bool, out: &mut HashSet<usize>) {
    let args = |args: &[CallArg], out: &mut HashSet<usize>| {
        out.extend(args.iter().filter_map(|a| match a {
            CallArg::Array(Arr::Local(n), ..) => Some(*n),
            _ => None,
        }))
    };
    for s in b {
        match s {
            Stmt::ArrNew { arr, .. } if in_loop => {
                out.insert(*arr);
            }
            Stmt::Push { arr, .. } | Stmt::Seed { arr } => {
                out.insert(*arr);
            }
            Stmt::CallArr { arr, args: a, .. } => {
                out.insert(*arr);
                args(a, out);
            }
            Stmt::Call { args: a, .. } => args(a, out),
            _ => {}
        }
        let in_loop = in_loop || matches!(s, Stmt::Loop(_));
        s.children().into_iter().for_each(|c| bar(c, in_loop, out));
    }
}
