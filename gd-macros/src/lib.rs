//! `#[differentiable]`: compile-time automatic differentiation of ordinary Rust
//! functions by source transformation.
//!
//! Pipeline: `sig` reads the signature, `lower` turns the body into a small IR
//! (the only pass that sees syn; activity is decided there), `rules` holds the
//! one table of local derivatives, and `emit` writes forward mode (jvp),
//! reverse mode (vjp, with a value stack for loops) and the public API.
//! Users depend on the `gd` crate, which re-exports this macro.

use proc_macro::TokenStream;
use quote::quote;

mod attr;
mod derive_params;
mod emit;
mod ir;
mod lower;
mod plan;
mod rules;
mod sig;
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
            // Keep the user's function so that its other uses still type-check.
            let mut out: proc_macro2::TokenStream = input.into();
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
    let attr = attr::parse(args)?;
    let item: syn::ItemFn = match syn::parse2(input.clone()) {
        Ok(i) => i,
        Err(_) => {
            return Err(syn::Error::new_spanned(
                input,
                "#[differentiable] applies to free functions (`fn name(x: f64, ..) -> f64 { .. }`)",
            ))
        }
    };
    KRATE.with(|k| *k.borrow_mut() = attr.krate.clone());
    let sig = sig::read(&item, &attr)?;
    if sig.has_tensor() {
        tensor_limits(&sig, &attr)?;
    }
    let check = emit::check::generate(&sig, &attr.checks, &attr.krate)?;
    let generated = match &attr.rule {
        Some(rule) => emit::custom::generate(&item, &sig, rule, check)?,
        None => {
            let low = lower::lower_fn(&sig, &item.block)?;
            emit::api::generate(&item, &sig, &low, check)
        }
    };
    // For maintainers: `GD_DUMP=name cargo build` prints what a function expands to.
    if std::env::var("GD_DUMP").is_ok_and(|n| sig.name == n) {
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
