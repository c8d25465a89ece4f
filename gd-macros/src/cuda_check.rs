//! What a `#[differentiable(cuda)]` body may hold: what a device thread
//! runs without an allocator or a host library. One table of refusals,
//! each an error on the user's span, checked before lowering so that the
//! message names the construct rather than what the printer could not print.
//!
//! Floats are the signature's type only: an f32 function computing in f64
//! would run at a fraction of an f32's rate on most GPUs and would make
//! the device's result differ from the CPU path's, which computes the f32
//! function in f32 (so `f64` in an f32 function is refused, and the other
//! way round). Both f32 and f64 functions are printed; `gd::cuda`'s batch
//! objective takes f32.

use syn::visit::Visit;
use syn::{Error, Result};

/// Names that allocate, or that are host-only containers.
const ALLOCATING: &[&str] = &["Vec", "String", "Box", "Rc", "Arc", "HashMap", "HashSet", "BTreeMap", "VecDeque"];

/// Methods that allocate or copy into a heap container.
const ALLOCATING_METHODS: &[&str] = &["to_vec", "collect", "clone", "to_owned", "push", "extend", "resize"];

/// Methods a device runs beside the float methods (`len`, and iterator
/// adapters that `for` heads over ranges and slices use).
const DEVICE_METHODS: &[&str] = &["len", "iter", "rev", "step_by", "enumerate"];

pub fn check(item: &syn::ItemFn, float: &syn::Ident) -> Result<()> {
    if let Some(g) = item.sig.generics.params.first() {
        return Err(Error::new_spanned(g, "#[differentiable(cuda)]: a device function cannot be generic"));
    }
    let other = if float == "f32" { "f64" } else { "f32" };
    let mut v = Check { name: &item.sig.ident, other, errors: Vec::new() };
    for arg in &item.sig.inputs {
        v.visit_fn_arg(arg);
    }
    v.visit_block(&item.block);
    let mut errors = v.errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut e) => {
            errors.for_each(|x| e.combine(x));
            Err(e)
        }
    }
}

struct Check<'a> {
    name: &'a syn::Ident,
    other: &'static str,
    errors: Vec<Error>,
}

impl Check<'_> {
    fn refuse(&mut self, node: impl quote::ToTokens, why: impl std::fmt::Display) {
        self.errors.push(Error::new_spanned(node, format!("#[differentiable(cuda)]: {why}")));
    }
}

impl<'ast> Visit<'ast> for Check<'_> {
    fn visit_ident(&mut self, id: &'ast syn::Ident) {
        let s = id.to_string();
        if ALLOCATING.contains(&s.as_str()) {
            self.refuse(id, format!("`{s}` allocates, which a device function cannot; use a fixed-size array (`[0.0; 8]`) or a slice parameter"));
        } else if crate::sig::is_nalgebra(id) || s == "nalgebra" {
            self.refuse(id, "nalgebra types cannot run on the device; index slices of parameters instead");
        } else if s == self.other {
            self.refuse(id, format!("`{s}` in a function of the other float type: a device function computes in its signature's float type only"));
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let what = if m.path.is_ident("vec") { "`vec!` allocates, which a device function cannot; use a fixed-size array (`[0.0; 8]`)".to_string() } else { format!("the macro `{}!` cannot run on the device", quote::quote!(#m).to_string().split('!').next().unwrap_or("").trim()) };
        self.refuse(&m.path, what);
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.refuse(c, "closures cannot run on the device; write a loop");
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        if ALLOCATING_METHODS.contains(&name.as_str()) {
            self.refuse(&m.method, format!("`.{name}()` allocates or copies, which a device function cannot"));
        } else if !DEVICE_METHODS.contains(&name.as_str()) && !crate::emit::cuda_expr::is_device_method(&name) {
            self.refuse(&m.method, format!("the method `{name}` cannot run on the device (float methods, `len`, and `iter`/`rev`/`step_by`/`enumerate` in `for` heads can)"));
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func {
            if p.path.is_ident(self.name) {
                self.refuse(&c.func, "a device function cannot call itself (no recursion on the device)");
            }
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        self.refuse(s, "structs cannot run on the device");
    }

    fn visit_expr_tuple(&mut self, t: &'ast syn::ExprTuple) {
        if !t.elems.is_empty() {
            self.refuse(t, "tuples cannot run on the device");
        }
        syn::visit::visit_expr_tuple(self, t);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.refuse(m.match_token, "`match` cannot run on the device yet; write `if`/`else`");
    }
}
