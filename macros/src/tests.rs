//! Unit tests for the expansion logic, run on `proc_macro2` tokens (no
//! compiler invocation needed).

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};

use crate::entry::{expand, expand_main, expand_test, parse_config, Kind};

/// Messages of every `compile_error!` in `tokens`.
fn errors(tokens: &TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    collect_errors(tokens.clone(), &mut found);
    found
}

fn collect_errors(tokens: TokenStream, found: &mut Vec<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                if let (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(group))) =
                    (trees.get(i + 1), trees.get(i + 2))
                {
                    if bang.as_char() == '!' {
                        let lit: syn::LitStr =
                            syn::parse2(group.stream()).expect("compile_error! takes a string");
                        found.push(lit.value());
                    }
                }
            }
            TokenTree::Group(group) => collect_errors(group.stream(), found),
            _ => {}
        }
    }
}

/// Asserts `tokens` holds exactly one compile error and that it contains `needle`.
#[track_caller]
fn assert_single_error(tokens: &TokenStream, needle: &str) {
    let errs = errors(tokens);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:?}\n{tokens}");
    assert!(
        errs[0].contains(needle),
        "error {:?} does not contain {needle:?}",
        errs[0]
    );
}

/// The (single) function item of an expansion.
fn expanded_fn(tokens: &TokenStream) -> syn::ItemFn {
    let file: syn::File = syn::parse2(tokens.clone())
        .unwrap_or_else(|e| panic!("expansion is not valid Rust ({e}):\n{tokens}"));
    let mut fns = file.items.into_iter().filter_map(|item| match item {
        syn::Item::Fn(f) => Some(f),
        _ => None,
    });
    let f = fns.next().expect("expansion contains a fn");
    assert!(fns.next().is_none(), "expansion contains more than one fn");
    f
}

fn contains_ident(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => contains_ident(group.stream(), name),
        _ => false,
    })
}

fn attr_paths(f: &syn::ItemFn) -> Vec<String> {
    f.attrs
        .iter()
        .map(|a| a.path().to_token_stream().to_string().replace(' ', ""))
        .collect()
}

// ---------------------------------------------------------------- valid forms

#[test]
fn main_default_expands_without_worker_threads() {
    let out = expand_main(
        quote!(),
        quote!(
            async fn main() {
                println!("hi");
            }
        ),
    );
    assert!(errors(&out).is_empty(), "{out}");
    let f = expanded_fn(&out);
    assert!(f.sig.asyncness.is_none(), "generated fn must be sync");
    assert_eq!(f.sig.ident, "main");
    assert!(f.sig.inputs.is_empty());
    assert!(attr_paths(&f).is_empty(), "main gets no #[test]");

    let body = f.block.to_token_stream();
    let text = body.to_string();
    assert!(!contains_ident(body.clone(), "worker_threads"), "{text}");
    assert!(
        text.contains(":: corio :: runtime :: Builder :: new ()"),
        "{text}"
    );
    assert!(text.contains("let body = async move {"), "{text}");
    assert!(text.contains("block_on (body)"), "{text}");
    assert!(
        text.contains("\"corio::main: failed to build the runtime\""),
        "{text}"
    );
    assert!(text.contains("println ! (\"hi\")"), "user body kept: {text}");
    // Only the test flavour type-erases the future.
    assert!(!text.contains("pin !"), "{text}");
}

#[test]
fn main_with_worker_threads() {
    let out = expand_main(
        quote!(worker_threads = 4),
        quote!(
            async fn main() {}
        ),
    );
    assert!(errors(&out).is_empty(), "{out}");
    let text = expanded_fn(&out).block.to_token_stream().to_string();
    assert!(text.contains(". worker_threads (4usize)"), "{text}");
    // Applied between `new()` and `build()`.
    let new = text.find("Builder :: new ()").unwrap();
    let threads = text.find("worker_threads").unwrap();
    let build = text.find(". build ()").unwrap();
    assert!(new < threads && threads < build, "{text}");
}

#[test]
fn worker_threads_accepts_trailing_comma_usize_suffix_and_parens() {
    for args in [
        quote!(worker_threads = 2,),
        quote!(worker_threads = 2usize),
        quote!(worker_threads = (2)),
    ] {
        let config = parse_config(Kind::Main, args.clone()).expect("valid");
        assert_eq!(config.worker_threads(), Some(2), "{args}");
    }
    assert_eq!(parse_config(Kind::Test, quote!()).unwrap().worker_threads(), None);
}

#[test]
fn main_keeps_attributes_visibility_and_return_type() {
    let out = expand_main(
        quote!(),
        quote! {
            /// Docs.
            #[allow(unused_variables)]
            pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
                let n: u32 = "1".parse()?;
                if n == 0 {
                    return Ok(());
                }
                Ok(())
            }
        },
    );
    assert!(errors(&out).is_empty(), "{out}");
    let f = expanded_fn(&out);
    assert!(matches!(f.vis, syn::Visibility::Public(_)));
    assert_eq!(attr_paths(&f), ["doc", "allow"]);
    assert_eq!(
        f.sig.output.to_token_stream().to_string().replace(' ', ""),
        "->Result<(),Box<dynstd::error::Error>>"
    );
    let text = f.block.to_token_stream().to_string();
    // `?` and `return` stay inside the async block.
    assert!(
        text.contains("let body = async move { let n : u32 = \"1\" . parse () ? ;"),
        "{text}"
    );
}

#[test]
fn inner_attributes_move_to_the_generated_fn_body() {
    let out = expand_main(
        quote!(),
        quote!(
            async fn main() {
                #![allow(unused)]
                let x = 1;
            }
        ),
    );
    assert!(errors(&out).is_empty(), "{out}");
    let text = out.to_string();
    let inner = text.find("# ! [allow (unused)]").expect("inner attribute kept");
    let body = text.find("let body").unwrap();
    assert!(inner < body, "{text}");
}

#[test]
fn test_default_adds_test_attribute_and_pins() {
    let out = expand_test(
        quote!(),
        quote!(
            async fn it_works() {
                assert!(true);
            }
        ),
    );
    assert!(errors(&out).is_empty(), "{out}");
    let f = expanded_fn(&out);
    assert!(f.sig.asyncness.is_none());
    assert_eq!(attr_paths(&f), ["::core::prelude::v1::test"]);
    let body = f.block.to_token_stream();
    let text = body.to_string();
    assert!(!contains_ident(body, "worker_threads"), "{text}");
    assert!(
        text.contains("\"corio::test: failed to build the runtime\""),
        "{text}"
    );
    assert!(text.contains(":: core :: pin :: pin ! (body)"), "{text}");
    assert!(text.contains("Future < Output = () >"), "{text}");
}

#[test]
fn test_with_worker_threads_keeps_other_attributes() {
    let out = expand_test(
        quote!(worker_threads = 3),
        quote! {
            #[should_panic(expected = "boom")]
            #[ignore]
            async fn panics() { panic!("boom"); }
        },
    );
    assert!(errors(&out).is_empty(), "{out}");
    let f = expanded_fn(&out);
    assert_eq!(
        attr_paths(&f),
        ["::core::prelude::v1::test", "should_panic", "ignore"]
    );
    assert!(f
        .block
        .to_token_stream()
        .to_string()
        .contains(". worker_threads (3usize)"));
}

#[test]
fn test_returning_result_uses_it_as_future_output() {
    let out = expand_test(
        quote!(),
        quote!(
            async fn t() -> Result<(), String> {
                Ok(())
            }
        ),
    );
    assert!(errors(&out).is_empty(), "{out}");
    let text = expanded_fn(&out).block.to_token_stream().to_string();
    assert!(
        text.contains("Future < Output = Result < () , String > >"),
        "{text}"
    );
}

#[test]
fn test_returning_impl_trait_is_not_type_erased() {
    let out = expand_test(
        quote!(),
        quote!(
            async fn t() -> impl std::process::Termination {}
        ),
    );
    assert!(errors(&out).is_empty(), "{out}");
    let text = expanded_fn(&out).block.to_token_stream().to_string();
    assert!(!text.contains("dyn"), "{text}");
    assert!(text.contains("block_on (body)"), "{text}");
}

// --------------------------------------------------------------- error cases

#[test]
fn non_async_fn_is_rejected() {
    for kind in [Kind::Main, Kind::Test] {
        let out = expand(
            kind,
            quote!(),
            quote!(
                fn main() {}
            ),
        );
        assert_single_error(
            &out,
            "the `async` keyword is missing from the function declaration",
        );
        // Still expands to a sync fn so no follow-up errors appear.
        assert!(expanded_fn(&out).sig.asyncness.is_none());
    }
}

#[test]
fn unknown_argument_lists_the_accepted_ones() {
    let out = expand_main(
        quote!(flavor = "current_thread"),
        quote!(
            async fn main() {}
        ),
    );
    assert_single_error(&out, "unknown `#[corio::main]` argument `flavor`");
    assert_single_error(&out, "`worker_threads = <positive integer>`");

    let out = expand_test(
        quote!(workers = 2),
        quote!(
            async fn t() {}
        ),
    );
    assert_single_error(&out, "unknown `#[corio::test]` argument `workers`");
    assert_single_error(&out, "accepted arguments: `worker_threads");
}

#[test]
fn zero_worker_threads_is_rejected() {
    let out = expand_main(
        quote!(worker_threads = 0),
        quote!(
            async fn main() {}
        ),
    );
    assert_single_error(&out, "`worker_threads` must be at least 1");
    // The fallback expansion uses the default configuration.
    assert!(!contains_ident(
        expanded_fn(&out).block.to_token_stream(),
        "worker_threads"
    ));
}

#[test]
fn non_integer_worker_threads_is_rejected() {
    for args in [
        quote!(worker_threads = "4"),
        quote!(worker_threads = 1.5),
        quote!(worker_threads = N),
        quote!(worker_threads = -1),
        quote!(worker_threads = true),
    ] {
        let out = expand_test(
            args.clone(),
            quote!(
                async fn t() {}
            ),
        );
        assert_single_error(&out, "`worker_threads` must be a positive integer literal");
    }
    let out = expand_main(
        quote!(worker_threads = "4"),
        quote!(
            async fn main() {}
        ),
    );
    assert_single_error(&out, "remove the quotes");

    let out = expand_main(
        quote!(worker_threads = 4u8),
        quote!(
            async fn main() {}
        ),
    );
    assert_single_error(&out, "drop the `u8` suffix");

    let out = expand_main(
        quote!(worker_threads = 1000000000000000000000000),
        quote!(
            async fn main() {}
        ),
    );
    assert_single_error(&out, "does not fit in a `usize`");
}

#[test]
fn worker_threads_without_value_is_rejected() {
    for args in [quote!(worker_threads), quote!(worker_threads(4))] {
        let out = expand_main(
            args,
            quote!(
                async fn main() {}
            ),
        );
        assert_single_error(&out, "write `worker_threads = 4`");
    }
}

#[test]
fn duplicate_argument_is_rejected() {
    let out = expand_main(
        quote!(worker_threads = 2, worker_threads = 3),
        quote!(
            async fn main() {}
        ),
    );
    assert_single_error(&out, "duplicate `worker_threads` argument");

    // Also when the first occurrence was itself invalid.
    let out = expand_main(
        quote!(worker_threads = 0, worker_threads = 3),
        quote!(
            async fn main() {}
        ),
    );
    let errs = errors(&out);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[1].contains("duplicate `worker_threads` argument"));
}

#[test]
fn malformed_arguments_are_a_compile_error() {
    let out = expand_main(
        quote!(4),
        quote!(
            async fn main() {}
        ),
    );
    assert_eq!(errors(&out).len(), 1, "{out}");
    let out = expand_main(
        quote!(worker_threads = 4 worker_threads = 5),
        quote!(
            async fn main() {}
        ),
    );
    assert_eq!(errors(&out).len(), 1, "{out}");
}

#[test]
fn main_with_parameters_is_rejected() {
    let out = expand_main(
        quote!(),
        quote!(
            async fn main(port: u16) {}
        ),
    );
    assert_single_error(&out, "`#[corio::main]` functions cannot take arguments");
    assert_single_error(&out, "std::env::args()");
}

#[test]
fn test_with_parameters_is_rejected() {
    let out = expand_test(
        quote!(),
        quote!(
            async fn t(x: u32) {}
        ),
    );
    assert_single_error(&out, "`#[corio::test]` functions cannot take arguments");
}

#[test]
fn test_with_extra_test_attribute_is_rejected() {
    for attr in [quote!(#[test]), quote!(#[::core::prelude::v1::test])] {
        let out = expand_test(quote!(), quote!(#attr async fn t() {}));
        assert_single_error(&out, "already adds `#[test]`");
        // The fallback expansion carries exactly one test attribute.
        assert_eq!(attr_paths(&expanded_fn(&out)), ["::core::prelude::v1::test"]);
    }
}

#[test]
fn non_fn_item_is_rejected_and_kept() {
    let out = expand_main(
        quote!(),
        quote!(
            struct Main;
        ),
    );
    assert_single_error(&out, "can only be applied to an `async fn`");
    assert!(out.to_string().starts_with("struct Main ;"), "{out}");
}

#[test]
fn all_problems_are_reported_together() {
    let out = expand_main(
        quote!(worker_threads = 0, bogus = 1),
        quote!(
            fn main(x: u8) {}
        ),
    );
    let errs = errors(&out);
    assert_eq!(errs.len(), 4, "{errs:?}");
    assert!(errs[0].contains("`async` keyword is missing"));
    assert!(errs[1].contains("cannot take arguments"));
    assert!(errs[2].contains("at least 1"));
    assert!(errs[3].contains("unknown `#[corio::main]` argument `bogus`"));
}

#[test]
fn no_panics_on_garbage() {
    // Whatever the input, the expansion is tokens (possibly errors), never a panic.
    let inputs = [
        (quote!(), quote!()),
        (
            quote!(,),
            quote!(
                async fn main() {}
            ),
        ),
        (
            quote!(= 3),
            quote!(
                async fn main() {}
            ),
        ),
        (
            quote!(worker_threads =),
            quote!(
                async fn main() {}
            ),
        ),
        (quote!(), quote!(async)),
        (quote!(), quote!(impl Foo {})),
    ];
    for (args, item) in inputs {
        for kind in [Kind::Main, Kind::Test] {
            let out = expand(kind, args.clone(), item.clone());
            assert!(!errors(&out).is_empty(), "{args} / {item}: {out}");
        }
    }
}
