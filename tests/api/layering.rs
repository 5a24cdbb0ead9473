//! Layers point one way. A feature's services take a database handle and return outcomes; they
//! never reach for the bot, the HTTP server, the Telegram client or the rendering of replies.
//! Storage knows nothing above it, and the domain knows nothing at all. This test reads the
//! sources and fails when an import breaks the rule, so it keeps holding as features arrive.

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
};

/// Feature folders: each holds bot handlers (`bot.rs` or `bot/`), services, and the edge modules
/// listed in [`EDGES`].
const FEATURES: &[&str] = &["relay", "billing", "accounts", "admin", "messaging"];

/// Modules of a feature that talk to Telegram or Stripe themselves (a webhook, a job that
/// charges a card, a refund through the payment provider, an admin lookup through
/// `getChatMember`). They may use the Telegram client and delivery, never the bot or HTTP.
const EDGES: &[&str] = &[
    "billing/checkout.rs",
    "billing/recharge.rs",
    "billing/refunds.rs",
    "billing/stripe.rs",
    "admin/access.rs",
    "relay/copy.rs",
    "messaging/notify.rs",
    "messaging/invoice_notify.rs",
    "messaging/order_notify.rs",
    "messaging/drip_runner.rs",
];

/// What no module below the bot may import.
const ABOVE_SERVICES: &[&str] = &[
    "bot", "http", "delivery", "telegram", "context", "app", "sandbox",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments (line comments, doc comments), so prose naming a module does
/// not count as an import.
fn code_of(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal (a URL) is rare here; keep what precedes it.
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names from the crate root, as its first two segments (`relay::bot`,
/// `delivery`, …): `crate::a::b` as well as each entry of `crate::{a::b, c, d::{…}}`.
fn imports(source: &str) -> BTreeSet<String> {
    let code = code_of(source);
    let bytes: Vec<char> = code.chars().collect();
    let mut out = BTreeSet::new();
    let needle: Vec<char> = "crate::".chars().collect();
    let mut i = 0;
    while i + needle.len() <= bytes.len() {
        if bytes[i..i + needle.len()] != needle[..] {
            i += 1;
            continue;
        }
        let before = if i == 0 { ' ' } else { bytes[i - 1] };
        i += needle.len();
        if before.is_alphanumeric() || before == '_' {
            continue;
        }
        if bytes.get(i) == Some(&'{') {
            // A group: its body up to the matching brace.
            let mut depth = 0;
            let mut body = String::new();
            while i < bytes.len() {
                let c = bytes[i];
                i += 1;
                match c {
                    '{' if depth == 0 => depth = 1,
                    '{' => {
                        depth += 1;
                        body.push(c);
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                        body.push(c);
                    }
                    _ => body.push(c),
                }
            }
            group(&body, &mut out);
        } else {
            let rest: String = bytes[i..].iter().take(200).collect();
            if let Some(p) = head(&rest) {
                out.insert(p);
            }
        }
    }
    out
}

/// The entries of a group body (`a::b, c, {d, e}`), a nested group without prefix included.
fn group(body: &str, out: &mut BTreeSet<String>) {
    let mut depth = 0;
    let mut entry = String::new();
    let mut entries = Vec::new();
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            entries.push(std::mem::take(&mut entry));
        } else {
            entry.push(c);
        }
    }
    entries.push(entry);
    for e in entries {
        let e = e.trim();
        if let Some(inner) = e.strip_prefix('{').and_then(|e| e.strip_suffix('}')) {
            group(inner, out);
        } else if let Some(p) = head(e) {
            out.insert(p);
        }
    }
}

/// The first two segments of a path (`a::b` of `a::b::c`), or the first alone.
fn head(path: &str) -> Option<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let first = ident(path);
    if first.is_empty() {
        return None;
    }
    let rest = &path[first.len()..];
    match rest.strip_prefix("::") {
        Some(r) if !r.starts_with('{') => {
            let second = ident(r);
            if second.is_empty() {
                Some(first)
            } else {
                Some(format!("{first}::{second}"))
            }
        }
        _ => Some(first),
    }
}

/// The module a file belongs to, relative to `src/` (`relay/gate.rs`).
fn rel(path: &Path) -> String {
    path.strip_prefix(src())
        .expect("under src")
        .to_string_lossy()
        .replace('\\', "/")
}

/// Bot handlers: `bot.rs`, `bot/…`, and a feature's `bot_<topic>.rs` modules.
fn is_bot_side(rel: &str) -> bool {
    rel.ends_with("/bot.rs")
        || rel.contains("/bot/")
        || rel
            .rsplit('/')
            .next()
            .is_some_and(|file| file.starts_with("bot_"))
}

/// The imports of `rel` that its layer forbids.
fn violations(rel: &str, names: &BTreeSet<String>) -> Vec<String> {
    let top = |n: &String| n.split("::").next().unwrap_or_default().to_owned();
    let feature_bot = |n: &String| {
        FEATURES
            .iter()
            .any(|f| n == &format!("{f}::bot") || n.starts_with(&format!("{f}::bot::")))
    };
    let folder = rel.split('/').next().unwrap_or_default();
    let mut forbidden: Vec<&str> = Vec::new();
    let mut no_feature_bots = true;
    if folder == "domain" {
        forbidden.extend(ABOVE_SERVICES);
        forbidden.extend(["storage", "services", "jobs"]);
        forbidden.extend(FEATURES);
    } else if folder == "storage" {
        forbidden.extend(ABOVE_SERVICES);
        forbidden.extend(["services", "jobs"]);
        forbidden.extend(FEATURES);
    } else if folder == "services" {
        forbidden.extend(ABOVE_SERVICES);
        forbidden.extend(FEATURES);
    } else if FEATURES.contains(&folder) {
        if is_bot_side(rel) {
            // Handlers may use anything but the HTTP server, the app and the sandbox.
            forbidden.extend(["http", "app", "sandbox"]);
            no_feature_bots = false;
        } else if EDGES.contains(&rel) {
            forbidden.extend(["bot", "http", "app", "sandbox"]);
        } else if !rel.ends_with("/mod.rs") {
            forbidden.extend(ABOVE_SERVICES);
        }
    } else {
        return Vec::new();
    }
    names
        .iter()
        .filter(|n| forbidden.contains(&top(n).as_str()) || (no_feature_bots && feature_bot(n)))
        .cloned()
        .collect()
}

#[test]
fn services_storage_and_domain_never_import_the_layers_above_them() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = rel(file);
        let source = fs::read_to_string(file).expect("read source");
        let bad = violations(&rel, &imports(&source));
        if ["domain", "storage", "services"]
            .iter()
            .chain(FEATURES)
            .any(|f| rel.starts_with(&format!("{f}/")))
        {
            checked += 1;
        }
        if !bad.is_empty() {
            broken.push(format!("{rel} imports {}", bad.join(", ")));
        }
    }
    assert!(checked > 20, "the layering test read only {checked} files");
    assert!(
        broken.is_empty(),
        "layers point one way (bot/http -> services -> storage/domain):\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_import_reader_sees_grouped_and_plain_paths() {
    let names = imports(
        "use crate::{\n    bot::{Reply, x},\n    relay::bot::user_locale,\n    {services::settings, accounts::users},\n};\n\
         // crate::http is only mentioned here\n\
         fn f() { crate::delivery::send(); notcrate::x(); }",
    );
    let want: BTreeSet<String> = [
        "bot",
        "relay::bot",
        "services::settings",
        "accounts::users",
        "delivery::send",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(names, want);
    assert_eq!(
        violations("relay/gate.rs", &names),
        vec![
            "bot".to_owned(),
            "delivery::send".to_owned(),
            "relay::bot".to_owned()
        ]
    );
    assert!(violations("relay/bot.rs", &names).is_empty());
    assert_eq!(
        violations("billing/stripe.rs", &names),
        vec!["bot".to_owned(), "relay::bot".to_owned()]
    );
}
