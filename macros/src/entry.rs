//! Parsing and expansion behind `#[corio::main]` and `#[corio::test]`.
//!
//! Everything here works on [`proc_macro2::TokenStream`] so that it can be
//! unit-tested without a compiler invocation; `lib.rs` only converts between
//! `proc_macro` and `proc_macro2` tokens.
//!
//! Failures never panic: they become `compile_error!` invocations (via
//! [`syn::Error::to_compile_error`]) spanned at the offending tokens. When the
//! item is a function but the arguments or the signature are wrong, the
//! function is still expanded (with the default configuration) next to the
//! error, so that rustc adds as few follow-up diagnostics as possible (no
//! "`main` function is not allowed to be `async`", no "`main` function not
//! found") and IDEs keep working.

use proc_macro2::{Delimiter, Group, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{AttrStyle, Attribute, Expr, ExprLit, ItemFn, Lit, Meta, ReturnType, Token};

/// The argument names accepted inside `#[corio::main(...)]` / `#[corio::test(...)]`.
pub(crate) const ACCEPTED_ARGS: &[&str] = &["worker_threads"];

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute as the user writes it, for error messages.
    pub(crate) fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[corio::main]",
            Kind::Test => "#[corio::test]",
        }
    }

    /// The macro path, used in the runtime build failure message.
    fn path(self) -> &'static str {
        match self {
            Kind::Main => "corio::main",
            Kind::Test => "corio::test",
        }
    }
}

/// The validated attribute arguments.
#[derive(Clone, Debug, Default)]
pub(crate) struct Config {
    /// `worker_threads = N`, with the span of the literal `N`.
    pub(crate) worker_threads: Option<(usize, Span)>,
}

impl Config {
    /// The configured worker count, if any (test helper / readability).
    #[cfg(test)]
    pub(crate) fn worker_threads(&self) -> Option<usize> {
        self.worker_threads.map(|(n, _)| n)
    }
}

/// Entry point of `#[corio::main]`.
pub(crate) fn expand_main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args, item)
}

/// Entry point of `#[corio::test]`.
pub(crate) fn expand_test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Test, args, item)
}

/// Shared driver: parse the item, validate it and the arguments, expand.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func = match parse_item(kind, item.clone()) {
        Ok(func) => func,
        // Not a function at all: hand the item back untouched plus the error.
        Err(err) => return with_error(item, err),
    };

    // Collect every problem so the user sees all of them in one build.
    let mut errors = Vec::new();
    if let Err(err) = check_signature(kind, &func) {
        errors.push(err);
    }
    let config = match parse_config(kind, args) {
        Ok(config) => config,
        Err(err) => {
            errors.push(err);
            Config::default()
        }
    };

    if kind == Kind::Test {
        // Already reported by `check_signature`; dropping it keeps rustc from
        // adding a "duplicated attribute" warning to our error.
        func.attrs.retain(|attr| !is_test_attr(attr));
    }

    let expanded = expand_fn(kind, func, &config);
    match combine(errors) {
        None => expanded,
        Some(err) => with_error(expanded, err),
    }
}

/// Parses the annotated item as a function, with a clear message when it is
/// some other kind of item.
pub(crate) fn parse_item(kind: Kind, item: TokenStream) -> syn::Result<ItemFn> {
    match syn::parse2::<syn::Item>(item)? {
        syn::Item::Fn(func) => Ok(func),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "the `{}` attribute can only be applied to an `async fn`",
                kind.attr()
            ),
        )),
    }
}

/// Checks the parts of the function signature the macro depends on.
pub(crate) fn check_signature(kind: Kind, func: &ItemFn) -> syn::Result<()> {
    let mut errors = Vec::new();
    let sig = &func.sig;

    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }

    if !sig.inputs.is_empty() || sig.variadic.is_some() {
        let msg = match kind {
            Kind::Main => format!(
                "`{}` functions cannot take arguments; remove the parameters \
                 (read command-line arguments with `std::env::args()`)",
                kind.attr()
            ),
            Kind::Test => format!(
                "`{}` functions cannot take arguments; remove the parameters",
                kind.attr()
            ),
        };
        let err = if sig.inputs.is_empty() {
            syn::Error::new_spanned(&sig.variadic, msg)
        } else {
            syn::Error::new_spanned(&sig.inputs, msg)
        };
        errors.push(err);
    }

    if kind == Kind::Test {
        if let Some(attr) = func.attrs.iter().find(|attr| is_test_attr(attr)) {
            errors.push(syn::Error::new_spanned(
                attr,
                "`#[corio::test]` already adds `#[test]`; remove this attribute",
            ));
        }
    }

    match combine(errors) {
        None => Ok(()),
        Some(err) => Err(err),
    }
}

/// `#[test]`, `#[core::prelude::v1::test]`, `#[::std::prelude::rust_2021::test]`, ...
fn is_test_attr(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [only] => only == "test",
        [root, .., last] => last == "test" && (root == "core" || root == "std"),
        [] => false,
    }
}

/// Parses and validates the attribute arguments: `` (nothing) or
/// `worker_threads = <positive integer literal>`.
pub(crate) fn parse_config(kind: Kind, args: TokenStream) -> syn::Result<Config> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut config = Config::default();
    let mut seen = Vec::new();
    let mut errors = Vec::new();
    for meta in metas {
        if let Err(err) = apply_arg(kind, &mut config, &mut seen, meta) {
            errors.push(err);
        }
    }
    match combine(errors) {
        None => Ok(config),
        Some(err) => Err(err),
    }
}

/// Applies one argument; `seen` holds the names already given (even invalid
/// ones), so a repeated name is reported as a duplicate.
fn apply_arg(kind: Kind, config: &mut Config, seen: &mut Vec<String>, meta: Meta) -> syn::Result<()> {
    let path = meta.path().clone();
    if !path.is_ident("worker_threads") {
        let name = path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::");
        let accepted = ACCEPTED_ARGS
            .iter()
            .map(|arg| format!("`{arg} = <positive integer>`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(syn::Error::new_spanned(
            path,
            format!(
                "unknown `{}` argument `{name}`; accepted arguments: {accepted}, \
                 e.g. `#[{}(worker_threads = 4)]`",
                kind.attr(),
                kind.path(),
            ),
        ));
    }

    if seen.iter().any(|name| name == "worker_threads") {
        return Err(syn::Error::new_spanned(
            path,
            "duplicate `worker_threads` argument; specify it only once",
        ));
    }
    seen.push("worker_threads".to_owned());

    let value = match meta {
        Meta::NameValue(nv) => nv.value,
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "`worker_threads` requires a value: write `worker_threads = 4`",
            ))
        }
    };

    let threads = parse_worker_threads(&value)?;
    config.worker_threads = Some((threads, value.span()));
    Ok(())
}

fn parse_worker_threads(value: &Expr) -> syn::Result<usize> {
    const EXPECTED: &str = "`worker_threads` must be a positive integer literal, e.g. `worker_threads = 4`";

    let lit = match value {
        Expr::Lit(ExprLit { lit, attrs }) if attrs.is_empty() => lit,
        // `(4)` or a macro-generated invisible group around a literal.
        Expr::Group(group) => return parse_worker_threads(&group.expr),
        Expr::Paren(paren) => return parse_worker_threads(&paren.expr),
        other => return Err(syn::Error::new_spanned(other, EXPECTED)),
    };

    let int = match lit {
        Lit::Int(int) => int,
        Lit::Str(s) if s.value().trim().parse::<usize>().is_ok() => {
            return Err(syn::Error::new_spanned(
                s,
                format!(
                    "{EXPECTED}; remove the quotes: `worker_threads = {}`",
                    s.value().trim()
                ),
            ))
        }
        other => return Err(syn::Error::new_spanned(other, EXPECTED)),
    };

    // syn folds `-1` into a single negative literal.
    if int.base10_digits().starts_with('-') {
        return Err(syn::Error::new_spanned(int, EXPECTED));
    }

    if !matches!(int.suffix(), "" | "usize") {
        return Err(syn::Error::new_spanned(
            int,
            format!(
                "`worker_threads` is a `usize`; drop the `{}` suffix",
                int.suffix()
            ),
        ));
    }

    let threads: usize = int.base10_parse().map_err(|_| {
        syn::Error::new_spanned(
            int,
            "`worker_threads` does not fit in a `usize`; use a smaller positive integer",
        )
    })?;

    if threads == 0 {
        return Err(syn::Error::new_spanned(
            int,
            "`worker_threads` must be at least 1; use a positive integer, or remove the \
             argument to use the default (`CORIO_WORKER_THREADS`, else the number of CPUs)",
        ));
    }
    Ok(threads)
}

/// Generates the synchronous function.
///
/// ```text
/// #[::core::prelude::v1::test]          // `#[corio::test]` only
/// #(outer attributes)*
/// #vis fn #name() #ret {
///     #(inner attributes)*
///     let body = async move #user_block;
///     // test only: pin `body` and erase it to `Pin<&mut dyn Future<Output = #ret>>`
///     #[allow(...)]
///     {
///         return ::corio::runtime::Builder::new()
///             .worker_threads(N)              // only when given
///             .build()
///             .expect("corio::main: failed to build the runtime")
///             .block_on(body);
///     }
/// }
/// ```
pub(crate) fn expand_fn(kind: Kind, func: ItemFn, config: &Config) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = func;
    sig.asyncness = None;

    let (outer, inner): (Vec<Attribute>, Vec<Attribute>) = attrs
        .into_iter()
        .partition(|attr| matches!(attr.style, AttrStyle::Outer));

    // rustc reports a return-type mismatch at the generated `return`; give
    // that code the span of the user's last statement so the error points at
    // user code rather than at the attribute.
    let tail_span = last_stmt_span(&block);

    let mut builder = quote_spanned! {tail_span=> ::corio::runtime::Builder::new() };
    if let Some((threads, span)) = config.worker_threads {
        let mut lit = Literal::usize_suffixed(threads);
        lit.set_span(span);
        builder = quote_spanned! {tail_span=> #builder.worker_threads(#lit) };
    }
    let expect_msg = format!("{}: failed to build the runtime", kind.path());

    // Keep the user's braces (and thus their spans) inside the async block.
    let user_block = block.to_token_stream();
    let mut stmts = quote! {
        let body = async move #user_block;
    };

    if kind == Kind::Test {
        // Type-erase the future so every test shares one `block_on`
        // instantiation. Skipped when the return type mentions `impl Trait`,
        // which is not allowed in a `dyn Future<Output = ...>` position.
        let output = match &sig.output {
            ReturnType::Default => Some(quote! { () }),
            ReturnType::Type(_, ty) if !mentions_impl(ty.to_token_stream()) => Some(ty.to_token_stream()),
            ReturnType::Type(..) => None,
        };
        if let Some(output) = output {
            stmts.extend(quote_spanned! {tail_span=>
                let body = ::core::pin::pin!(body);
                let body: ::core::pin::Pin<
                    &mut dyn ::core::future::Future<Output = #output>,
                > = body;
            });
        }
    }

    // The explicit `return` makes the runtime temporary drop before the
    // function's locals, instead of after them as a tail expression would.
    stmts.extend(quote_spanned! {tail_span=>
        #[allow(
            clippy::expect_used,
            clippy::diverging_sub_expression,
            clippy::needless_return
        )]
        {
            return #builder
                .build()
                .expect(#expect_msg)
                .block_on(body);
        }
    });

    let mut fn_body = Group::new(
        Delimiter::Brace,
        quote! {
            #(#inner)*
            #stmts
        },
    );
    fn_body.set_span(block.brace_token.span.join());

    let header = match kind {
        Kind::Main => TokenStream::new(),
        Kind::Test => quote! { #[::core::prelude::v1::test] },
    };

    quote! {
        #header
        #(#outer)*
        #vis #sig #fn_body
    }
}

/// Span of the user's last statement (its last token), or of the closing
/// brace for an empty body.
fn last_stmt_span(block: &syn::Block) -> Span {
    block
        .stmts
        .last()
        .and_then(|stmt| stmt.to_token_stream().into_iter().last())
        .map_or_else(|| block.brace_token.span.close(), |tt| tt.span())
}

/// Whether a type's tokens contain the `impl` keyword anywhere.
fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

fn combine(errors: Vec<syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, err| {
        all.combine(err);
        all
    })
}

fn with_error(mut tokens: TokenStream, err: syn::Error) -> TokenStream {
    tokens.extend(err.to_compile_error());
    tokens
}
