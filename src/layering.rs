//! The shape of the code, checked: the layers import only downwards (edge → service → db →
//! core), the JSON API and the pages never import each other, and no two modules import each
//! other in a circle. Read from the source text, so a violation fails `cargo test`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `src/edge/api/users.rs` → `edge::api::users`; `src/edge/api/mod.rs` → `edge::api`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).filter(|p| *p != "mod" && *p != "lib").collect();
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module paths a file names with `crate::` or `super::`, resolved to absolute paths.
fn references(module: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for (start, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
            let preceded_by_ident = code[..start].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
            if preceded_by_ident {
                continue;
            }
            let chain: Vec<&str> = code[start..]
                .split("::")
                .map_while(|part| {
                    let ident: &str = part.split(|c: char| !(c.is_alphanumeric() || c == '_')).next()?;
                    (!ident.is_empty()).then_some(ident)
                })
                .collect();
            // `super` is the parent of the module the file defines (`mod.rs` included).
            let mut path: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
            let mut rest = chain.as_slice();
            if rest.first() == Some(&"crate") {
                path.clear();
                rest = &rest[1..];
            }
            while rest.first() == Some(&"super") {
                path.pop();
                rest = &rest[1..];
            }
            path.extend(rest.iter().copied());
            found.push(path.join("::"));
        }
    }
    found
}

struct Tree {
    /// Module → the modules it names.
    uses: BTreeMap<String, BTreeSet<String>>,
}

fn read_tree() -> Tree {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut uses = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let named: BTreeSet<String> = references(&module, &text)
            .into_iter()
            .filter_map(|path| {
                // The longest module that the path starts with.
                let parts: Vec<&str> = path.split("::").collect();
                (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains(m))
            })
            .collect();
        uses.insert(module, named);
    }
    Tree { uses }
}

fn within(module: &str, prefix: &str) -> bool {
    module == prefix || module.starts_with(&format!("{prefix}::"))
}

#[test]
fn layers_import_only_downwards() {
    let tree = read_tree();
    let forbidden: &[(&str, &[&str])] = &[
        ("core", &["db", "service", "edge"]),
        ("settings", &["db", "service", "edge"]),
        ("db", &["service", "edge"]),
        ("service", &["edge"]),
        ("edge::api", &["edge::pages"]),
        ("edge::pages", &["edge::api"]),
    ];
    let mut wrong = Vec::new();
    for (module, named) in &tree.uses {
        for (layer, below) in forbidden {
            if within(module, layer) {
                for target in named {
                    if below.iter().any(|b| within(target, b)) {
                        wrong.push(format!("{module} uses {target}"));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layering: {wrong:#?}");
    assert!(tree.uses.get("service::users").is_some_and(|u| u.contains("db::users")), "the scan finds imports");
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let tree = read_tree();
    // Edges between modules that are not parent and child (a parent declares its children).
    let edges: BTreeMap<&str, Vec<&str>> = tree
        .uses
        .iter()
        .map(|(from, named)| {
            let to = named.iter().map(String::as_str).filter(|to| !within(from, to) && !within(to, from)).collect();
            (from.as_str(), to)
        })
        .collect();
    // Depth-first search for a back edge.
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = stack.iter().position(|n| *n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node);
            return Some(circle);
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        let mut stack = Vec::new();
        if let Some(circle) = visit(node, &edges, &mut stack, &mut done) {
            panic!("modules import each other in a circle: {}", circle.join(" → "));
        }
    }
}
