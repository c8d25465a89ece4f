//! Names of generated variables. All start with `__gd_` so they never clash
//! with the user's names. Neutral ground: `lower` names temporaries in the
//! user code it keeps verbatim (`x[__gd_t4]`) and `emit` declares them, so
//! both take the names from here rather than one from the other.

use proc_macro2::{Ident, Span};

use crate::ir::Temp;

fn id(s: String) -> Ident {
    Ident::new(&s, Span::call_site())
}

/// A temporary's primal value.
pub fn t(x: Temp) -> Ident {
    id(format!("__gd_t{}", x.0))
}
/// Its adjoint (reverse mode).
pub fn b(x: Temp) -> Ident {
    id(format!("__gd_b{}", x.0))
}
/// Its tangent (forward mode).
pub fn d(x: Temp) -> Ident {
    id(format!("__gd_d{}", x.0))
}
/// The adjoint buffer of parameter `i` (`&mut F` or `&mut [F]`).
pub fn grad(i: usize) -> Ident {
    id(format!("__gd_g{i}"))
}
/// The tangent part of the adjoint of matrix or struct parameter `i`, in the
/// dual copy of the reverse sweep (`H·v`).
pub fn grad_tan(i: usize) -> Ident {
    id(format!("__gd_gt{i}"))
}
/// The tangent of parameter `i` (`F` or `&[F]`).
pub fn tangent(i: usize) -> Ident {
    id(format!("__gd_v{i}"))
}
/// A local array, its adjoint, its tangent.
pub fn local(n: usize) -> Ident {
    id(format!("__gd_a{n}"))
}
pub fn local_adj(n: usize) -> Ident {
    id(format!("__gd_ab{n}"))
}
pub fn local_tan(n: usize) -> Ident {
    id(format!("__gd_ad{n}"))
}
/// A window's register for position `j`, and its base index (see `plan::window`).
pub fn window_acc(w: usize, j: usize) -> Ident {
    id(format!("__gd_w{w}_{j}"))
}
pub fn window_base(w: usize) -> Ident {
    id(format!("__gd_wb{w}"))
}
/// An array parameter of the dual copy of the reverse sweep.
pub fn dual_param(i: usize) -> Ident {
    id(format!("__gd_dx{i}"))
}
/// The caller's slot for parameter `i` in the internal ABI.
pub fn slot(i: usize) -> Ident {
    id(format!("__gd_slot{i}"))
}
/// Scratch storage behind an empty slot.
pub fn scratch(i: usize) -> Ident {
    id(format!("__gd_scr{i}"))
}
/// The value stack of a temporary type (`f`, `u`, `i`, `b`), or of one inferred temporary.
pub fn stack(kind: &str) -> Ident {
    id(format!("__gd_s{kind}"))
}
pub fn vjp_fn(f: &Ident) -> Ident {
    Ident::new(&format!("__gd_vjp_{f}"), f.span())
}
/// The reverse sweep that overwrites gradient buffers (see `set`).
pub fn vjp_set_fn(f: &Ident) -> Ident {
    Ident::new(&format!("__gd_vjp_set_{f}"), f.span())
}
pub fn vjp_dual_fn(f: &Ident) -> Ident {
    Ident::new(&format!("__gd_vjp_dual_{f}"), f.span())
}
/// The dual copy over `Lanes<F>` (see `emit::lanes`).
pub fn vjp_lanes_fn(f: &Ident) -> Ident {
    Ident::new(&format!("__gd_vjp_lanes_{f}"), f.span())
}
/// The slot type of a parameter not differentiated (see
/// `gd::__private::NotDifferentiated`).
pub fn no_slot() -> proc_macro2::TokenStream {
    let k = crate::krate();
    quote::quote!(impl #k::__private::NotDifferentiated)
}

pub fn split_fn(f: &Ident) -> Ident {
    Ident::new(&format!("__gd_split_{f}"), f.span())
}
pub fn jvp_fn(f: &Ident) -> Ident {
    Ident::new(&format!("__gd_jvp_{f}"), f.span())
}
