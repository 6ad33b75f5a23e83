//! The workspace's shape (docs/architecture.md, "Crates"): no module imports a sibling that
//! imports it back, the domain crate links no AWS, HTTP, Lambda or JWT crate, workers link no
//! HTTP edge, and no function links HTTP/2. Read from the sources and `Cargo.lock`, so it holds for every build.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("the tests crate has a parent directory"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The workspace members, from the root manifest's `members = [...]`.
fn members() -> Vec<PathBuf> {
    let manifest = read(&workspace_root().join("Cargo.toml"));
    let list = manifest
        .split_once("members = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .unwrap_or_else(|| panic!("the workspace manifest lists its members"));
    list.split(',')
        .map(|member| member.trim().trim_matches('"'))
        .filter(|member| !member.is_empty())
        .map(|member| workspace_root().join(member))
        .collect()
}

// ---- crates, from Cargo.lock ----

/// Every package `root` reaches in `Cargo.lock`. The lock file lists the dependencies of every
/// feature, so this over-approximates a build: a crate absent here is absent from every build.
fn reaches(root: &str) -> BTreeSet<String> {
    let lock = read(&workspace_root().join("Cargo.lock"));
    let mut dependencies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let Some(name) = package
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .map(|name| name.trim_matches('"').to_string())
        else {
            continue;
        };
        let listed = package
            .split_once("dependencies = [")
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(list, _)| list)
            .unwrap_or("");
        let names = listed.split(',').filter_map(|entry| {
            let entry = entry.trim().trim_matches('"');
            entry.split(' ').next().filter(|name| !name.is_empty())
        });
        dependencies
            .entry(name)
            .or_default()
            .extend(names.map(str::to_string));
    }
    let mut reached = BTreeSet::new();
    let mut pending = vec![root.to_string()];
    while let Some(name) = pending.pop() {
        if reached.insert(name.clone()) {
            pending.extend(dependencies.get(&name).into_iter().flatten().cloned());
        }
    }
    assert!(reached.len() > 1, "{root} is not in Cargo.lock");
    reached
}

fn assert_links_none(package: &str, forbidden: &[&str]) {
    let reached = reaches(package);
    let linked: Vec<&&str> = forbidden
        .iter()
        .filter(|name| reached.contains(**name))
        .collect();
    assert!(linked.is_empty(), "{package} reaches {linked:?}");
}

#[test]
fn the_domain_crate_links_no_aws_http_lambda_or_jwt_crate() {
    let reached = reaches("payments-domain");
    let adapters: Vec<&String> = reached
        .iter()
        .filter(|name| {
            // aws-lc-rs is the crypto library, not the SDK.
            [
                "aws-sdk-",
                "aws-smithy-",
                "aws-config",
                "aws-runtime",
                "aws-types",
                "aws_lambda",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
                || name.starts_with("lambda")
                || ["axum", "hyper", "http", "tower", "jsonwebtoken"].contains(&name.as_str())
        })
        .collect();
    assert!(adapters.is_empty(), "payments-domain reaches {adapters:?}");
}

#[test]
fn workers_link_no_http_edge() {
    for worker in [
        "instruction-worker",
        "refund-worker",
        "mandate-worker",
        "reward-worker",
        "sweep",
    ] {
        assert_links_none(
            worker,
            &["axum", "lambda_http", "jsonwebtoken", "payments-http"],
        );
    }
}

/// Each non-workspace package with its features, as `cargo tree` resolves the whole workspace
/// along `edges`.
fn resolved_features(edges: &str) -> BTreeSet<String> {
    let root = workspace_root().display().to_string();
    cargo_tree(&["--workspace", "--format", "{p} [{f}]", "--edges", edges])
        .lines()
        .filter(|line| !line.contains(&root))
        .map(|line| line.trim_end_matches(" (*)").to_owned())
        .collect()
}

/// `cargo tree` at the workspace root, with `args`, one package a line.
fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running cargo tree: {e}"));
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A build at the workspace root, as `sam build` makes one (`cargo lambda build --bin <function>`
/// there), selects the functions and their shared crates (`default-members`), and they link
/// neither HTTP/2 (`h2`) nor the SDK's own HTTP client: they reach AWS over HTTP/1.1 with theirs
/// (docs/decisions/0022). Either one back would add about 0.6 MiB to every package.
#[test]
fn a_build_at_the_root_links_every_function_and_no_http2() {
    let tree = cargo_tree(&["--format", "{p}", "--edges", "normal,build"]);
    let packages: BTreeSet<&str> = tree
        .lines()
        .filter_map(|line| line.split(' ').next())
        .collect();
    let functions: Vec<String> = members()
        .iter()
        .filter(|member| member.parent().and_then(Path::file_name) == Some("functions".as_ref()))
        .filter_map(|member| member.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    assert!(functions.len() > 10, "{functions:?}");
    let missing: Vec<&String> = functions
        .iter()
        .filter(|function| !packages.contains(function.as_str()))
        .collect();
    assert!(missing.is_empty(), "not built at the root: {missing:?}");
    let linked: Vec<&&str> = ["h2", "aws-smithy-http-client", "aws-config"]
        .iter()
        .filter(|name| packages.contains(**name))
        .collect();
    assert!(linked.is_empty(), "a build at the root links {linked:?}");
}

/// `cargo test --workspace` resolves features with the dev-dependencies, `make dev` and
/// `cargo lambda watch` without: a dev-dependency that adds a feature to a shared crate (tokio's
/// `test-util`, say) makes a clean `make test` compile that crate, and the SDK above it, twice.
#[test]
fn tests_and_make_dev_share_one_build_of_the_dependencies() {
    let with_dev = resolved_features("normal,build,dev");
    let without = resolved_features("normal,build");
    let only_in_tests: Vec<&String> = with_dev.difference(&without).collect();
    let changed: Vec<&String> = only_in_tests
        .iter()
        .filter(|line| {
            let package = line.split(" [").next().unwrap_or_default();
            without
                .iter()
                .any(|other| other.split(" [").next() == Some(package))
        })
        .copied()
        .collect();
    assert!(
        changed.is_empty(),
        "features only test builds enable, on crates make dev builds too: {changed:?}"
    );
}

// ---- modules, from the sources ----

/// A module's path inside its crate: `["mandates", "registration"]`.
type ModulePath = Vec<String>;

/// The module a source file defines: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`; the crate
/// root (`lib.rs`, `main.rs`, `src/bin/*`) is the empty path.
fn module_of(src: &Path, file: &Path) -> Option<ModulePath> {
    let relative = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if parts.first().map(String::as_str) == Some("bin") {
        return None;
    }
    let file_name = parts.pop()?;
    let stem = file_name.strip_suffix(".rs")?;
    let crate_root = parts.is_empty() && matches!(stem, "lib" | "main");
    if stem != "mod" && !crate_root {
        parts.push(stem.to_string());
    }
    Some(parts)
}

/// Source without comment lines and without inline `#[cfg(test)] mod … { … }` blocks: test
/// code may reach anywhere.
fn production_code(source: &str) -> String {
    let mut code = String::new();
    let mut test_depth: Option<i32> = None;
    let mut pending_cfg_test = false;
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if let Some(depth) = test_depth.as_mut() {
            *depth += brace_balance(line);
            if *depth <= 0 {
                test_depth = None;
            }
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]") {
            pending_cfg_test = true;
            continue;
        }
        if pending_cfg_test && trimmed.starts_with("mod ") && trimmed.contains('{') {
            let depth = brace_balance(line);
            test_depth = (depth > 0).then_some(depth);
            pending_cfg_test = false;
            continue;
        }
        pending_cfg_test = false;
        code.push_str(line);
        code.push('\n');
    }
    code
}

fn brace_balance(line: &str) -> i32 {
    line.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

/// Every path a file names through `crate::`, `super::` or `self::`, with `use` groups
/// (`crate::{a::b, c}`) expanded, as absolute module paths plus the item names after them.
fn named_paths(module: &ModulePath, code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut index = 0;
    while index < bytes.len() {
        let rest: String = bytes[index..bytes.len().min(index + 7)].iter().collect();
        let preceded_by_ident = index > 0
            && (bytes[index - 1].is_alphanumeric()
                || bytes[index - 1] == '_'
                || bytes[index - 1] == ':');
        let start = if preceded_by_ident {
            None
        } else if rest.starts_with("crate::") {
            Some((Vec::new(), 7))
        } else if rest.starts_with("super::") {
            Some((parent_of(module), 7))
        } else if rest.starts_with("self::") {
            Some((module.clone(), 6))
        } else {
            None
        };
        match start {
            Some((prefix, skip)) => {
                index = parse_path(&bytes, index + skip, prefix, module, &mut paths);
            }
            None => index += 1,
        }
    }
    paths
}

fn parent_of(module: &ModulePath) -> ModulePath {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// Reads `a::b::{c, d::e}` from `index`, pushing each full path; returns where it stopped.
fn parse_path(
    chars: &[char],
    mut index: usize,
    mut prefix: Vec<String>,
    module: &ModulePath,
    paths: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        if chars.get(index) == Some(&'{') {
            index += 1;
            loop {
                while chars
                    .get(index)
                    .is_some_and(|c| c.is_whitespace() || *c == ',')
                {
                    index += 1;
                }
                match chars.get(index) {
                    None => return index,
                    Some('}') => return index + 1,
                    _ => {}
                }
                let before = index;
                index = parse_path(chars, index, prefix.clone(), module, paths);
                if index == before {
                    index += 1;
                }
            }
        }
        let start = index;
        while chars
            .get(index)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        {
            index += 1;
        }
        let segment: String = chars[start..index].iter().collect();
        match segment.as_str() {
            "" => break,
            "super" => prefix = parent_of(&prefix),
            "self" if prefix.is_empty() => prefix = module.clone(),
            "self" => {}
            _ => prefix.push(segment),
        }
        if chars.get(index) == Some(&':') && chars.get(index + 1) == Some(&':') {
            index += 2;
        } else {
            break;
        }
    }
    paths.push(prefix);
    index
}

/// The longest known module a path starts with.
fn resolve(path: &[String], modules: &BTreeSet<ModulePath>) -> ModulePath {
    (0..=path.len())
        .rev()
        .map(|length| path[..length].to_vec())
        .find(|candidate| modules.contains(candidate))
        .unwrap_or_default()
}

/// Edges between sibling modules: a file in `a::x` naming something in `a::y` is `a::x → a::y`.
/// Naming an ancestor or a descendant is not an edge (a parent re-exports its children, whose
/// items it names, and children use their parent's).
fn sibling_edges(src: &Path) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let files = rust_files(src);
    let modules: BTreeSet<ModulePath> = files
        .iter()
        .filter_map(|file| module_of(src, file))
        .collect();
    let mut edges: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(src, file) else {
            continue;
        };
        if module.iter().any(|part| part == "tests") {
            continue;
        }
        for named in named_paths(&module, &production_code(&read(file))) {
            let target = resolve(&named, &modules);
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common == module.len() || common == target.len() {
                continue;
            }
            edges
                .entry(module[..=common].to_vec())
                .or_default()
                .insert(target[..=common].to_vec());
        }
    }
    edges
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// One cycle in `edges`, if there is any.
fn find_cycle(edges: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Option<Vec<ModulePath>> {
    fn visit(
        node: &ModulePath,
        edges: &BTreeMap<ModulePath, BTreeSet<ModulePath>>,
        path: &mut Vec<ModulePath>,
        done: &mut BTreeSet<ModulePath>,
    ) -> Option<Vec<ModulePath>> {
        if let Some(position) = path.iter().position(|seen| seen == node) {
            let mut cycle = path[position..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_a_sibling_that_imports_it_back() {
    let mut cycles = Vec::new();
    for member in members() {
        let src = member.join("src");
        if let Some(cycle) = find_cycle(&sibling_edges(&src)) {
            let names: Vec<String> = cycle
                .iter()
                .map(|module| format!("crate::{}", module.join("::")))
                .collect();
            cycles.push(format!("{}: {}", member.display(), names.join(" → ")));
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

/// The checker itself: a cycle through a `use` group and `super::` is found, parent and child
/// naming each other is not a cycle, and neither comments nor test modules count.
#[test]
fn the_cycle_check_sees_groups_and_super_and_skips_comments_and_tests() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("workspace-shape-{}-{nanos}", std::process::id()));
    let write = |path: &str, text: &str| {
        let file = dir.join(path);
        let parent = file.parent().expect("a file in the temporary crate");
        std::fs::create_dir_all(parent).expect("creating the temporary crate");
        std::fs::write(&file, text).expect("writing the temporary crate");
    };
    write("lib.rs", "mod a;\nmod b;\n");
    write("a/mod.rs", "mod flow;\nmod store;\npub use flow::run;\n");
    write("a/flow.rs", "use super::{store::Load, Thing};\n");
    write(
        "a/store.rs",
        "use crate::a::Thing;\n// see crate::a::flow::run\n#[cfg(test)]\nmod tests {\n    use crate::a::flow;\n}\n",
    );
    write("b.rs", "use crate::a::run;\nfn g() { self::h(); }\n");
    assert_eq!(find_cycle(&sibling_edges(&dir)), None);

    write("a/store.rs", "use crate::a::{flow::run, Thing};\n");
    let cycle = find_cycle(&sibling_edges(&dir)).map(|cycle| cycle.len());
    assert_eq!(cycle, Some(3), "a::flow → a::store → a::flow");

    write("a/store.rs", "fn f() { crate::b::g(); }\n");
    assert!(find_cycle(&sibling_edges(&dir)).is_some(), "a → b → a");
    std::fs::remove_dir_all(&dir).expect("removing the temporary crate");
}
