//! `cargo xtask build`: the release artifacts.
//!
//! - the worker bundle, by worker-build, in `worker/build/` (what `wrangler.toml` points at);
//! - the widget: wasm-bindgen (`--target web`) output, shrunk by wasm-opt, with content-hashed
//!   names under `web/dist/assets/`;
//! - the embed loader `web/dist/cairn.js`, minified, pointing at those hashed names;
//! - the demo site, copied from `web/site/`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::{cmd, npm_bin, root, target_dir};

/// What a build produced.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// The static assets directory served by the worker.
    pub dist: PathBuf,
    /// The loader, `dist/cairn.js`.
    pub loader: PathBuf,
    /// The widget's JS glue and wasm, under `dist/assets/`.
    pub widget_js: PathBuf,
    pub widget_wasm: PathBuf,
    /// The worker's wasm, after wasm-opt.
    pub worker_wasm: PathBuf,
    /// The worker's JS entry point.
    pub worker_js: PathBuf,
}

/// Builds everything.
pub fn build() -> Result<Artifacts> {
    let (widget_js, widget_wasm, loader) = build_widget()?;
    let (worker_js, worker_wasm) = build_worker()?;
    Ok(Artifacts {
        dist: dist_dir(),
        loader,
        widget_js,
        widget_wasm,
        worker_wasm,
        worker_js,
    })
}

/// `web/dist`, the `[assets]` directory in `wrangler.toml`.
pub fn dist_dir() -> PathBuf {
    root().join("web/dist")
}

fn build_widget() -> Result<(PathBuf, PathBuf, PathBuf)> {
    // The widget links through the xtask binary itself, which leaves wasm-streams' exports out
    // and runs the toolchain's rust-lld (see `wasm_names::link`).
    let rustc = |what: &str| {
        cmd::output_checked(
            cmd::new("rustup")
                .args([
                    "run",
                    crate::setup::WIDGET_TOOLCHAIN,
                    "rustc",
                    "--print",
                    what,
                ])
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("RUSTC"),
        )
        .map(|s| s.trim().to_owned())
    };
    let rust_lld = PathBuf::from(rustc("sysroot")?)
        .join("lib/rustlib")
        .join(rustc("host-tuple")?)
        .join("bin/rust-lld");
    if !rust_lld.exists() {
        anyhow::bail!("no rust-lld at {}", rust_lld.display());
    }
    // On the pinned nightly: std rebuilt with the release profile (size first), panics that
    // abort at once instead of formatting a message nobody reads in a host's page, no source
    // locations, and `Debug` that writes nothing (the widget never shows a `{:?}`).
    cmd::run(
        cmd::new("rustup")
            .args(["run", crate::setup::WIDGET_TOOLCHAIN, "cargo", "build"])
            .args(["--release", "--lib", "--package", "cairn-widget"])
            .args(["--target", "wasm32-unknown-unknown"])
            .args(["-Zbuild-std=std,panic_abort", "-Zbuild-std-features=optimize_for_size"])
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("RUSTC")
            .env_remove("CARGO")
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none",
            )
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER",
                std::env::current_exe().context("the xtask binary's path")?,
            )
            .env(crate::wasm_names::REAL_LINKER, &rust_lld),
    )?;
    // `CAIRN_KEEP_NAMES=1` keeps function names in the shipped wasm, for size profiling
    // (`twiggy top web/dist/assets/*.wasm`); never for a release.
    let keep_names = std::env::var_os("CAIRN_KEEP_NAMES").is_some_and(|v| v == "1");
    let raw = target_dir().join("wasm32-unknown-unknown/release/cairn_widget.wasm");
    let out = target_dir().join("cairn/widget");
    fs::create_dir_all(&out)?;
    cmd::run(
        cmd::new("wasm-bindgen")
            .arg(&raw)
            .args(keep_names.then_some("--keep-debug"))
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "cairn-widget",
                "--out-dir",
            ])
            .arg(&out),
    )?;
    let wasm = out.join("cairn-widget_bg.wasm");
    // Tree-shake the glue down to what the loader calls (`default`, `start`): wasm-bindgen also
    // writes JS classes for the `#[wasm_bindgen]` types of dependencies, which the widget never
    // constructs. Each class is followed by `if (Symbol.dispose) C.prototype[Symbol.dispose] = …`,
    // a side effect that would keep it; the widget hands no class to JS, so that line is defined
    // away. `--minify-syntax` drops dead branches but keeps names (`wasm.NAME`) readable.
    let entry = out.join("entry.js");
    fs::write(
        &entry,
        "export { default, start } from './cairn-widget.js';\n",
    )?;
    let shaken = out.join("cairn-widget.shaken.js");
    esbuild(
        &entry,
        &shaken,
        &[
            "--bundle",
            "--format=esm",
            "--minify-syntax",
            "--define:Symbol.dispose=undefined",
        ],
    )?;
    // Then the boundary itself: exports the shaken glue never calls dropped, the hashed names
    // of the rest made short on both sides (see `wasm_names`).
    let (small_wasm, small_js, report) = crate::wasm_names::shrink(
        &fs::read(&wasm)?,
        &fs::read_to_string(&shaken)?,
        "./cairn-widget_bg.js",
    )?;
    fs::write(&wasm, small_wasm)?;
    fs::write(&shaken, small_js)?;
    eprintln!(
        "build: wasm boundary: {} imports and {} exports renamed, {} exports dropped",
        report.imports_renamed,
        report.exports_renamed,
        report.exports_dropped.len()
    );
    let js = out.join("cairn-widget.min.js");
    // The JS glue, minified: wasm-bindgen writes it readable, with every import's shim spelled
    // out (≈ a third of its size once minified, a quarter once compressed).
    esbuild(
        &shaken,
        &js,
        &["--minify", "--format=esm", "--legal-comments=none"],
    )?;
    cmd::run(
        cmd::new(npm_bin("wasm-opt"))
            .arg(&wasm)
            .args(["-Oz", "--strip-producers"])
            .arg(if keep_names { "-g" } else { "--strip-debug" })
            .arg("-o")
            .arg(&wasm),
    )?;

    let dist = dist_dir();
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("removing {}", dist.display()))?;
    }
    copy_dir(&root().join("web/site"), &dist)?;
    let assets = dist.join("assets");
    fs::create_dir_all(&assets)?;
    let js_name = format!("cairn-widget.{}.js", short_hash(&fs::read(&js)?));
    let wasm_name = format!("cairn-widget.{}.wasm", short_hash(&fs::read(&wasm)?));
    fs::copy(&js, assets.join(&js_name))?;
    fs::copy(&wasm, assets.join(&wasm_name))?;

    let template = fs::read_to_string(root().join("web/loader/cairn.js"))?;
    let loader_src = out.join("cairn.js");
    fs::write(
        &loader_src,
        template
            .replace("__CAIRN_JS__", &format!("assets/{js_name}"))
            .replace("__CAIRN_WASM__", &format!("assets/{wasm_name}")),
    )?;
    let loader = dist.join("cairn.js");
    esbuild(&loader_src, &loader, &["--minify", "--legal-comments=none"])?;
    Ok((assets.join(js_name), assets.join(wasm_name), loader))
}

/// esbuild from `input` to `output` for the browsers the widget supports (ES2020).
fn esbuild(input: &Path, output: &Path, flags: &[&str]) -> Result<()> {
    cmd::run(
        cmd::new(npm_bin("esbuild"))
            .arg(input)
            .args(flags)
            .args(["--target=es2020", "--log-level=warning"])
            .arg(format!("--outfile={}", output.display())),
    )
}

/// The worker's `opt-level`. The workspace's release profile is `"z"`, a size choice made for
/// the widget; the worker has megabytes to spare, and `cargo xtask bench load` measured `3`
/// fastest (1,000-event batches +41 % events/s over `"z"`, single events +6–14 %) for +7 % of
/// wasm (2.38 MB, 851 KB gzip, against 2.22 MB / 786 KB); `"s"` was slower than both (see
/// ARCHITECTURE.md). `CAIRN_WORKER_OPT_LEVEL` overrides it, for measuring another.
pub const WORKER_OPT_LEVEL: &str = "3";

fn build_worker() -> Result<(PathBuf, PathBuf)> {
    let wasm_bindgen =
        which("wasm-bindgen").context("wasm-bindgen is not on PATH: run `cargo xtask setup`")?;
    let esbuild = root().join("node_modules/@esbuild/linux-x64/bin/esbuild");
    let opt_level =
        std::env::var("CAIRN_WORKER_OPT_LEVEL").unwrap_or_else(|_| WORKER_OPT_LEVEL.to_owned());
    cmd::run(
        cmd::new("worker-build")
            .arg("--release")
            .current_dir(root().join("worker"))
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", &opt_level)
            // Wasm SIMD (every Workers runtime has it): the share images' raster paths use it.
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                "-Ctarget-feature=+simd128",
            )
            .env("WASM_BINDGEN_BIN", wasm_bindgen)
            .env("WASM_OPT_BIN", npm_bin("wasm-opt"))
            .env("ESBUILD_BIN", esbuild),
    )?;
    let build = root().join("worker/build");
    Ok((build.join("index.js"), build.join("index_bg.wasm")))
}

fn which(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// First 10 hex digits of the content's SHA-256: the cache-busting part of a file name.
pub fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..5]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}
