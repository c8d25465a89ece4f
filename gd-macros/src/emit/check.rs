//! `#[differentiable(check(x = 1.0, ys = [..]))]`: a `#[test]` (written in
//! the generated module, moved beside the function as `f_gradient_check` by
//! `scope.rs`) that compares the generated gradient with central finite
//! differences (`gd::runtime::check_gradient`) at each point the user gives, so
//! that `cargo test` in the user's crate checks every annotated function.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Error, Result};

use crate::sig::{Class, Sig};

pub fn generate(sig: &Sig, points: &[Vec<(syn::Ident, syn::Expr)>], krate: &TokenStream) -> Result<TokenStream> {
    if points.is_empty() {
        return Ok(TokenStream::new());
    }
    let name = &sig.name;
    if !matches!(sig.out, crate::sig::Output::Scalar) {
        return Err(Error::new(name.span(), "#[differentiable(check(..))] checks gradients of scalar functions; check a vector-valued one through a scalar function of its output"));
    }
    if sig.float != "f64" {
        return Err(Error::new(
            sig.float.span(),
            "#[differentiable(check(..))] compares against f64 finite differences: use it on f64 functions",
        ));
    }
    let mut bodies = Vec::new();
    for point in points {
        for (n, _) in point {
            if !sig.params.iter().any(|p| p.name == *n) {
                return Err(Error::new(n.span(), format!("`check({n} = ..)` names no parameter of `{name}`")));
            }
        }
        // Values of every parameter at this point.
        let mut lets = TokenStream::new();
        let mut flat = TokenStream::new();
        let mut args = Vec::new();
        let mut sizes = Vec::new();
        let mut grads = Vec::new();
        let mut k = 0usize;
        // Offset of the next differentiated parameter in the flat vector.
        let mut off = quote!(0usize);
        for p in &sig.params {
            let Some((_, value)) = point.iter().find(|(n, _)| *n == p.name) else {
                return Err(Error::new(
                    p.name.span(),
                    format!("`check(..)` must give a value for every parameter of `{name}`; `{}` is missing", p.name),
                ));
            };
            let v = format_ident!("__gd_at_{}", p.name);
            lets.extend(quote!(let #v = #value;));
            if !p.wrt {
                args.push(quote!(#v));
                continue;
            }
            let n = format_ident!("__gd_n{}", k);
            let g = format_ident!("__gd_gpart{}", k);
            match &p.class {
                Class::Scalar => {
                    lets.extend(quote!(let #n: usize = 1;));
                    flat.extend(quote!(__gd_x.push(#v);));
                    args.push(quote!(__gd_p[#off]));
                    grads.push(quote!(&mut #g[0]));
                }
                Class::Array { by_value, len, vec } => {
                    lets.extend(quote!(let #n: usize = #krate::__private::flat_len(&#v);));
                    flat.extend(quote!(__gd_x.extend(#krate::__private::flat_values(&#v));));
                    let slice = quote!(&__gd_p[#off..#off + #n]);
                    let owned = match (len, vec) {
                        (Some(len), _) => quote!(<[f64; #len]>::try_from(#slice).unwrap()),
                        (None, true) => quote!(#slice.to_vec()),
                        (None, false) => slice.clone(),
                    };
                    args.push(match (by_value, len.is_some() || *vec) {
                        (true, _) | (false, false) => owned,
                        (false, true) => quote!(&#owned),
                    });
                    grads.push(quote!(#g));
                }
                Class::Passive | Class::Tensor { .. } => unreachable!(),
            }
            sizes.push(quote!(#n));
            off = quote!(#off + #n);
            k += 1;
        }
        let gnames: Vec<_> = (0..sizes.len()).map(|i| format_ident!("__gd_gpart{}", i)).collect();
        bodies.push(quote! {{
            #lets
            let mut __gd_x: ::std::vec::Vec<f64> = ::std::vec::Vec::new();
            #flat
            let __gd_sizes = [#(#sizes),*];
            let __gd_report = #krate::runtime::check_gradient(
                |__gd_p: &[f64], __gd_g: &mut [f64]| -> f64 {
                    __gd_g.fill(0.0);
                    let mut __gd_parts = #krate::__private::split_parts(__gd_g, &__gd_sizes).into_iter();
                    #(let #gnames = __gd_parts.next().unwrap();)*
                    value_and_grad_into(#(#args,)* #(#grads),*)
                },
                &__gd_x,
                #krate::runtime::GradCheckOptions::default(),
            );
            if let ::core::result::Result::Err(e) = __gd_report {
                panic!("gradient check of `{}` failed: {}", stringify!(#name), e);
            }
        }});
    }
    Ok(quote! {
        #[cfg(test)]
        #[test]
        fn gradient_check() {
            #(#bodies)*
        }
    })
}
