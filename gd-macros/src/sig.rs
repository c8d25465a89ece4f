//! Reading the signature: the float type, which parameters hold floats, and
//! which of those are differentiated (`wrt`).

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::{spanned::Spanned, Error, FnArg, Pat, Result, ReturnType, Type};

use crate::attr::Attr;

#[derive(Clone, Debug)]
pub enum Class {
    /// `f64` / `f32`.
    Scalar,
    /// `&[F]`, `&Vec<F>`, `Vec<F>`, `[F; N]`, `&[F; N]`.
    Array {
        /// Iterating the parameter itself (`for x in xs`) yields values, not references.
        by_value: bool,
        /// `Some(N)` for fixed-size arrays: their gradient is `[F; N]`.
        len: Option<TokenStream>,
        /// Written as `Vec<F>` / `&Vec<F>` (not a slice or an array).
        vec: bool,
    },
    /// An nalgebra matrix or vector (`DMatrix<F>`, `&DVector<F>`, `SMatrix<F, R, C>`, ..),
    /// or a parameter struct named in `wrt(..)` (`#[derive(gd::Params)]`).
    /// Its gradient is a value of `owned`, the type without the reference.
    Tensor { owned: Type },
    /// Anything else: data, never differentiated.
    Passive,
}

#[derive(Clone)]
pub struct Param {
    pub name: Ident,
    pub ty: Type,
    pub class: Class,
    pub wrt: bool,
}

/// What the function returns.
#[derive(Clone)]
pub enum Output {
    Scalar,
    /// `Vec<F>`.
    Vec,
    /// `[F; N]`.
    Array(TokenStream),
    /// `(F, F, ..)` with this many elements.
    Tuple(usize),
    /// An nalgebra vector or matrix (`DVector<F>`, `SVector<F, N>`, `DMatrix<F>`, ..).
    Tensor,
}

pub struct Sig {
    pub name: Ident,
    pub float: Ident,
    pub params: Vec<Param>,
    pub out: Output,
    /// The return type as written.
    pub ret_ty: Type,
    /// An associated function or method: its API is associated functions
    /// beside it in the `impl` (see `methods`).
    pub in_impl: bool,
}

/// Reads a vector-valued return type: `Vec<F>`, `[F; N]`, `(F, F, ..)`.
fn vector_output(ty: &Type) -> Option<(Output, Ident)> {
    match ty {
        Type::Array(a) => {
            let f = float_of(&a.elem)?;
            let n = &a.len;
            Some((Output::Array(quote!(#n)), f))
        }
        Type::Tuple(t) if t.elems.len() >= 2 => {
            let fs: Vec<Ident> = t.elems.iter().map(float_of).collect::<Option<_>>()?;
            fs.windows(2).all(|w| w[0] == w[1]).then(|| (Output::Tuple(fs.len()), fs[0].clone()))
        }
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            if is_nalgebra(&last.ident) {
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
                let Some(syn::GenericArgument::Type(t)) = args.args.first() else { return None };
                return Some((Output::Tensor, float_of(t)?));
            }
            if last.ident != "Vec" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
            let Some(syn::GenericArgument::Type(t)) = args.args.first() else { return None };
            Some((Output::Vec, float_of(t)?))
        }
        _ => None,
    }
}

/// The float type named by a type, if it is exactly `f32` or `f64`.
fn float_of(ty: &Type) -> Option<Ident> {
    match ty {
        Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let id = &p.path.segments[0].ident;
            (id == "f64" || id == "f32").then(|| id.clone())
        }
        Type::Paren(p) => float_of(&p.elem),
        Type::Group(g) => float_of(&g.elem),
        _ => None,
    }
}

/// Does a type name f32 or f64 anywhere (`&f64`, `(f64, f64)`, `[[f64; 2]; 2]`)?
/// Does a type name an nalgebra matrix or vector anywhere (`&DMatrix<f64>`)?
pub(crate) fn mentions_nalgebra(ty: &Type) -> bool {
    fn go(t: &proc_macro2::TokenTree) -> bool {
        match t {
            proc_macro2::TokenTree::Ident(i) => is_nalgebra(i),
            proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| go(&t)),
            _ => false,
        }
    }
    quote!(#ty).into_iter().any(|t| go(&t))
}

fn mentions_float(ty: &Type) -> bool {
    quote!(#ty).into_iter().any(|t| fn_tt(&t))
}
fn fn_tt(t: &proc_macro2::TokenTree) -> bool {
    match t {
        proc_macro2::TokenTree::Ident(i) => i == "f64" || i == "f32",
        proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| fn_tt(&t)),
        _ => false,
    }
}

/// nalgebra's matrix and vector types (views excluded: they borrow).
pub(crate) fn is_nalgebra(id: &Ident) -> bool {
    let s = id.to_string();
    const PREFIXES: &[&str] = &["DMatrix", "DVector", "RowDVector", "SMatrix", "SVector", "RowSVector", "OMatrix", "OVector", "Matrix", "Vector", "RowVector"];
    PREFIXES.iter().any(|p| s.starts_with(p)) && !s.contains("View") && !s.contains("Slice")
}

/// The type behind a reference.
fn owned(ty: &Type) -> Type {
    match ty {
        Type::Reference(r) => owned(&r.elem),
        Type::Paren(p) => owned(&p.elem),
        t => t.clone(),
    }
}

/// A path type that may be a parameter struct (no float, slice or array).
fn is_struct_like(ty: &Type) -> bool {
    const PRIMITIVE: &[&str] = &["usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128", "bool", "char", "str", "String", "Vec"];
    matches!(owned(ty), Type::Path(p) if p.qself.is_none() && !p.path.segments.last().is_some_and(|s| PRIMITIVE.contains(&s.ident.to_string().as_str())))
}

/// Classifies a parameter type; returns the float type it holds, if any.
fn classify(ty: &Type) -> (Class, Option<Ident>) {
    if let Some(f) = float_of(ty) {
        return (Class::Scalar, Some(f));
    }
    let (inner, by_ref) = match ty {
        Type::Reference(r) => (&*r.elem, true),
        _ => (ty, false),
    };
    match inner {
        Type::Slice(s) if by_ref => {
            if let Some(f) = float_of(&s.elem) {
                return (Class::Array { by_value: false, len: None, vec: false }, Some(f));
            }
        }
        Type::Array(a) => {
            if let Some(f) = float_of(&a.elem) {
                let len = &a.len;
                return (Class::Array { by_value: !by_ref, len: Some(quote!(#len)), vec: false }, Some(f));
            }
        }
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last().unwrap();
            if is_nalgebra(&last.ident) {
                if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                    if let Some(syn::GenericArgument::Type(t)) = args.args.first() {
                        if let Some(f) = float_of(t) {
                            return (Class::Tensor { owned: owned(ty) }, Some(f));
                        }
                    }
                }
            }
            if last.ident == "Vec" {
                if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                    if let Some(syn::GenericArgument::Type(t)) = args.args.first() {
                        if let Some(f) = float_of(t) {
                            return (Class::Array { by_value: !by_ref, len: None, vec: true }, Some(f));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    (Class::Passive, None)
}

/// Does the function name `Self` (its own, not that of an `impl` nested in
/// its body)? Macro arguments count: `Self::K` may be printed.
fn names_self(item: &syn::ItemFn) -> bool {
    struct Find(bool);
    impl<'a> syn::visit::Visit<'a> for Find {
        fn visit_ident(&mut self, i: &'a Ident) {
            self.0 |= i == "Self";
        }
        fn visit_macro(&mut self, m: &'a syn::Macro) {
            self.0 |= crate::syntax::mentions(&m.tokens, &mut |i| i == "Self");
            syn::visit::visit_macro(self, m);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Find(false);
    syn::visit::Visit::visit_signature(&mut f, &item.sig);
    syn::visit::Visit::visit_block(&mut f, &item.block);
    f.0
}

pub fn read(item: &syn::ItemFn, attr: &Attr) -> Result<Sig> {
    let s = &item.sig;
    // `Self`, a receiver, or its place in the source: the function is in
    // an `impl` (see `methods`, `impl_scope`).
    let in_impl = attr.in_impl || names_self(item) || s.receiver().is_some() || crate::impl_scope::inside_impl(&s.ident);
    if in_impl {
        crate::methods::limits(item, attr)?;
    }
    if let Some(c) = &s.constness {
        return Err(Error::new(c.span(), "#[differentiable] does not support `const fn`"));
    }
    if let Some(a) = &s.asyncness {
        return Err(Error::new(a.span(), "#[differentiable] does not support `async fn`"));
    }
    if let Some(u) = &s.unsafety {
        return Err(Error::new(u.span(), "#[differentiable] does not support `unsafe fn`: keep unsafe code in a plain function called with data"));
    }
    // Lifetimes are erased from the parameter types below (the generated
    // functions take them elided); const parameters are added to every
    // generated function (`crate::with_const_generics`); type parameters
    // are not supported.
    if let Some(g) = s.generics.params.iter().find(|g| matches!(g, syn::GenericParam::Type(_))) {
        return Err(Error::new_spanned(
            g,
            "#[differentiable] does not support generic type parameters other than the float type: write the function for f64 or f32, or generic over its float type alone, `fn f<F: gd::Float>(x: &[F]) -> F`",
        ));
    }
    let lifetimes: Vec<&syn::Lifetime> = s.generics.lifetimes().map(|l| &l.lifetime).collect();
    let mut float: Option<Ident> = None;
    let mut unify = |f: Ident, span: Span| -> Result<()> {
        match &float {
            Some(g) if *g != f => Err(Error::new(
                span,
                format!("#[differentiable]: this function mixes {g} and {f}; all differentiated values must share one float type"),
            )),
            _ => {
                float = Some(f);
                Ok(())
            }
        }
    };
    let mut out = Output::Scalar;
    match &s.output {
        ReturnType::Type(_, ty) => match (float_of(ty), vector_output(ty)) {
            (Some(f), _) => unify(f, ty.span())?,
            (None, Some((o, f))) => {
                unify(f, ty.span())?;
                out = o;
            }
            (None, None) => {
                return Err(Error::new_spanned(
                    ty,
                    "#[differentiable] functions must return `f64`/`f32`, or a vector of them: `Vec<F>`, `[F; N]` or a tuple `(F, F, ..)`",
                ))
            }
        },
        ReturnType::Default => {
            return Err(Error::new(
                s.ident.span(),
                "#[differentiable] functions must return a scalar `f64` or `f32`",
            ))
        }
    }
    let mut params = Vec::new();
    for arg in &s.inputs {
        let pt = match arg {
            FnArg::Typed(pt) => pt.clone(),
            // `&self` / `self`: a parameter named `self` of type `&Self` /
            // `Self` (`self: &Self` is how the generated functions declare it).
            FnArg::Receiver(r) => crate::methods::receiver_param(r)?,
        };
        let Pat::Ident(pi) = &*pt.pat else {
            return Err(Error::new(
                pt.pat.span(),
                "#[differentiable] parameters must be plain names (no patterns)",
            ));
        };
        if pi.by_ref.is_some() || pi.subpat.is_some() {
            return Err(Error::new(pt.pat.span(), "#[differentiable] parameters must be plain names"));
        }
        let (class, f) = classify(&pt.ty);
        if let (Some(f), true) = (f, attr.wrt.is_none() || attr.names(&pi.ident)) {
            unify(f, pt.ty.span())?;
        }
        let holds_float = !matches!(class, Class::Passive);
        if !holds_float && attr.wrt.is_none() && mentions_float(&pt.ty) {
            return Err(Error::new_spanned(
                &pt.ty,
                format!(
                    "`{}` holds floats in a type #[differentiable] cannot differentiate (supported: f64, f32, &[F], &Vec<F>, Vec<F>, [F; N], &[F; N], nalgebra matrices, #[derive(gd::Params)] structs named in `wrt(..)`); pass it differently, or name the differentiated parameters with `wrt(..)` to treat it as data",
                    pi.ident
                ),
            ));
        }
        let wrt = match &attr.wrt {
            None => holds_float,
            Some(_) => attr.names(&pi.ident),
        };
        // A struct named in `wrt(..)`: a parameter struct (`#[derive(gd::Params)]`).
        let class = if wrt && !holds_float && is_struct_like(&pt.ty) && !mentions_float(&pt.ty) {
            Class::Tensor { owned: owned(&pt.ty) }
        } else {
            class
        };
        let holds_float = !matches!(class, Class::Passive);
        if wrt && !holds_float {
            return Err(Error::new(
                pt.ty.span(),
                format!(
                    "`{}` cannot be differentiated: supported parameter types are f64, f32, &[F], &Vec<F>, Vec<F>, [F; N], &[F; N], nalgebra matrices and vectors (DMatrix<F>, DVector<F>, SMatrix<F, R, C>, ..), and structs with #[derive(gd::Params)]",
                    pi.ident
                ),
            ));
        }
        params.push(Param { name: pi.ident.clone(), ty: erase_lifetimes(&pt.ty, &lifetimes), class, wrt });
    }
    if let Some(w) = &attr.wrt {
        for (i, n) in w.iter().enumerate() {
            if w[..i].contains(n) {
                return Err(Error::new(n.span(), format!("`{n}` is named twice in `wrt(..)`")));
            }
            if !params.iter().any(|p| p.name == *n) {
                return Err(Error::new(n.span(), format!("`wrt({n})` names no parameter of `{}`", s.ident)));
            }
        }
    }
    if !params.iter().any(|p| p.wrt) {
        return Err(Error::new(
            s.ident.span(),
            "#[differentiable] found no parameter to differentiate: give the function an f64/f32 (or slice, Vec, array of them) parameter",
        ));
    }
    let ret_ty = match &s.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => unreachable!(),
    };
    Ok(Sig { name: s.ident.clone(), float: float.unwrap(), params, out, ret_ty, in_impl })
}

/// `ty` without the function's own lifetime parameters, which the generated
/// functions do not declare: `&'a [f64]` becomes `&[f64]`, `View<'a>`
/// becomes `View<'_>`.
fn erase_lifetimes(ty: &Type, declared: &[&syn::Lifetime]) -> Type {
    struct Erase<'d>(&'d [&'d syn::Lifetime]);
    impl syn::visit_mut::VisitMut for Erase<'_> {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.as_ref().is_some_and(|l| self.0.contains(&l)) {
                r.lifetime = None;
            }
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
        fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
            if self.0.contains(&&*l) {
                *l = syn::Lifetime::new("'_", l.span());
            }
        }
    }
    let mut ty = ty.clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut Erase(declared), &mut ty);
    ty
}

impl Sig {
    /// Does a parameter hold matrices or a parameter struct?
    pub fn has_tensor(&self) -> bool {
        self.params.iter().any(|p| p.wrt && matches!(p.class, Class::Tensor { .. }))
    }

    /// The positions of the differentiated array parameters.
    pub fn wrt_arrays(&self) -> Vec<usize> {
        self.params.iter().enumerate().filter(|(_, p)| p.wrt && matches!(p.class, Class::Array { .. })).map(|(i, _)| i).collect()
    }
}
