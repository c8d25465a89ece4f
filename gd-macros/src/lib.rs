//! `#[differentiable]`: compile-time automatic differentiation of ordinary Rust
//! functions by source transformation.
//!
//! Pipeline: sig → lower → plan → emit.
//!
//! - `sig` reads the signature: the float type, which parameters are
//!   differentiated and how they are passed, the output.
//! - `lower` turns the body into the small IR of `ir` (`ir::Lowered`): the
//!   only pass that sees syn; activity is decided there, and `rules` /
//!   `tensor_rules` hold the one table of local derivatives it draws on.
//! - `plan` annotates the IR with the decisions: what to save and what to
//!   replay (recompute, retake, checkpoint), which loops fuse their reverse
//!   into the forward sweep, which gradient writes assign instead of add
//!   (window, carry), which rows are taken as slices, which folds select.
//! - `emit` only prints: forward mode (jvp), reverse mode (vjp, with a value
//!   stack for loops), the dual and lane copies, CUDA, and the public API,
//!   as the plan says.
//!
//! Imports run one way, lower → plan → emit: `lower` imports neither `plan`
//! nor `emit`, `plan` imports neither `lower` nor `emit` (it sees only the
//! IR), and `emit` uses the types of `ir`, `plan` and `lower`. What two
//! stages share lives in neutral modules (`ir`; `names` for generated
//! variables' names; `syntax` for questions asked of the user's tokens:
//! which names they read, `strip`), not in one of them. The test `tests::imports_run_one_way` below keeps it so.
//! Users depend on the `gd` crate, which re-exports this macro.

use proc_macro::TokenStream;
use quote::quote;

mod attr;
mod cuda_check;
mod derive_params;
mod emit;
mod generic_float;
mod impl_scope;
mod ir;
mod lower;
mod methods;
mod names;
mod plan;
mod rules;
mod scope;
mod sig;
mod syntax;
mod tensor_rules;

thread_local! {
    static KRATE: std::cell::RefCell<proc_macro2::TokenStream> = std::cell::RefCell::new(quote!(::gd));
}

/// The path of the `gd` crate as seen from the user's code.
pub(crate) fn krate() -> proc_macro2::TokenStream {
    KRATE.with(|k| k.borrow().clone())
}

/// Differentiates a function at compile time. See the `gd` crate's documentation.
#[proc_macro_attribute]
pub fn differentiable(args: TokenStream, input: TokenStream) -> TokenStream {
    match expand(args.into(), input.clone().into()) {
        Ok(ts) => ts.into(),
        Err(e) => {
            // Keep the user's function so that its other uses still type-check
            // (without the `#[checkpoint]`s, which rustc does not know).
            let input: proc_macro2::TokenStream = input.into();
            let mut out = match syn::parse2::<syn::ItemFn>(input.clone()) {
                Ok(mut item) => {
                    attr::strip_checkpoints(&mut item);
                    quote!(#item)
                }
                Err(_) => input,
            };
            out.extend(e.to_compile_error());
            out.into()
        }
    }
}

/// `gd::Params` for a parameter struct: its fields flattened in declaration
/// order; `#[params(skip)]` keeps a field out (cloned by `zeros_like`),
/// `#[params(crate = "path")]` names the `gd` crate. See `gd::runtime::params`.
#[proc_macro_derive(Params, attributes(params))]
pub fn derive_params(input: TokenStream) -> TokenStream {
    derive_params::derive(input.into()).unwrap_or_else(|e| e.to_compile_error()).into()
}

fn expand(args: proc_macro2::TokenStream, input: proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream> {
    // On an `impl`: marks the functions inside (see `methods::mark_impl`).
    if let Ok(imp) = syn::parse2::<syn::ItemImpl>(input.clone()) {
        return methods::mark_impl(args, imp);
    }
    let attr = attr::parse(args.clone())?;
    let item: syn::ItemFn = match syn::parse2(input.clone()) {
        Ok(i) => i,
        Err(_) => {
            return Err(syn::Error::new_spanned(
                input,
                "#[differentiable] applies to functions (`fn name(x: f64, ..) -> f64 { .. }`), free or in an `impl`, and to an inherent `impl` (marking the functions inside)",
            ))
        }
    };
    KRATE.with(|k| *k.borrow_mut() = attr.krate.clone());
    // `fn f<F: gd::Float>`: differentiated once per precision.
    if let Some(param) = generic_float::float_param(&item) {
        let in_impl = attr.in_impl || impl_scope::inside_impl(&item.sig.ident);
        return generic_float::expand(args, item, param, &attr.krate, in_impl, expand);
    }
    let sig = sig::read(&item, &attr)?;
    if sig.has_tensor() {
        tensor_limits(&sig, &attr)?;
    }
    let check = emit::check::generate(&sig, &attr.checks, &attr.krate)?;
    if attr.cuda {
        if attr.rule.is_some() {
            return Err(syn::Error::new(sig.name.span(), "#[differentiable(cuda)]: a function with a custom rule (`value_and_grad = ..`) has no body to print for the device"));
        }
        emit::cuda::check_sig(&sig)?;
        cuda_check::check(&item, &sig.float)?;
    }
    let generated = match &attr.rule {
        Some(rule) => {
            // The body is not differentiated, so a `#[checkpoint]` in it
            // would do nothing: say so rather than drop it.
            if let Some(a) = attr::strip_checkpoints(&mut item.clone()) {
                return Err(syn::Error::new_spanned(a, "#[checkpoint] has no effect in a function with a custom rule (`value_and_grad = ..`): the rule gives the gradient and the body is not differentiated; remove the attribute"));
            }
            emit::custom::generate(&item, &sig, rule, attr.hvp_rule.as_ref(), check)?
        }
        None => {
            let low = lower::lower_fn(&sig, &item.block)?;
            plan::checkpoint::check(&low.body, &low.temps)?;
            // `cuda`: the device source joins the API's items (`emit::cuda`).
            let check = if attr.cuda {
                let device = emit::cuda::generate(&sig, &low)?;
                quote!(#check #device)
            } else {
                check
            };
            emit::api::generate(&item, &sig, &low, check)
        }
    };
    let generated = with_const_generics(generated, &item)?;
    let mut item = item;
    attr::strip_checkpoints(&mut item);
    let generated = if sig.in_impl {
        methods::module_to_assoc(generated, &sig.name, &item.vis)?
    } else {
        scope::module_to_impl(generated, &sig.name)?
    };
    // For maintainers: `GD_DUMP=name cargo build` prints what a function
    // expands to (`GD_DUMP=a,b`: each of several).
    if std::env::var("GD_DUMP").is_ok_and(|n| n.split(',').any(|n| sig.name == n)) {
        eprintln!("{generated}");
    }
    Ok(quote!(#item #generated))
}

/// What functions of matrices and parameter structs do not support yet.
fn tensor_limits(sig: &sig::Sig, attr: &attr::Attr) -> syn::Result<()> {
    let why = if !attr.checks.is_empty() {
        "`check(..)` needs literal values; for matrix or struct parameters, check the gradient in a test with gd::runtime::check_gradient"
    } else if attr.rule.is_some() {
        "custom rules (`value_and_grad = ..`) take float and slice parameters only"
    } else {
        return Ok(());
    };
    Err(syn::Error::new(sig.name.span(), format!("#[differentiable]: {why}")))
}

/// `fn f<const N: usize>(x: [f64; N])`: the generated functions are generic
/// over the same const parameters, added in one pass over the expansion so
/// that the emitters need not thread them through each signature they write,
/// and calls between them name them (`::<N>`). A function that takes the
/// arrays as slices (the dual copy, which callers' second-order code also
/// calls) could not have `N` inferred: it binds `N` to the length of the
/// parameter it sizes instead.
fn with_const_generics(generated: proc_macro2::TokenStream, item: &syn::ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    use quote::ToTokens;
    use syn::visit_mut::VisitMut;
    let consts: Vec<syn::ConstParam> = item.sig.generics.const_params().cloned().collect();
    if consts.is_empty() {
        return Ok(generated);
    }
    let mentions = |ts: proc_macro2::TokenStream, c: &syn::Ident| syntax::mentions(&ts, &mut |i| i == c);
    // For each const parameter, the position of a parameter whose type it sizes.
    let sized_by: Vec<Option<usize>> = consts
        .iter()
        .map(|c| item.sig.inputs.iter().position(|a| matches!(a, syn::FnArg::Typed(t) if mentions(t.ty.to_token_stream(), &c.ident))))
        .collect();
    let mut file: syn::File = syn::parse2(generated)?;
    // Which generated functions become generic: those whose parameters
    // still carry the sizes.
    let mut generic = Vec::new();
    let mut visit = |f: &mut syn::ItemFn| {
        let inputs = f.sig.inputs.to_token_stream();
        let sized = consts.iter().any(|c| mentions(inputs.clone(), &c.ident));
        if sized || f.sig.ident == "__gd_uses_primal" {
            // The lanes copies are generic over their lane count already
            // (`emit::lanes`), which callers leave to inference: so they
            // must leave `N` to it too (it sizes one of the arguments).
            let lanes = f.sig.generics.const_params().any(|c| c.ident == "__GD_K");
            f.sig.generics.params.extend(consts.iter().cloned().map(syn::GenericParam::Const));
            if !lanes {
                generic.push(f.sig.ident.clone());
            }
            return;
        }
        for (c, k) in consts.iter().zip(&sized_by) {
            let param = k.and_then(|k| f.sig.inputs.iter().nth(k));
            if let Some(syn::FnArg::Typed(t)) = param {
                let (n, p) = (&c.ident, &t.pat);
                f.block.stmts.insert(0, syn::parse_quote!(#[allow(non_snake_case)] let #n: usize = #p.len();));
            }
        }
    };
    for it in &mut file.items {
        match it {
            syn::Item::Fn(f) => visit(f),
            syn::Item::Mod(m) => {
                for it in m.content.iter_mut().flat_map(|(_, c)| c.iter_mut()) {
                    if let syn::Item::Fn(f) = it {
                        visit(f);
                    }
                }
            }
            _ => {}
        }
    }
    struct Name<'c> {
        consts: &'c [syn::ConstParam],
        primal: &'c syn::Ident,
        generic: &'c [syn::Ident],
        in_mod: bool,
    }
    impl VisitMut for Name<'_> {
        fn visit_item_fn_mut(&mut self, f: &mut syn::ItemFn) {
            if f.sig.ident == "__gd_uses_primal" {
                let (name, args) = (self.primal, self.consts.iter().map(|c| &c.ident));
                *f.block = syn::parse_quote!({ let _ = super::#name::<#(#args),*>; });
            }
            syn::visit_mut::visit_item_fn_mut(self, f);
        }
        fn visit_item_mod_mut(&mut self, m: &mut syn::ItemMod) {
            self.in_mod = true;
            syn::visit_mut::visit_item_mod_mut(self, m);
            self.in_mod = false;
        }
        // `g(..)`, `super::g(..)` for a generated `g` that is generic: in the
        // module (all generated), or `__gd_*` beside the user's code, whose
        // calls of their own `grad` say are not ours.
        fn visit_path_mut(&mut self, p: &mut syn::Path) {
            let own = match p.segments.len() {
                1 => self.in_mod || p.segments[0].ident.to_string().starts_with("__gd_"),
                2 => p.segments[0].ident == "super",
                _ => false,
            };
            let last = p.segments.last_mut().unwrap();
            if own && last.arguments.is_none() && self.generic.contains(&last.ident) {
                let args = self.consts.iter().map(|c| &c.ident);
                last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(::<#(#args),*>));
            }
            syn::visit_mut::visit_path_mut(self, p);
        }
    }
    Name { consts: &consts, primal: &item.sig.ident, generic: &generic, in_mod: false }.visit_file_mut(&mut file);
    Ok(quote!(#file))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `.rs` file under `dir`, with its path.
    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }

    /// The passes import one way, lower → plan → emit (see the crate's doc):
    /// a path to `emit` or `plan` in lower/ (`crate::emit::..`,
    /// `super::super::plan`, `use crate::{emit::..}`), or to `emit` or
    /// `lower` in plan/, is a circle back. Checked on the code's text, comments left out.
    #[test]
    fn imports_run_one_way() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut bad = vec![];
        // `super::emit` too: from lower/sugar/, `super::super::emit` is the same edge.
        for (dir, forbidden) in [("lower", &["emit", "plan"][..]), ("plan", &["emit", "lower"][..])] {
            let mut files = vec![];
            sources(&src.join(dir), &mut files);
            assert!(!files.is_empty(), "no sources under src/{dir}");
            for (path, text) in &files {
                for (n, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap();
                    let grouped = code.trim_start().starts_with("use crate::{");
                    let edge = |m: &&str| {
                        ["crate::", "super::"].iter().any(|p| code.contains(&format!("{p}{m}")))
                            || (grouped && code.contains(&format!("{m}::")))
                    };
                    if forbidden.iter().any(edge) {
                        bad.push(format!("{path}:{}: {}", n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "imports must run lower → plan → emit:\n{}", bad.join("\n"));
    }
}
