//! `#[differentiable(cuda)]`: the function's primal and reverse sweep
//! printed as CUDA C (C++ for NVRTC), from the same IR as the Rust sweeps.
//!
//! For `fn loss(params: &[f32], x: &[f32], y: f32) -> f32` it prints
//!
//! ```text
//! __device__ float gd_loss(gd_slice<float> p_params, gd_slice<float> p_x, float p_y);
//! __device__ float gd_loss_vjp(gd_slice<float> p_params, gd_slice<float> p_x, float p_y,
//!                              float gd_seed, float* gd_g0, float* gd_g1, float* gd_g2,
//!                              int* gd_overflow);
//! ```
//!
//! `_vjp` returns the value and ADDS `seed ·` the gradient of each
//! differentiated parameter into its slot (a null slot is skipped; a slot
//! per parameter, as the Rust ABI has, so that a caller need not know which
//! parameters the callee differentiates). The reverse sweep is the plain
//! one of `emit::sweep` without its optimisations: every temporary in a
//! hoisted local, a loop pushing what its reverse reads at the end of each
//! trip onto per-thread value stacks (local arrays of `GD_STACK` entries; a
//! push past that sets `*gd_overflow`), a call reversed by the callee's own
//! `_vjp` (which runs the callee's forward sweep again).
//!
//! The generated API gets `cuda_source()` (the prelude, the sources of the
//! `cuda` functions it calls, its own; each guarded so that it appears once)
//! and `cuda_name()` (the C name, `gd_loss`). A call of a function without
//! `cuda` fails to find the callee's `cuda_source` at the call's span.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Error, Result};

use super::cuda_expr::{literal_usize, span_of, Names, Tr};
use crate::names::{b as adj_name, t as temp_name};
use crate::ir::*;
use crate::sig::{Class, Sig};

pub const PRELUDE: &str = include_str!("cuda_prelude.h");

/// How a parameter is passed in C.
#[derive(Clone, Copy, PartialEq)]
enum PKind {
    Float,
    Slice,
    /// An integer or boolean, with its C type.
    Other(&'static str),
}

fn param_kind(p: &crate::sig::Param) -> Option<PKind> {
    match &p.class {
        Class::Scalar => Some(PKind::Float),
        Class::Array { len: None, vec: false, .. } => Some(PKind::Slice),
        Class::Passive => {
            let ty = match &p.ty {
                syn::Type::Reference(r) if r.mutability.is_none() => &*r.elem,
                t => t,
            };
            if let syn::Type::Slice(_) = ty {
                return Some(PKind::Slice);
            }
            let syn::Type::Path(tp) = ty else { return None };
            Some(PKind::Other(match tp.path.get_ident()?.to_string().as_str() {
                "usize" => "gd_usize",
                "i32" => "int",
                "u32" => "unsigned",
                "bool" => "bool",
                _ => return None,
            }))
        }
        _ => None,
    }
}

/// The signature check of a `cuda` function (the body's is `crate::cuda_check`).
pub fn check_sig(sig: &Sig) -> Result<()> {
    for p in &sig.params {
        if param_kind(p).is_none() {
            return Err(Error::new_spanned(&p.ty, format!("#[differentiable(cuda)]: a parameter of a device function is `{f}`, `&[{f}]`, `usize`, `i32`, `u32` or `bool`", f = sig.float)));
        }
    }
    if !matches!(sig.out, crate::sig::Output::Scalar) {
        return Err(Error::new_spanned(&sig.ret_ty, format!("#[differentiable(cuda)]: a device function returns one `{}`", sig.float)));
    }
    if sig.in_impl {
        return Err(Error::new(sig.name.span(), "#[differentiable(cuda)]: methods and associated functions cannot run on the device; write a free function"));
    }
    Ok(())
}

/// The items added to the generated API: `cuda_source()` and `cuda_name()`.
pub fn generate(sig: &Sig, low: &Lowered) -> Result<TokenStream> {
    check_sig(sig)?;
    let printer = Printer::new(sig, low)?;
    let text = printer.print()?;
    let name = &sig.name;
    let cname = format!("gd_{name}");
    let guard = format!("GD_FN_{name}");
    let own = format!("#ifndef {guard}\n#define {guard}\n{text}#endif /* {guard} */\n");
    let mut deps = printer.calls.into_inner();
    calls(&low.body, &mut deps);
    let dep_sources = deps.iter().map(|p| {
        let span = p.segments.last().unwrap().ident.span();
        quote_spanned!(span=> #p::cuda_source())
    });
    let doc = format!(
        "The CUDA C source of [`{name}`](fn@{name}) for `gd::cuda`: `__device__` functions `{cname}` (the value) and `{cname}_vjp` (the value, adding `seed ·` the gradient into the slots), with the prelude and the sources of the `cuda` functions it calls."
    );
    Ok(quote! {
        #[doc = #doc]
        pub fn cuda_source() -> ::std::string::String {
            let mut __gd_src = ::std::string::String::from(#PRELUDE);
            #( __gd_src.push_str(&#dep_sources); )*
            __gd_src.push_str(#own);
            __gd_src
        }
        /// The C name of the function in `cuda_source()` (`gd_<name>`); its reverse sweep is `gd_<name>_vjp`.
        pub fn cuda_name() -> &'static str {
            #cname
        }
    })
}

/// The paths of the functions called, once each.
fn calls(b: &Block, out: &mut Vec<syn::Path>) {
    for s in b {
        if let Stmt::Call { path, .. } = s {
            if !out.iter().any(|p| p == path) {
                out.push(path.clone());
            }
        }
        for c in s.children() {
            calls(c, out);
        }
    }
}

struct Printer<'a> {
    sig: &'a Sig,
    low: &'a Lowered,
    f: &'static str,
    kinds: Vec<PKind>,
    needed: HashSet<Temp>,
    /// Local arrays' capacities.
    caps: Vec<usize>,
    /// Each `Push`'s element, by the statement's address (a local array of
    /// the device is filled by a literal `[a, b, ..]` in straight-line code).
    push_at: HashMap<usize, usize>,
    names: std::cell::RefCell<Names>,
    /// Functions called in passive code (see `Tr::calls`).
    calls: std::cell::RefCell<Vec<syn::Path>>,
}

fn t(x: Temp) -> String {
    temp_name(x).to_string()
}
fn b(x: Temp) -> String {
    adj_name(x).to_string()
}
fn local(n: usize) -> String {
    crate::names::local(n).to_string()
}
fn local_adj(n: usize) -> String {
    crate::names::local_adj(n).to_string()
}

/// A `Ty`'s C type and its value stack's name.
fn c_ty(ty: Ty, f: &str) -> (String, &'static str) {
    match ty {
        Ty::Float => (f.into(), "gd_sf"),
        Ty::Usize => ("gd_usize".into(), "gd_su"),
        Ty::I32 => ("int".into(), "gd_si"),
        Ty::Bool => ("bool".into(), "gd_sb"),
        _ => (format!("gd_val<{f}>"), "gd_sv"),
    }
}

impl<'a> Printer<'a> {
    fn new(sig: &'a Sig, low: &'a Lowered) -> Result<Self> {
        let f = if sig.float == "f32" { "float" } else { "double" };
        let kinds = sig.params.iter().map(|p| param_kind(p).unwrap()).collect();
        let mut needed = HashSet::new();
        super::sweep::collect_needed(&low.body, &low.temps, &mut needed);
        arr_lens(&low.body, &mut needed);
        let mut p = Printer { sig, low, f, kinds, needed, caps: vec![0; low.locals], push_at: HashMap::new(), names: Default::default(), calls: Default::default() };
        p.plan_arrays(&low.body)?;
        for info in &low.temps {
            if matches!(info.ty, Ty::Tensor | Ty::Pullback) {
                return Err(Error::new(sig.name.span(), "#[differentiable(cuda)]: matrices cannot run on the device"));
            }
        }
        Ok(p)
    }

    /// Capacities of the local arrays: `[x; N]` with N a literal, `[a, b, ..]`.
    fn plan_arrays(&mut self, b: &Block) -> Result<()> {
        for s in b {
            match s {
                Stmt::ArrNew { arr, len, .. } => {
                    let n = self.const_usize(*len).ok_or_else(|| Error::new(self.sig.name.span(), "#[differentiable(cuda)]: a local array on the device has a literal length (`[0.0; 8]`)"))?;
                    self.caps[*arr] = n;
                }
                Stmt::Push { arr, .. } => {
                    self.push_at.insert(s as *const Stmt as usize, self.caps[*arr]);
                    self.caps[*arr] += 1;
                }
                _ => {}
            }
            for c in s.children() {
                self.plan_arrays(c)?;
            }
        }
        Ok(())
    }

    /// The value of a `usize` temporary set from a literal (anywhere in the
    /// body: the lowering reuses an index captured in an enclosing block).
    fn const_usize(&self, x: Temp) -> Option<usize> {
        fn find(b: &Block, x: Temp) -> Option<&TokenStream> {
            b.iter().find_map(|s| match s {
                Stmt::Set { dst, expr } if *dst == x => Some(expr),
                s => s.children().into_iter().find_map(|c| find(c, x)),
            })
        }
        let e: syn::Expr = syn::parse2(find(&self.low.body, x)?.clone()).ok()?;
        match e {
            syn::Expr::Call(c) if c.args.len() == 1 => literal_usize(&c.args[0]),
            e => literal_usize(&e),
        }
    }

    fn tr<R>(&self, f: impl FnOnce(&mut Tr) -> Result<R>) -> Result<R> {
        let (mut names, mut calls) = (self.names.borrow_mut(), self.calls.borrow_mut());
        let mut tr = Tr { float: self.f, names: &mut names, calls: &mut calls };
        f(&mut tr)
    }

    fn params(&self) -> Vec<String> {
        self.sig
            .params
            .iter()
            .zip(&self.kinds)
            .map(|(p, k)| {
                let n = &p.name;
                match k {
                    PKind::Float => format!("{} p_{n}", self.f),
                    PKind::Slice => format!("gd_slice<{}> p_{n}", self.f),
                    PKind::Other(c) => format!("{c} p_{n}"),
                }
            })
            .collect()
    }

    fn print(&self) -> Result<String> {
        let name = &self.sig.name;
        let f = self.f;
        let params = self.params().join(", ");
        let mut out = String::new();
        // The primal.
        self.reset_names();
        let body = self.forward(&self.low.body, false)?;
        writeln!(out, "__device__ {f} gd_{name}({params}) {{\n{}{}{body}return {};\n}}", self.decls(false), self.param_init(), t(self.low.ret)).unwrap();
        // The reverse sweep.
        self.reset_names();
        let fwd = self.forward(&self.low.body, true)?;
        let rev = self.reverse(&self.low.body)?;
        let slots: Vec<String> = self
            .kinds
            .iter()
            .enumerate()
            .map(|(i, k)| if *k == PKind::Float || *k == PKind::Slice { format!("{f}* gd_g{i}") } else { format!("void* gd_g{i}") })
            .collect();
        let mut grads = String::new();
        for (i, pt) in self.low.param_temps.iter().enumerate() {
            if let (Some(x), true) = (pt, self.sig.params[i].wrt) {
                writeln!(grads, "if (gd_g{i}) *gd_g{i} += {};", b(*x)).unwrap();
            }
        }
        writeln!(
            out,
            "__device__ {f} gd_{name}_vjp({params}, {f} gd_seed, {}, int* gd_overflow) {{\nint gd_over = 0;\n{}{}{}{fwd}{} += gd_seed;\n{rev}{grads}if (gd_over && gd_overflow) *gd_overflow = 1;\nreturn {};\n}}",
            slots.join(", "),
            self.decls(true),
            self.stacks(),
            self.param_init(),
            b(self.low.ret),
            t(self.low.ret)
        )
        .unwrap();
        Ok(out)
    }

    fn reset_names(&self) {
        let mut n = self.names.borrow_mut();
        *n = Names::default();
        n.push();
        for p in &self.sig.params {
            n.bind_as(&p.name.to_string(), format!("p_{}", p.name));
        }
    }

    fn param_init(&self) -> String {
        let mut s = String::new();
        for (i, pt) in self.low.param_temps.iter().enumerate() {
            if let Some(x) = pt {
                writeln!(s, "{} = p_{};", t(*x), self.sig.params[i].name).unwrap();
            }
        }
        s
    }

    /// Every temporary (and adjoint, in the reverse sweep) hoisted, zeroed.
    fn decls(&self, adjoints: bool) -> String {
        let mut s = String::new();
        for (i, info) in self.low.temps.iter().enumerate() {
            let x = Temp(i);
            let (ty, _) = c_ty(info.ty, self.f);
            let zero = if matches!(info.ty, Ty::Inferred) { "" } else { " = 0" };
            write!(s, "{ty} {}{zero}; ", t(x)).unwrap();
            if adjoints && info.active {
                write!(s, "{} {} = 0; ", self.f, b(x)).unwrap();
            }
        }
        s.push('\n');
        for (n, cap) in self.caps.iter().enumerate() {
            let cap = (*cap).max(1);
            writeln!(s, "gd_arr<{f}, {cap}> {a}; {a}.n = 0;", f = self.f, a = local(n)).unwrap();
            if adjoints {
                writeln!(s, "gd_arr<{f}, {cap}> {a}; for (int gd_j = 0; gd_j < {cap}; ++gd_j) {a}.v[gd_j] = 0; {a}.n = {cap};", f = self.f, a = local_adj(n)).unwrap();
            }
        }
        s
    }

    /// The value stacks the loops use.
    fn stacks(&self) -> String {
        let mut kinds: Vec<Ty> = Vec::new();
        for l in crate::plan::loops(&self.low.body) {
            for x in self.snapshot(l) {
                let ty = self.low.temps[x.0].ty;
                let ty = if matches!(ty, Ty::Float | Ty::Usize | Ty::I32 | Ty::Bool) { ty } else { Ty::Inferred };
                if !kinds.contains(&ty) {
                    kinds.push(ty);
                }
            }
        }
        kinds
            .into_iter()
            .map(|ty| {
                let (c, s) = c_ty(ty, self.f);
                format!("{c} {s}[GD_STACK]; int {s}_n = 0;\n")
            })
            .collect()
    }

    /// What a trip of `l` pushes: the temporaries its body (nested loops
    /// included: their values after the nested loop) assigns and the
    /// reverse sweep reads, and the loop's carried values at the trip's start.
    fn snapshot(&self, l: &Loop) -> Vec<Temp> {
        let mut out = Vec::new();
        assigned(&l.body, &mut out);
        out.extend(l.backedge.iter().map(|&(h, _)| h));
        let mut seen = HashSet::new();
        out.retain(|x| self.needed.contains(x) && seen.insert(*x));
        out
    }

    fn operand(&self, o: &Operand) -> Result<String> {
        match o {
            Operand::Temp(x) => Ok(t(*x)),
            Operand::Const(c) => self.tr(|tr| tr.expr_ts(c)),
        }
    }

    /// An operand as Rust tokens, for the rule table.
    fn operand_ts(o: &Operand) -> TokenStream {
        match o {
            Operand::Temp(x) => {
                let v = temp_name(*x);
                quote!(#v)
            }
            Operand::Const(c) => quote!((#c)),
        }
    }

    fn arr(&self, a: Arr) -> String {
        match a {
            Arr::Param(i) => format!("p_{}", self.sig.params[i].name),
            Arr::Local(n) => local(n),
        }
    }

    fn forward(&self, block: &Block, record: bool) -> Result<String> {
        let mut o = String::new();
        for s in block {
            match s {
                Stmt::Op { dst, prim, args } => {
                    let a: Vec<TokenStream> = args.iter().map(Self::operand_ts).collect();
                    let f = &self.sig.float;
                    let e = crate::rules::primal(*prim, &a, &quote!(#f), crate::rules::Target::Cuda);
                    writeln!(o, "{} = {};", t(*dst), self.tr(|tr| tr.expr_ts(&e))?).unwrap();
                }
                Stmt::Copy { dst, src } => writeln!(o, "{} = {};", t(*dst), self.operand(src)?).unwrap(),
                Stmt::Load { dst, array, index } => writeln!(o, "{} = {}[{}];", t(*dst), self.arr(*array), t(*index)).unwrap(),
                Stmt::ArrNew { arr, len, init, .. } => {
                    let a = local(*arr);
                    writeln!(o, "{a}.n = {n}; for (gd_usize gd_j = 0; gd_j < {n}; ++gd_j) {a}.v[gd_j] = {v};", n = t(*len), v = self.operand(init)?).unwrap();
                }
                Stmt::Store { arr, index, src } => writeln!(o, "{}[{}] = {};", local(*arr), t(*index), self.operand(src)?).unwrap(),
                Stmt::Push { arr, src } => {
                    let j = self.push_at[&(s as *const Stmt as usize)];
                    writeln!(o, "{a}.v[{j}] = {}; {a}.n = {};", self.operand(src)?, j + 1, a = local(*arr)).unwrap();
                }
                Stmt::AliasArr { name, arr } => self.names.borrow_mut().bind_as(&name.to_string(), local(*arr)),
                Stmt::Set { dst, expr } => {
                    let e = self.tr(|tr| tr.expr_ts(expr))?;
                    writeln!(o, "{} = {e};", t(*dst)).unwrap();
                }
                Stmt::Verbatim(ts) => o.push_str(&self.tr(|tr| tr.stmts_ts(ts))?),
                Stmt::Alias { name, src, .. } => {
                    let c = self.names.borrow_mut().bind(&name.to_string());
                    let (ty, _) = c_ty(self.low.temps[src.0].ty, self.f);
                    writeln!(o, "const {ty} {c} = {};", t(*src)).unwrap();
                }
                Stmt::Call { dst, path, args, .. } => {
                    let a = self.call_args(args)?;
                    writeln!(o, "{} = gd_{}({});", t(*dst), callee(path), a.join(", ")).unwrap();
                }
                Stmt::If { cond, then, els } => {
                    let (a, e) = (self.scoped(|| self.forward(then, record))?, self.scoped(|| self.forward(els, record))?);
                    writeln!(o, "if ({}) {{\n{a}}} else {{\n{e}}}", t(*cond)).unwrap();
                }
                Stmt::Loop(l) => o.push_str(&self.forward_loop(l, record)?),
                Stmt::Scope(inner) => {
                    let inner = self.scoped(|| self.forward(inner, record))?;
                    writeln!(o, "{{\n{inner}}}").unwrap();
                }
                Stmt::Seed { .. } | Stmt::TOp { .. } | Stmt::TMap { .. } | Stmt::CallArr { .. } => {
                    return Err(Error::new(self.sig.name.span(), "#[differentiable(cuda)]: vector and matrix values (and callees returning them) cannot run on the device"))
                }
            }
        }
        Ok(o)
    }

    fn scoped(&self, f: impl FnOnce() -> Result<String>) -> Result<String> {
        self.names.borrow_mut().push();
        let r = f();
        self.names.borrow_mut().pop();
        r
    }

    fn forward_loop(&self, l: &Loop, record: bool) -> Result<String> {
        self.scoped(|| {
            let (head, bind) = match &l.head {
                LoopHead::Loop => ("for (;;)".to_string(), String::new()),
                LoopHead::For { pat, iter } => {
                    let pat = syn::parse::Parser::parse2(syn::Pat::parse_single, pat.clone())?;
                    let iter: syn::Expr = syn::parse2(iter.clone()).map_err(|e| Error::new(span_of(iter), e.to_string()))?;
                    self.tr(|tr| tr.for_head(&pat, &iter))?
                }
            };
            let body = self.forward(&l.body, record)?;
            let mut o = String::new();
            let count = t(l.count);
            if record {
                writeln!(o, "{count} = 0;").unwrap();
            }
            writeln!(o, "{head} {{").unwrap();
            if record {
                writeln!(o, "++{count};").unwrap();
            }
            o.push_str(&bind);
            o.push_str(&body);
            if record {
                for x in self.snapshot(l) {
                    writeln!(o, "GD_PUSH({}, {});", self.stack_of(x), t(x)).unwrap();
                }
            }
            for &(h, e) in &l.backedge {
                writeln!(o, "{} = {};", t(h), t(e)).unwrap();
            }
            writeln!(o, "if ({}) break;\n}}", t(l.brk)).unwrap();
            Ok(o)
        })
    }

    fn stack_of(&self, x: Temp) -> &'static str {
        c_ty(self.low.temps[x.0].ty, self.f).1
    }

    /// A call's arguments in C: a slice for an array (or a sub-slice), the
    /// value otherwise.
    fn call_args(&self, args: &[CallArg]) -> Result<Vec<String>> {
        args.iter()
            .map(|a| {
                Ok(match a {
                    CallArg::Scalar(x) | CallArg::Passive(x) => t(*x),
                    CallArg::Literal(ts) => self.tr(|tr| tr.expr_ts(ts))?,
                    CallArg::Array(arr, _, range) => {
                        let base = match arr {
                            Arr::Param(_) => self.arr(*arr),
                            Arr::Local(n) => format!("gd_slice<{}>({})", self.f, local(*n)),
                        };
                        match range {
                            None => base,
                            Some(SubRange { lo, hi: Some(hi) }) => format!("{base}.sub({}, {})", t(*lo), t(*hi)),
                            Some(SubRange { lo, hi: None }) => format!("{base}.from({})", t(*lo)),
                        }
                    }
                    CallArg::Tensor(_) => return Err(Error::new(self.sig.name.span(), "#[differentiable(cuda)]: matrices cannot run on the device")),
                })
            })
            .collect()
    }

    /// A call's gradient slots: an active value's adjoint, an active
    /// array's gradient (from the sub-slice's start), null otherwise.
    fn call_slots(&self, args: &[CallArg]) -> Vec<String> {
        args.iter()
            .map(|a| match a {
                CallArg::Scalar(x) if self.low.temps[x.0].active => format!("&{}", b(*x)),
                CallArg::Array(arr, _, range) => {
                    let g = match arr {
                        Arr::Param(i) => format!("gd_g{i}"),
                        Arr::Local(n) => format!("{}.v", local_adj(*n)),
                    };
                    match range {
                        Some(r) => format!("({g} ? {g} + {} : 0)", t(r.lo)),
                        None => g,
                    }
                }
                _ => "0".into(),
            })
            .collect()
    }

    fn reverse(&self, block: &Block) -> Result<String> {
        let mut o = String::new();
        for s in block.iter().rev() {
            let active = |x: &Temp| self.low.temps[x.0].active;
            match s {
                Stmt::Op { dst, prim, args } if active(dst) => {
                    let a: Vec<TokenStream> = args.iter().map(Self::operand_ts).collect();
                    let y = temp_name(*dst);
                    let parts = crate::rules::partials(*prim, &a, &quote!(#y), &self.sig.float);
                    let mut terms = String::new();
                    for (arg, p) in args.iter().zip(parts) {
                        if let (Operand::Temp(x), Some(p)) = (arg, p) {
                            if active(x) {
                                writeln!(terms, "{} += {} * gd_a;", b(*x), self.tr(|tr| tr.expr_ts(&p))?).unwrap();
                            }
                        }
                    }
                    writeln!(o, "{{ {f} gd_a = {d}; {d} = 0;\n{terms}}}", f = self.f, d = b(*dst)).unwrap();
                }
                Stmt::Copy { dst, src } if active(dst) => {
                    if let Operand::Temp(x) = src {
                        if active(x) {
                            write!(o, "{} += {}; ", b(*x), b(*dst)).unwrap();
                        }
                    }
                    writeln!(o, "{} = 0;", b(*dst)).unwrap();
                }
                Stmt::Load { dst, array, index } if active(dst) => {
                    let (d, k) = (b(*dst), t(*index));
                    match array {
                        Arr::Param(i) => writeln!(o, "if (gd_g{i}) gd_g{i}[{k}] += {d}; {d} = 0;").unwrap(),
                        Arr::Local(n) => writeln!(o, "{}[{k}] += {d}; {d} = 0;", local_adj(*n)).unwrap(),
                    }
                }
                Stmt::ArrNew { arr, len, init, .. } => {
                    let g = local_adj(*arr);
                    if let Operand::Temp(x) = init {
                        if active(x) {
                            writeln!(o, "for (gd_usize gd_j = 0; gd_j < {}; ++gd_j) {} += {g}.v[gd_j];", t(*len), b(*x)).unwrap();
                        }
                    }
                    writeln!(o, "for (int gd_j = 0; gd_j < {}; ++gd_j) {g}.v[gd_j] = 0;", self.caps[*arr].max(1)).unwrap();
                }
                Stmt::Store { arr, index, src } => {
                    let g = format!("{}[{}]", local_adj(*arr), t(*index));
                    if let Operand::Temp(x) = src {
                        if active(x) {
                            write!(o, "{} += {g}; ", b(*x)).unwrap();
                        }
                    }
                    writeln!(o, "{g} = 0;").unwrap();
                }
                Stmt::Push { arr, src } => {
                    let g = format!("{}.v[{}]", local_adj(*arr), self.push_at[&(s as *const Stmt as usize)]);
                    if let Operand::Temp(x) = src {
                        if active(x) {
                            write!(o, "{} += {g}; ", b(*x)).unwrap();
                        }
                    }
                    writeln!(o, "{g} = 0;").unwrap();
                }
                Stmt::Call { dst, path, args, .. } if active(dst) => {
                    let mut a = self.call_args(args)?;
                    a.push(b(*dst));
                    a.extend(self.call_slots(args));
                    a.push("gd_overflow ? gd_overflow : &gd_over".into());
                    writeln!(o, "gd_{}_vjp({}); {} = 0;", callee(path), a.join(", "), b(*dst)).unwrap();
                }
                Stmt::If { cond, then, els } => {
                    writeln!(o, "if ({}) {{\n{}}} else {{\n{}}}", t(*cond), self.reverse(then)?, self.reverse(els)?).unwrap();
                }
                Stmt::Loop(l) => {
                    let mut pops = String::new();
                    for x in self.snapshot(l).into_iter().rev() {
                        writeln!(pops, "GD_POP({}, {});", self.stack_of(x), t(x)).unwrap();
                    }
                    let mut back = String::new();
                    for &(h, e) in &l.backedge {
                        if active(&h) {
                            writeln!(back, "{} += {}; {} = 0;", b(e), b(h), b(h)).unwrap();
                        }
                    }
                    let r = format!("gd_r{}", l.count.0);
                    writeln!(o, "for (gd_usize {r} = 0; {r} < {}; ++{r}) {{\n{pops}{back}{}}}", t(l.count), self.reverse(&l.body)?).unwrap();
                }
                Stmt::Scope(inner) => writeln!(o, "{{\n{}}}", self.reverse(inner)?).unwrap(),
                _ => {}
            }
        }
        Ok(o)
    }
}

/// The C name of a called function (its last path segment).
fn callee(path: &syn::Path) -> String {
    path.segments.last().unwrap().ident.to_string()
}

/// Every temporary a block assigns, nested blocks included.
fn assigned(b: &Block, out: &mut Vec<Temp>) {
    for s in b {
        out.extend(s.defs());
        for c in s.children() {
            assigned(c, out);
        }
    }
}

/// The fill lengths of local arrays, which their reverse reads.
fn arr_lens(b: &Block, out: &mut HashSet<Temp>) {
    for s in b {
        if let Stmt::ArrNew { len, .. } = s {
            out.insert(*len);
        }
        for c in s.children() {
            arr_lens(c, out);
        }
    }
}
