//! `cargo xtask build`: the release artifacts.
//!
//! - the worker bundle, by worker-build, in `worker/build/` (what `wrangler.toml` points at);
//! - the widget: wasm-bindgen (`--target web`) output, shrunk by wasm-opt, with content-hashed
//!   names under `web/dist/assets/`;
//! - the embed loader `web/dist/cairn.js`, minified, pointing at those hashed names;
//! - the demo site, copied from `web/site/`;
//! - the console (`console/`): wasm-bindgen output, wasm-opt, and its page, under
//!   `web/dist/console/`.

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
    /// The confetti painter's JS glue and wasm, under `dist/assets/` (loaded by the confetti
    /// worker, not by the page's first load).
    pub painter_js: PathBuf,
    pub painter_wasm: PathBuf,
    /// The share card's JS glue and wasm, under `dist/assets/` (loaded when a user first
    /// shares, not by the page's first load).
    pub card_js: PathBuf,
    pub card_wasm: PathBuf,
    /// The worker's wasm, after wasm-opt.
    pub worker_wasm: PathBuf,
    /// The worker's JS entry point.
    pub worker_js: PathBuf,
    /// The console's JS glue and wasm, under `dist/console/`.
    pub console_js: PathBuf,
    pub console_wasm: PathBuf,
}

/// Builds everything.
pub fn build(toolchain: WidgetToolchain) -> Result<Artifacts> {
    let shipped = build_widget(toolchain)?;
    let (console_js, console_wasm) = build_console()?;
    let (worker_js, worker_wasm) = build_worker()?;
    Ok(Artifacts {
        dist: dist_dir(),
        loader: shipped.loader,
        widget_js: shipped.widget.js,
        widget_wasm: shipped.widget.wasm,
        painter_js: shipped.painter.js,
        painter_wasm: shipped.painter.wasm,
        card_js: shipped.card.js,
        card_wasm: shipped.card.wasm,
        worker_wasm,
        worker_js,
        console_js,
        console_wasm,
    })
}

/// `web/dist`, the `[assets]` directory in `wrangler.toml`.
pub fn dist_dir() -> PathBuf {
    root().join("web/dist")
}

/// How the widget's wasm is compiled: the pinned nightly with its size flags (what ships), or
/// the stable toolchain without any `-Z` flag (`cargo xtask build --stable`), or a step between
/// (the per-flag table of ARCHITECTURE.md, `cargo xtask bench flags`).
#[derive(Debug, Clone)]
pub struct WidgetCompile {
    /// What the table calls it.
    pub label: String,
    /// The rustup toolchain.
    pub toolchain: &'static str,
    /// Extra `cargo build` arguments (`-Zbuild-std…`).
    pub cargo_args: Vec<&'static str>,
    /// `RUSTFLAGS` for the wasm target (unstable ones: `-Zunstable-options` is added).
    pub rustflags: Vec<&'static str>,
    /// Its own target directory when it is not the shipped build, so builds with other flags do
    /// not overwrite (and then rebuild) each other's artifacts.
    pub target_dir: Option<String>,
}

/// The shipped widget's size flags, in the order `cargo xtask bench flags` adds them: std
/// rebuilt with the release profile (size first), then panics that abort at once instead of
/// formatting a message nobody reads in a host's page, no source locations, and `Debug` that
/// writes nothing (the widget never shows a `{:?}`).
const NIGHTLY_FLAGS: [(&str, bool); 5] = [
    ("-Zbuild-std=std,panic_abort", true),
    ("-Zbuild-std-features=optimize_for_size", true),
    ("-Cpanic=immediate-abort", false),
    ("-Zlocation-detail=none", false),
    ("-Zfmt-debug=none", false),
];

/// The widget on the pinned nightly with the first `n` of [`NIGHTLY_FLAGS`] (`true`: a cargo
/// argument, `false`: a `RUSTFLAGS` one); all of them is what ships.
pub fn widget_nightly_with(n: usize) -> WidgetCompile {
    let flags = &NIGHTLY_FLAGS[..n.min(NIGHTLY_FLAGS.len())];
    let ships = flags.len() == NIGHTLY_FLAGS.len();
    let last = flags.last().map_or("", |(flag, _)| flag);
    WidgetCompile {
        label: if ships {
            "nightly, all flags (ships)".into()
        } else {
            format!("+ {last}")
        },
        toolchain: crate::setup::WIDGET_TOOLCHAIN,
        cargo_args: flags.iter().filter(|f| f.1).map(|f| f.0).collect(),
        rustflags: flags.iter().filter(|f| !f.1).map(|f| f.0).collect(),
        target_dir: (!ships).then(|| format!("widget-flags/{n}")),
    }
}

/// How many flags [`widget_nightly_with`] can take.
pub const NIGHTLY_FLAG_COUNT: usize = NIGHTLY_FLAGS.len();

/// The widget as it ships: the pinned nightly with every size flag.
pub fn widget_nightly() -> WidgetCompile {
    widget_nightly_with(NIGHTLY_FLAG_COUNT)
}

/// The same widget on the stable toolchain of `rust-toolchain.toml`, without any `-Z` flag: the
/// workspace's release profile alone (`opt-level = "z"`, LTO, one codegen unit, `panic =
/// "abort"`).
pub fn widget_stable() -> WidgetCompile {
    WidgetCompile {
        label: "stable, no -Z flags".into(),
        toolchain: "stable",
        cargo_args: vec![],
        rustflags: vec![],
        target_dir: Some("widget-stable".into()),
    }
}

/// Which widget `cargo xtask build` ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WidgetToolchain {
    #[default]
    Nightly,
    Stable,
}

/// Compiles the widget's wasm, and the confetti painter's and the share card's beside it, as
/// `how` says; returns the widget's raw `.wasm` (before wasm-bindgen; the others' are
/// [`painter_raw`] and [`card_raw`]).
pub fn compile_widget(how: &WidgetCompile) -> Result<PathBuf> {
    let toolchain = if how.toolchain == "stable" {
        // The workspace's own stable (rust-toolchain.toml), whatever cargo xtask runs under.
        crate::setup::stable_toolchain()?
    } else {
        how.toolchain.to_owned()
    };
    let target = match &how.target_dir {
        Some(dir) => target_dir().join(dir),
        None => target_dir(),
    };
    let rustflags = if how.rustflags.is_empty() {
        String::new()
    } else {
        format!("-Zunstable-options {}", how.rustflags.join(" "))
    };
    // The share card on its own: it links the widget's crate without its `entry` feature (the
    // loader's `start`). Built together, cargo would unify the features and the card's module
    // would carry `start` and all it reaches (its closures stay in the exported function table,
    // which wasm-opt cannot prune).
    for packages in [
        &["cairn-widget", "cairn-painter"][..],
        &["cairn-share-card"],
    ] {
        cmd::run(
            cmd::new("rustup")
                .args(["run", &toolchain, "cargo", "build", "--release", "--lib"])
                .args(packages.iter().flat_map(|p| ["--package", p]))
                .args(["--target", "wasm32-unknown-unknown"])
                .args(&how.cargo_args)
                .arg("--target-dir")
                .arg(&target)
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("RUSTC")
                .env_remove("CARGO")
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", &rustflags),
        )?;
    }
    Ok(target.join("wasm32-unknown-unknown/release/cairn_widget.wasm"))
}

/// The painter's raw `.wasm`, compiled with the widget's at `widget_raw`.
pub fn painter_raw(widget_raw: &Path) -> PathBuf {
    widget_raw.with_file_name("cairn_painter.wasm")
}

/// The share card's raw `.wasm`, compiled with the widget's at `widget_raw`.
pub fn card_raw(widget_raw: &Path) -> PathBuf {
    widget_raw.with_file_name("cairn_share_card.wasm")
}

/// The widget's shipped files made from a raw wasm, in `out`: the JS glue and the wasm.
pub struct WidgetFiles {
    pub js: PathBuf,
    pub wasm: PathBuf,
}

impl WidgetFiles {
    /// Brotli bytes of the glue and the wasm together (the loader is the same for every build).
    pub fn brotli(&self) -> Result<usize> {
        Ok(crate::brotli_len(&fs::read(&self.js)?)? + crate::brotli_len(&fs::read(&self.wasm)?)?)
    }
}

fn build_widget(toolchain: WidgetToolchain) -> Result<Shipped> {
    let how = match toolchain {
        WidgetToolchain::Nightly => widget_nightly(),
        WidgetToolchain::Stable => widget_stable(),
    };
    let raw = compile_widget(&how)?;
    let files = package_widget(&raw, &target_dir().join("cairn/widget"))?;
    let (js, wasm) = (files.js, files.wasm);
    let dist = dist_dir();
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("removing {}", dist.display()))?;
    }
    copy_dir(&root().join("web/site"), &dist)?;
    let assets = dist.join("assets");
    fs::create_dir_all(&assets)?;
    let hashed = |file: &Path, stem: &str, ext: &str| -> Result<String> {
        let name = format!("{stem}.{}.{ext}", short_hash(&fs::read(file)?));
        fs::copy(file, assets.join(&name))?;
        Ok(name)
    };
    let js_name = hashed(&js, "cairn-widget", "js")?;
    let wasm_name = hashed(&wasm, "cairn-widget", "wasm")?;
    // The confetti painter, a module of its own: the page's first load does not carry it.
    let painter = package_painter(&painter_raw(&raw), &target_dir().join("cairn/painter"))?;
    let painter_js = hashed(&painter.js, "cairn-painter", "js")?;
    let painter_wasm = hashed(&painter.wasm, "cairn-painter", "wasm")?;
    // The share card, another: loaded when a user first shares.
    let card = package_card(&card_raw(&raw), &target_dir().join("cairn/share-card"))?;
    let card_js = hashed(&card.js, "cairn-share-card", "js")?;
    let card_wasm = hashed(&card.wasm, "cairn-share-card", "wasm")?;

    // The loader loads the widget's module; the confetti worker and `confetti.js` (the
    // painter on a page where no worker can draw) the painter's; `share-card.js` the share
    // card's: their hashed names filled in.
    for (file, names) in [
        (
            "cairn.js",
            [("__CAIRN_JS__", &js_name), ("__CAIRN_WASM__", &wasm_name)],
        ),
        (
            "confetti-worker.js",
            [
                ("__PAINTER_JS__", &painter_js),
                ("__PAINTER_WASM__", &painter_wasm),
            ],
        ),
        (
            "confetti.js",
            [
                ("__PAINTER_JS__", &painter_js),
                ("__PAINTER_WASM__", &painter_wasm),
            ],
        ),
        (
            "share-card.js",
            [("__CARD_JS__", &card_js), ("__CARD_WASM__", &card_wasm)],
        ),
    ] {
        let mut text = fs::read_to_string(root().join("web/loader").join(file))?;
        for (placeholder, name) in names {
            text = text.replace(placeholder, &format!("assets/{name}"));
        }
        let filled = target_dir().join("cairn/widget").join(file);
        fs::write(&filled, text)?;
        esbuild(
            &filled,
            &dist.join(file),
            &["--minify", "--legal-comments=none"],
        )?;
    }
    let loader = dist.join("cairn.js");
    // The confetti frame of cross-origin embeds (web/src/confetti.rs), beside the loader: the
    // page is served as `/confetti` (the assets' HTML handling drops `.html`).
    esbuild(
        &root().join("web/loader/confetti-frame.js"),
        &dist.join("confetti-frame.js"),
        &["--minify", "--legal-comments=none"],
    )?;
    for file in ["confetti.html", "confetti.css"] {
        fs::copy(root().join("web/loader").join(file), dist.join(file))?;
    }
    // The embed's TypeScript declarations, beside the loader (tests/it/types.rs checks them).
    fs::copy(
        root().join("web/loader/cairn.d.ts"),
        dist.join("cairn.d.ts"),
    )?;
    Ok(Shipped {
        widget: WidgetFiles {
            js: assets.join(js_name),
            wasm: assets.join(wasm_name),
        },
        painter: WidgetFiles {
            js: assets.join(painter_js),
            wasm: assets.join(painter_wasm),
        },
        card: WidgetFiles {
            js: assets.join(card_js),
            wasm: assets.join(card_wasm),
        },
        loader,
    })
}

/// The widget's shipped files under `web/dist`.
struct Shipped {
    widget: WidgetFiles,
    painter: WidgetFiles,
    card: WidgetFiles,
    loader: PathBuf,
}

/// wasm-bindgen, the glue tree-shaken, the boundary's names shortened, wasm-opt and the glue
/// minified: the widget's two files from its raw wasm, written under `out`.
pub fn package_widget(raw: &Path, out: &Path) -> Result<WidgetFiles> {
    package_wasm(raw, out, "cairn-widget", &["default", "start"])
}

/// The same for the confetti painter (`web/painter`): the confetti worker calls
/// `confetti_worker`, a page that draws itself `confetti_local`.
pub fn package_painter(raw: &Path, out: &Path) -> Result<WidgetFiles> {
    package_wasm(
        raw,
        out,
        "cairn-painter",
        &["default", "confetti_worker", "confetti_local"],
    )
}

/// The same for the share card (`web/share-card`): `share-card.js` calls `card`. It links the
/// widget's crate for its components; the widget's own entry (`start`) is not among these
/// exports, so it and all it reaches are dropped from the card's module.
pub fn package_card(raw: &Path, out: &Path) -> Result<WidgetFiles> {
    package_wasm(raw, out, "cairn-share-card", &["default", "card"])
}

/// wasm-opt's `--low-memory-unused`, for every wasm of ours it optimizes (the widget, its
/// painter and share card, the console). It folds an addition of a constant below 1 KiB into
/// a load's or store's offset (`load(x + 8)` becomes `load offset=8 (x)`); the two differ only
/// where `x + 8` wraps past 4 GiB into the first KiB of memory, which the addition reaches and
/// the offset does not (it traps). Rust's pointers never wrap (offsetting past the end of the
/// address space is undefined behaviour), and nothing of ours is there in the first place:
/// rustc links wasm32 with the stack first, data and heap above 1 MiB, the stack growing down
/// towards 0 (measured in ARCHITECTURE.md, "Widget size").
const LOW_MEMORY_UNUSED: &str = "--low-memory-unused";

/// wasm-bindgen's output for `raw` as module `name`, shrunk to what JS calls of it: the
/// `exports` of its glue.
fn package_wasm(raw: &Path, out: &Path, name: &str, exports: &[&str]) -> Result<WidgetFiles> {
    // `CAIRN_KEEP_NAMES=1` keeps function names in the shipped wasm, for size profiling
    // (`twiggy top web/dist/assets/*.wasm`); never for a release.
    let keep_names = std::env::var_os("CAIRN_KEEP_NAMES").is_some_and(|v| v == "1");
    fs::create_dir_all(out)?;
    cmd::run(
        cmd::new("wasm-bindgen")
            .arg(raw)
            .args(keep_names.then_some("--keep-debug"))
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                name,
                "--out-dir",
            ])
            .arg(out),
    )?;
    let wasm = out.join(format!("{name}_bg.wasm"));
    // Tree-shake the glue down to what the loader calls (`default` and `start` of the widget;
    // the painter's entries in the confetti worker and `confetti.js`): wasm-bindgen also
    // writes JS classes for the `#[wasm_bindgen]` types of dependencies, which the widget never
    // constructs. Each class is followed by `if (Symbol.dispose) C.prototype[Symbol.dispose] = …`,
    // a side effect that would keep it; the widget hands no class to JS, so that line is defined
    // away. `--minify-syntax` drops dead branches but keeps names (`wasm.NAME`) readable.
    let entry = out.join("entry.js");
    fs::write(
        &entry,
        format!("export {{ {} }} from './{name}.js';\n", exports.join(", ")),
    )?;
    let shaken = out.join(format!("{name}.shaken.js"));
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
        &format!("./{name}_bg.js"),
    )?;
    fs::write(&wasm, small_wasm)?;
    fs::write(&shaken, small_js)?;
    eprintln!(
        "build: {name}'s wasm boundary: {} imports and {} exports renamed, {} exports dropped",
        report.imports_renamed,
        report.exports_renamed,
        report.exports_dropped.len()
    );
    let js = out.join(format!("{name}.min.js"));
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
            // `--converge` repeats the passes while they still shrink it (−0.3 KB brotli).
            // `--low-memory-unused` lets it fold small constant additions into the offsets
            // of loads and stores (−0.4 KB brotli): see `LOW_MEMORY_UNUSED`.
            .args(["-Oz", "--converge", LOW_MEMORY_UNUSED, "--strip-producers"])
            .arg(if keep_names { "-g" } else { "--strip-debug" })
            .arg("-o")
            .arg(&wasm),
    )?;

    Ok(WidgetFiles { js, wasm })
}

/// The console: its wasm on the workspace's stable toolchain (no `-Z` flag: its budget is
/// 300 KB, not the widget's), wasm-bindgen, wasm-opt and esbuild, then its page, into
/// `web/dist/console/` (after the widget's build, which empties `web/dist`).
fn build_console() -> Result<(PathBuf, PathBuf)> {
    cmd::run(
        cmd::new("cargo")
            .args(["build", "--release", "--lib"])
            .args([
                "--package",
                "cairn-console",
                "--package",
                "cairn-console-validator",
            ])
            .args(["--target", "wasm32-unknown-unknown"])
            .arg("--target-dir")
            .arg(target_dir()),
    )?;
    let dist = dist_dir().join("console");
    copy_dir(&root().join("console/site"), &dist)?;
    let (js, wasm) = bindgen_for_web("cairn_console", "console", &dist)?;
    // The JS the console's wasm imports (`#[wasm_bindgen(module = …)]`): the validator's loader.
    copy_dir(
        &target_dir().join("cairn/console/snippets"),
        &dist.join("snippets"),
    )?;
    // The definitions editor's validator: the engine in wasm, loaded by that page only.
    bindgen_for_web(
        "cairn_console_validator",
        "cairn_validator",
        &dist.join("validator"),
    )?;
    Ok((js, wasm))
}

/// A release wasm of the workspace (`crate_name`) for the console's pages: wasm-bindgen
/// (`--target web`, named `name`) under `target/cairn/{name}`, then wasm-opt and esbuild into
/// `dist`; returns the JS glue and the wasm there.
fn bindgen_for_web(crate_name: &str, name: &str, dist: &Path) -> Result<(PathBuf, PathBuf)> {
    let raw = target_dir().join(format!("wasm32-unknown-unknown/release/{crate_name}.wasm"));
    let out = target_dir().join("cairn").join(name);
    fs::create_dir_all(&out)?;
    fs::create_dir_all(dist)?;
    cmd::run(
        cmd::new("wasm-bindgen")
            .arg(&raw)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                name,
                "--out-dir",
            ])
            .arg(&out),
    )?;
    let wasm = dist.join(format!("{name}_bg.wasm"));
    cmd::run(
        cmd::new(npm_bin("wasm-opt"))
            .arg(out.join(format!("{name}_bg.wasm")))
            .args([
                "-Oz",
                LOW_MEMORY_UNUSED,
                "--strip-debug",
                "--strip-producers",
                "-o",
            ])
            .arg(&wasm),
    )?;
    let js = dist.join(format!("{name}.js"));
    esbuild(
        &out.join(format!("{name}.js")),
        &js,
        &["--minify", "--format=esm", "--legal-comments=none"],
    )?;
    Ok((js, wasm))
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
