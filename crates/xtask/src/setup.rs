//! `cargo xtask setup`: installs what is missing, skips what is there, says which.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cmd;

/// worker-build version the worker is built with (matches the `worker` crate).
pub const WORKER_BUILD_VERSION: &str = "0.8.7";
/// The toolchain the widget's release wasm is built with: a pinned nightly, for `-Zbuild-std`
/// and `-Cpanic=immediate-abort` (std rebuilt for size, no panic message formatting), which
/// take ≈ 10 % off the widget's compressed size. Everything else builds on `rust-toolchain.toml`.
pub const WIDGET_TOOLCHAIN: &str = "nightly-2026-10-30";
/// The workspace's stable toolchain: the `channel` of `rust-toolchain.toml`.
pub fn stable_toolchain() -> Result<String> {
    #[derive(serde::Deserialize)]
    struct File {
        toolchain: Channel,
    }
    #[derive(serde::Deserialize)]
    struct Channel {
        channel: String,
    }
    let path = crate::root().join("rust-toolchain.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let file: File =
        toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    Ok(file.toolchain.channel)
}

/// Chromium and its driver, from Debian.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Installs everything the build and the tests need.
pub fn setup() -> Result<()> {
    wasm_target()?;
    widget_toolchain()?;
    wasm_bindgen()?;
    worker_build()?;
    npm_packages()?;
    python_tools()?;
    chromium()?;
    eprintln!("setup: ready");
    Ok(())
}

fn wasm_target() -> Result<()> {
    let installed =
        cmd::output(cmd::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l == "wasm32-unknown-unknown") {
        eprintln!("setup: wasm32-unknown-unknown target present");
        return Ok(());
    }
    eprintln!("setup: installing the wasm32-unknown-unknown target");
    cmd::run(cmd::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn widget_toolchain() -> Result<()> {
    let components = cmd::output(cmd::new("rustup").args([
        "component",
        "list",
        "--installed",
        "--toolchain",
        WIDGET_TOOLCHAIN,
    ]))
    .unwrap_or_default();
    if components.lines().any(|l| l.starts_with("rust-src")) {
        eprintln!("setup: {WIDGET_TOOLCHAIN} with rust-src present");
        return Ok(());
    }
    eprintln!("setup: installing {WIDGET_TOOLCHAIN} with rust-src (the widget's release build)");
    cmd::run(cmd::new("rustup").args([
        "toolchain",
        "install",
        WIDGET_TOOLCHAIN,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]))
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock =
        std::fs::read_to_string(crate::root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let lock: toml::Table = toml::from_str(&lock).context("parsing Cargo.lock")?;
    lock.get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .find(|p| p.get("name").and_then(|n| n.as_str()) == Some("wasm-bindgen"))
        .and_then(|p| p.get("version")?.as_str().map(str::to_owned))
        .context("no wasm-bindgen in Cargo.lock")
}

fn wasm_bindgen() -> Result<()> {
    let want = locked_wasm_bindgen_version()?;
    let have = cmd::output(cmd::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have == format!("wasm-bindgen {want}") {
        eprintln!("setup: {have} present");
        return Ok(());
    }
    eprintln!(
        "setup: installing wasm-bindgen-cli {want} (found: {})",
        if have.is_empty() { "none" } else { &have }
    );
    // Not --locked: its lockfile pins a crate version missing from the registry.
    cmd::run(cmd::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &want, "--force"]))
}

fn worker_build() -> Result<()> {
    let have = cmd::output(cmd::new("worker-build").arg("--version")).unwrap_or_default();
    if have.contains(WORKER_BUILD_VERSION) {
        eprintln!("setup: worker-build {WORKER_BUILD_VERSION} present");
        return Ok(());
    }
    eprintln!("setup: installing worker-build {WORKER_BUILD_VERSION}");
    cmd::run(cmd::new("cargo").args([
        "install",
        "worker-build",
        "--version",
        WORKER_BUILD_VERSION,
        "--locked",
        "--force",
    ]))
}

fn npm_packages() -> Result<()> {
    if !cmd::exists("npm") || !cmd::exists("node") {
        bail!("Node.js 20+ and npm are needed: install them (Debian: apt-get install nodejs npm)");
    }
    let root = crate::root();
    let installed = root.join("node_modules/.package-lock.json");
    let fresh = modified(&installed)
        .is_some_and(|i| modified(&root.join("package-lock.json")).is_some_and(|l| i >= l));
    let complete = ["wrangler", "wasm-opt", "esbuild"]
        .iter()
        .all(|b| crate::npm_bin(b).exists())
        && ["playwright-core", "axe-core", "canvas-confetti"]
            .iter()
            .all(|p| root.join("node_modules").join(p).exists());
    if fresh && complete {
        eprintln!("setup: npm packages present");
        return Ok(());
    }
    eprintln!("setup: installing npm packages from package-lock.json");
    cmd::run(cmd::new("npm").args(["ci", "--no-audit", "--no-fund"]))
}

/// The Python peers the tests check Cairn with (`tests/python/requirements.txt`), in a
/// virtual environment of their own.
pub fn python_dir() -> std::path::PathBuf {
    crate::target_dir().join("tools/python")
}

/// A program of the tests' Python environment, e.g. `schemathesis`.
pub fn python_bin(name: &str) -> std::path::PathBuf {
    python_dir().join("bin").join(name)
}

fn python_tools() -> Result<()> {
    let requirements = crate::root().join("tests/python/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let stamp = python_dir().join("installed.txt");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        eprintln!("setup: Python test tools present");
        return Ok(());
    }
    if !cmd::exists("python3") {
        bail!(
            "Python 3 is needed for the API fuzz tests: install it (Debian: apt-get install python3-venv)"
        );
    }
    eprintln!(
        "setup: installing the Python test tools ({})",
        requirements.display()
    );
    let _ = std::fs::remove_dir_all(python_dir());
    cmd::run(cmd::new("python3").args(["-m", "venv"]).arg(python_dir()))?;
    cmd::run(
        cmd::new(python_bin("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(())
}

fn chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        eprintln!("setup: chromium and chromedriver present");
        return Ok(());
    }
    let root_user = cmd::output(cmd::new("id").arg("-u")).as_deref() == Some("0");
    if !root_user {
        bail!(
            "Chromium is needed for the browser tests: run `sudo apt-get install -y chromium chromium-driver`"
        );
    }
    eprintln!("setup: installing chromium and chromium-driver from Debian");
    cmd::run(cmd::new("apt-get").args(["update", "-qq"]))?;
    cmd::run(
        cmd::new("apt-get")
            .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}
