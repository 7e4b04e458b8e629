//! Keeps the dependencies of [`super::LAYERS`] pointing one way: reads every source file under
//! `features/` and the shared leaves, and fails — naming each file and what it named — when a
//! capability names one above it (or one on its own row to its left), or a shared leaf names any
//! capability.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::LAYERS;

/// Where a capability sits: (row from the bottom, position from the right within its row). A
/// capability may use another whose rank is lower.
fn rank(capability: &str) -> Option<(usize, usize)> {
    LAYERS.iter().rev().enumerate().find_map(|(row, names)| {
        let position = names.iter().rev().position(|n| *n == capability)?;
        Some((row, position))
    })
}

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The capabilities a file names: `features::x`, and each name of `features::{x, y}`.
fn named_capabilities(source: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in source.match_indices("features::") {
        let rest = &source[at + "features::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                named.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            named.insert(name);
        }
    }
    named.retain(|n| !n.is_empty());
    named
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn violations() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let features = src.join("features");
    let mut problems = Vec::new();
    let mut files = Vec::new();
    source_files(&features, &mut files);
    for file in &files {
        let name = relative(file, &features);
        let Some(owner) = name.split('/').next().filter(|_| name.contains('/')) else {
            continue; // features/mod.rs and this check
        };
        let Some(owner_rank) = rank(owner) else {
            problems.push(format!("features/{owner} is not in features::LAYERS"));
            continue;
        };
        let source = std::fs::read_to_string(file).unwrap_or_default();
        for used in named_capabilities(&source) {
            if used == owner {
                continue;
            }
            match rank(&used) {
                None => problems.push(format!("{name} names features::{used}, not in LAYERS")),
                Some(used_rank) if used_rank >= owner_rank => problems.push(format!(
                    "features/{name} names features::{used}, which is not below {owner}"
                )),
                Some(_) => {}
            }
        }
    }
    // Shared leaves name no capability. `app.rs` is the router: the top of everything.
    let mut leaves = Vec::new();
    source_files(&src, &mut leaves);
    for file in leaves {
        if file.starts_with(&features) || file.ends_with("app.rs") || file.ends_with("lib.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&file).unwrap_or_default();
        for used in named_capabilities(&source) {
            problems.push(format!(
                "{} (a shared leaf) names features::{used}",
                relative(&file, &src)
            ));
        }
    }
    problems
}

#[test]
fn capabilities_only_use_the_ones_below_them() {
    let problems = violations();
    assert!(
        problems.is_empty(),
        "dependencies against features::LAYERS:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_capability_folder_is_in_the_layers() {
    let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/features");
    let folders: BTreeSet<String> = std::fs::read_dir(&features)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let listed: BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|row| row.iter().map(|n| (*n).to_owned()))
        .collect();
    assert_eq!(folders, listed);
}

#[test]
fn the_check_sees_both_forms_of_a_use() {
    let named = named_capabilities(
        "use crate::features::{charges, payment_options};\nlet x = crate::features::links::token;",
    );
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["charges", "links", "payment_options"]
    );
    // A capability above its user is refused; below is fine.
    assert!(rank("charges") > rank("payment_options"));
    assert!(rank("notifications") > rank("links"));
}
