//! Running commands: each is printed before it runs, and a failure names the command.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// A command rooted at the workspace.
pub fn new(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(crate::root());
    c
}

/// Runs `c`, inheriting stdio; fails if it does not exit 0.
pub fn run(c: &mut Command) -> Result<()> {
    eprintln!("$ {}", show(c));
    let status = c
        .status()
        .with_context(|| format!("cannot start {}", show(c)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", show(c));
    }
    Ok(())
}

/// Runs `c` with its output captured; on failure the output is part of the error.
pub fn run_quiet(c: &mut Command) -> Result<()> {
    eprintln!("$ {}", show(c));
    let out = c
        .output()
        .with_context(|| format!("cannot start {}", show(c)))?;
    if !out.status.success() {
        bail!(
            "`{}` failed ({}):\n{}{}",
            show(c),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Runs `c` quietly and returns its trimmed stdout, or `None` if it cannot run or fails.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Whether `program` can be found on PATH (or is a path that exists).
pub fn exists(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn show(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `c` (its stderr shown), and returns its standard output; fails when it fails.
pub fn output_checked(c: &mut Command) -> Result<String> {
    let shown = format!("{c:?}");
    let out = c
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
