//! `#[derive(Params)]`: `gd::Params` for a struct whose fields implement it,
//! in declaration order. The leaves (contiguous runs the optimizers update
//! in place) are the fields' leaves, in the same order. `#[params(skip)]` on a field keeps it out (cloned by
//! `zeros_like`, never flattened); `#[params(crate = "path")]` on the struct
//! names the `gd` crate when it is not `::gd`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Fields, Ident, Member, Result};

const SUPPORTED: &str = "it supports structs with named fields (`struct S { w: DMatrix<f64>, .. }`) and tuple structs (`struct S(Vec<f64>, ..)`) whose fields implement `gd::Params`";

struct Field {
    member: Member,
    ty: syn::Type,
    span: Span,
    skip: bool,
}

pub fn derive(input: TokenStream) -> Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let krate = crate_path(&input.attrs)?;
    let fields = match &input.data {
        Data::Struct(s) => read_fields(&s.fields)?,
        Data::Enum(e) => {
            return Err(Error::new(
                e.enum_token.span,
                format!("#[derive(Params)] does not support enums: {SUPPORTED}"),
            ))
        }
        Data::Union(u) => {
            return Err(Error::new(
                u.union_token.span,
                format!("#[derive(Params)] does not support unions: {SUPPORTED}"),
            ))
        }
    };

    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut where_clause = where_clause.cloned().unwrap_or_else(|| syn::parse_quote!(where));
    // Bounds for generic fields only; a concrete field type without `Params`
    // is reported at the field by the calls below.
    let type_params: Vec<&Ident> = input.generics.type_params().map(|p| &p.ident).collect();
    for f in &fields {
        if mentions(f.ty.to_token_stream(), &type_params) {
            let ty = &f.ty;
            let bound = if f.skip { quote!(::core::clone::Clone) } else { quote!(#krate::Params) };
            where_clause.predicates.push(syn::parse_quote_spanned!(f.span=> #ty: #bound));
        }
    }

    let active: Vec<&Field> = fields.iter().filter(|f| !f.skip).collect();
    // zeros_like: every field in place; skipped ones cloned.
    let inits = fields.iter().map(|f| {
        let m = &f.member;
        let ty = &f.ty;
        if f.skip {
            quote_spanned!(f.span=> #m: <#ty as ::core::clone::Clone>::clone(&self.#m))
        } else {
            quote_spanned!(f.span=> #m: <#ty as #krate::Params>::zeros_like(&self.#m))
        }
    });
    let call = |f: &Field, method: &str, args: TokenStream| {
        let ty = &f.ty;
        let method = Ident::new(method, f.span);
        quote_spanned!(f.span=> <#ty as #krate::Params>::#method(#args))
    };
    let num = sum(active.iter().map(|f| {
        let m = &f.member;
        call(f, "num_params", quote!(&self.#m))
    }), quote!(0usize));
    let flatten = active.iter().map(|f| {
        let m = &f.member;
        call(f, "flatten_into", quote!(&self.#m, __gd_out))
    });
    let read = active.iter().map(|f| {
        let m = &f.member;
        call(f, "read_from", quote!(&mut self.#m, &__gd_src[__gd_n..]))
    });
    let axpy = active.iter().map(|f| {
        let m = &f.member;
        call(f, "axpy", quote!(&mut self.#m, __gd_a, &__gd_x.#m))
    });
    let scale = active.iter().map(|f| {
        let m = &f.member;
        call(f, "scale", quote!(&mut self.#m, __gd_a))
    });
    let set_zero = active.iter().map(|f| {
        let m = &f.member;
        call(f, "set_zero", quote!(&mut self.#m))
    });
    // Leaves: each field's in turn, paired with the gradient's same field.
    let zip_leaves = active.iter().map(|f| {
        let m = &f.member;
        call(f, "zip_leaves", quote!(&mut self.#m, &__gd_g.#m, __gd_f))
    });
    let for_each_leaf = active.iter().map(|f| {
        let m = &f.member;
        call(f, "for_each_leaf", quote!(&self.#m, __gd_f))
    });
    let dot = sum(active.iter().map(|f| {
        let m = &f.member;
        call(f, "dot", quote!(&self.#m, &__gd_x.#m))
    }), quote!(0.0f64));

    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Params for #name #ty_generics #where_clause {
            #[inline]
            fn zeros_like(&self) -> Self {
                Self { #(#inits,)* }
            }
            #[inline]
            fn num_params(&self) -> usize {
                #num
            }
            #[inline]
            fn flatten_into(&self, __gd_out: &mut ::std::vec::Vec<f64>) {
                #(#flatten;)*
            }
            #[inline]
            fn read_from(&mut self, __gd_src: &[f64]) -> usize {
                let mut __gd_n = 0usize;
                #(__gd_n += #read;)*
                __gd_n
            }
            #[inline]
            fn axpy(&mut self, __gd_a: f64, __gd_x: &Self) {
                #(#axpy;)*
            }
            #[inline]
            fn scale(&mut self, __gd_a: f64) {
                #(#scale;)*
            }
            #[inline]
            fn set_zero(&mut self) {
                #(#set_zero;)*
            }
            #[inline]
            fn dot(&self, __gd_x: &Self) -> f64 {
                #dot
            }
            #[inline]
            fn zip_leaves(
                &mut self,
                __gd_g: &Self,
                __gd_f: &mut #krate::runtime::leaves::LeafPairFn<'_>,
            ) -> ::core::result::Result<(), #krate::runtime::GdError> {
                #(#zip_leaves?;)*
                ::core::result::Result::Ok(())
            }
            #[inline]
            fn for_each_leaf(&self, __gd_f: &mut #krate::runtime::leaves::LeafFn<'_>) {
                #(#for_each_leaf;)*
            }
        }
    })
}

/// `a + b + ..`, or `zero` for no terms.
fn sum(terms: impl Iterator<Item = TokenStream>, zero: TokenStream) -> TokenStream {
    let terms: Vec<TokenStream> = terms.collect();
    if terms.is_empty() {
        zero
    } else {
        quote!(#(#terms)+*)
    }
}

fn read_fields(fields: &Fields) -> Result<Vec<Field>> {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let member = match &f.ident {
            Some(id) => Member::Named(id.clone()),
            None => Member::Unnamed(syn::Index { index: i as u32, span: f.ty.span() }),
        };
        out.push(Field { member, ty: f.ty.clone(), span: f.ty.span(), skip: field_skip(&f.attrs)? });
    }
    Ok(out)
}

/// `#[params(skip)]` on a field.
fn field_skip(attrs: &[syn::Attribute]) -> Result<bool> {
    let mut skip = false;
    for a in attrs.iter().filter(|a| a.path().is_ident("params")) {
        a.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                skip = true;
                Ok(())
            } else {
                Err(meta.error("unknown #[params] argument on a field: expected `skip`"))
            }
        })?;
    }
    Ok(skip)
}

/// `#[params(crate = "path")]` on the struct; `::gd` otherwise.
fn crate_path(attrs: &[syn::Attribute]) -> Result<TokenStream> {
    let mut krate = quote!(::gd);
    for a in attrs.iter().filter(|a| a.path().is_ident("params")) {
        a.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let s: syn::LitStr = meta.value()?.parse()?;
                let p: syn::Path = s.parse()?;
                krate = quote!(#p);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown #[params] argument on a struct: expected `crate = \"path\"` (`skip` goes on a field)",
                ))
            }
        })?;
    }
    Ok(krate)
}

/// Whether `ts` names one of the struct's type parameters.
fn mentions(ts: TokenStream, params: &[&Ident]) -> bool {
    !params.is_empty()
        && ts.into_iter().any(|t| match t {
            TokenTree::Ident(id) => params.iter().any(|p| **p == id),
            TokenTree::Group(g) => mentions(g.stream(), params),
            _ => false,
        })
}
