//! The widget's wasm ↔ JS boundary, trimmed after wasm-bindgen.
//!
//! wasm-bindgen names every import after the Rust item plus a 16-hex-digit hash
//! (`__wbg_appendChild_7465eba84213c75f`) and every closure export after its full Rust type
//! (`wasm_bindgen_…___convert__closures_____invoke___web_sys_…`). Each name is written twice, in
//! the wasm and in the JS glue, and the hashes do not compress: together they were ≈ 4 KB of the
//! widget's brotli size. Nothing outside the glue sees these names, so [`shrink`] gives them
//! short ones (`_0`, `_1`, …) on both sides.
//!
//! It also drops the exports the (tree-shaken) glue never reaches, such as wasm-bindgen's
//! `__instance_terminated`.
//!
//! The rewrite is checked, not hoped for: every import must be named exactly once in the glue and
//! every kept export only as `wasm.NAME`; anything else fails the build with the name.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasmparser::{Parser, Payload};

/// What [`shrink`] did, for the build log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub imports_renamed: usize,
    pub exports_renamed: usize,
    pub exports_dropped: Vec<String>,
}

/// Rewrites `wasm` and its glue `js` (wasm-bindgen `--target web` output, after tree shaking but
/// before minification). `module` is the import module name wasm-bindgen gave the glue
/// (`./NAME_bg.js`).
pub fn shrink(wasm: &[u8], js: &str, module: &str) -> Result<(Vec<u8>, String, Report)> {
    let mut report = Report::default();
    let used = wasm_accesses(js);
    let mut js_renames: BTreeMap<String, String> = BTreeMap::new();
    let mut export_renames: BTreeMap<String, String> = BTreeMap::new();
    let mut short = ShortNames::default();

    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.context("reading the widget's wasm")?;
        match payload {
            Payload::ImportSection(reader) => {
                let mut section = wasm_encoder::ImportSection::new();
                for import in reader.into_imports() {
                    let import = import?;
                    let ty = RoundtripReencoder.entity_type(import.ty)?;
                    if import.module == module {
                        let name = short.next();
                        if js_renames
                            .insert(import.name.to_owned(), name.clone())
                            .is_some()
                        {
                            bail!("the wasm imports `{}` twice", import.name);
                        }
                        section.import("w", &name, ty);
                        report.imports_renamed += 1;
                    } else {
                        section.import(import.module, import.name, ty);
                    }
                }
                out.section(&section);
            }
            Payload::ExportSection(reader) => {
                let mut section = wasm_encoder::ExportSection::new();
                for export in reader {
                    let export = export?;
                    if !used.contains(export.name) {
                        report.exports_dropped.push(export.name.to_owned());
                        continue;
                    }
                    let name = short.next();
                    section.export(&name, export.kind.into(), export.index);
                    export_renames.insert(export.name.to_owned(), name);
                    report.exports_renamed += 1;
                }
                out.section(&section);
            }
            Payload::Version { .. } | Payload::End(_) => {}
            other => {
                if let Some((id, range)) = other.as_section() {
                    out.section(&wasm_encoder::RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    if let Some(missing) = used.iter().find(|n| !export_renames.contains_key(**n)) {
        bail!("the glue calls `wasm.{missing}`, which the wasm does not export");
    }
    let js = rewrite_js(js, module, &js_renames, &export_renames)?;
    Ok((out.finish(), js, report))
}

/// The names the glue reads from the instance's exports: `wasm.NAME`.
fn wasm_accesses(js: &str) -> BTreeSet<&str> {
    js.match_indices("wasm.")
        .filter(|(i, _)| !js[..*i].ends_with(is_ident))
        .map(|(i, m)| {
            let rest = &js[i + m.len()..];
            &rest[..rest.find(|c| !is_ident(c)).unwrap_or(rest.len())]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

fn rewrite_js(
    js: &str,
    module: &str,
    imports: &BTreeMap<String, String>,
    exports: &BTreeMap<String, String>,
) -> Result<String> {
    let quoted = format!("\"{module}\"");
    if js.matches(&quoted).count() != 1 {
        bail!("the glue names its import module {quoted} other than exactly once");
    }
    let js = js.replacen(&quoted, "\"w\"", 1);
    let mut out = String::with_capacity(js.len());
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rest = js.as_str();
    while let Some(start) = rest.find(is_ident) {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let len = from.find(|c| !is_ident(c)).unwrap_or(from.len());
        let (ident, after) = from.split_at(len);
        let member = out.ends_with('.');
        let wasm_member =
            out.ends_with("wasm.") && !out[..out.len() - "wasm.".len()].ends_with(is_ident);
        if let Some((key, new)) = imports.get_key_value(ident) {
            // The import object's key: `NAME: function(…) {…}`, and nothing else.
            *seen.entry(key).or_default() += 1;
            if member {
                bail!("the glue reads the import `{ident}` as a property; expected only its key");
            }
            out.push_str(new);
        } else if let Some(new) = exports.get(ident).filter(|_| wasm_member) {
            out.push_str(new);
        } else {
            out.push_str(ident);
        }
        rest = after;
    }
    out.push_str(rest);
    for name in imports.keys() {
        match seen.get(name.as_str()) {
            Some(1) => {}
            Some(n) => bail!("the glue names the import `{name}` {n} times, not once"),
            None => bail!("the wasm imports `{name}`, which the glue does not define"),
        }
    }
    let short: BTreeSet<&str> = exports.values().map(String::as_str).collect();
    if let Some(name) = wasm_accesses(&out).into_iter().find(|n| !short.contains(n)) {
        bail!("the glue still calls `wasm.{name}` after renaming");
    }
    Ok(out)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// `_0`, `_1`, …, `_z`, `_10`, …: valid JS identifiers that are never keywords.
#[derive(Default)]
struct ShortNames(u32);

impl ShortNames {
    fn next(&mut self) -> String {
        let mut n = self.0;
        self.0 += 1;
        let mut digits = Vec::new();
        loop {
            digits.push(char::from_digit(n % 36, 36).expect("below 36"));
            n /= 36;
            if n == 0 {
                break;
            }
        }
        std::iter::once('_')
            .chain(digits.into_iter().rev())
            .collect()
    }
}
