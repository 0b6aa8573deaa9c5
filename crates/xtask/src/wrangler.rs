//! Runs `wrangler dev` (real workerd) for development, tests and benchmarks.
//!
//! `npx wrangler dev` is a process tree (node, then two workerd processes). Here it is started
//! in its own process group and stopped as a group, on [`Wrangler::stop`] or on drop, so no
//! workerd outlives a test.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{cmd, npm_bin, root};

/// How long wrangler may take to answer its first request.
pub const START_DEADLINE: Duration = Duration::from_secs(90);

/// How many sets of free ports [`Wrangler::start`] tries.
const PORT_ATTEMPTS: u32 = 4;

/// How much of the log a start error quotes.
const LOG_TAIL_LINES: usize = 20;

/// Why one spawn did not answer.
enum Start {
    /// Another process bound one of the ports first (the log's path).
    PortTaken(String),
    Failed(anyhow::Error),
}

/// Settings of one `wrangler dev`.
#[derive(Debug, Clone)]
pub struct Options {
    /// HTTP port on 127.0.0.1.
    pub port: u16,
    /// Inspector port (distinct per instance).
    pub inspector_port: u16,
    /// Where Durable Object, D1 and cache state persist.
    pub persist_to: PathBuf,
    /// Where wrangler's output goes; `None` inherits this process's stdio.
    pub log: Option<PathBuf>,
    /// `CAIRN_DEV_NOTIFY_SCALE`: loopback webhook receivers are accepted, and their retry
    /// schedule runs this many times faster (1: real time).
    pub notify_scale: u32,
    /// Another `wrangler.toml` (a benchmark's variant); `None`: the repository's.
    pub config: Option<PathBuf>,
    /// The ports were picked free a moment ago and may be picked again: if another process
    /// took one in between (another workerd binds its internal sockets on port 0), start
    /// retries on fresh ones.
    pub ephemeral_ports: bool,
}

impl Options {
    /// Free ports and the given persistence directory, output to `log`.
    pub fn ephemeral(persist_to: PathBuf, log: PathBuf) -> Result<Self> {
        let [port, inspector_port] = free_ports()?;
        Ok(Self {
            port,
            inspector_port,
            persist_to,
            log: Some(log),
            notify_scale: 1,
            config: None,
            ephemeral_ports: true,
        })
    }
}

/// A running `wrangler dev`.
#[derive(Debug)]
pub struct Wrangler {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The options it was started with.
    pub options: Options,
    /// Time from spawn to the first `200` from `/v1/health`.
    pub cold_start: Duration,
}

impl Wrangler {
    /// The command line that starts wrangler dev with `options`.
    pub fn command(options: &Options) -> Command {
        let mut c = cmd::new(npm_bin("wrangler"));
        c.args([
            "dev",
            "--ip",
            "127.0.0.1",
            "--log-level",
            "info",
            "--show-interactive-dev-session=false",
        ])
        .arg("--port")
        .arg(options.port.to_string())
        .arg("--inspector-port")
        .arg(options.inspector_port.to_string())
        .arg("--persist-to")
        .arg(&options.persist_to)
        // Local runs only: the admin token and the demo token endpoint.
        .arg("--var")
        .arg(format!("CAIRN_ADMIN_TOKEN:{}", crate::DEV_ADMIN_TOKEN))
        .arg("--var")
        .arg("CAIRN_DEMO_TOKENS:on")
        // Local runs only: the key that seals stored secrets (production: `wrangler secret`),
        // and the development setting of the notification pipeline.
        .arg("--var")
        .arg(format!("CAIRN_SECRETS_KEY:{}", crate::DEV_SECRETS_KEY))
        .arg("--var")
        .arg(format!("CAIRN_DEV_NOTIFY_SCALE:{}", options.notify_scale))
        .args(
            options
                .config
                .iter()
                .flat_map(|c| [std::ffi::OsStr::new("--config"), c.as_os_str()]),
        )
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_LOG_PATH", root().join("target/wrangler-logs"))
        .stdin(Stdio::null());
        c
    }

    /// Prepares the local state (migrations, demo project), starts wrangler in its own process
    /// group and waits until it answers.
    pub fn start(mut options: Options) -> Result<Self> {
        crate::seed::prepare(&options.persist_to)?;
        let mut attempt = 1;
        loop {
            match Self::spawn(options.clone()) {
                Ok(me) => return Ok(me),
                Err(Start::PortTaken(log))
                    if options.ephemeral_ports && attempt < PORT_ATTEMPTS =>
                {
                    eprintln!(
                        "wrangler: a port was taken before it bound ({log}); retrying on fresh ports"
                    );
                    [options.port, options.inspector_port] = free_ports()?;
                    attempt += 1;
                }
                Err(Start::PortTaken(log)) => bail!("wrangler could not bind its ports: {log}"),
                Err(Start::Failed(e)) => return Err(e),
            }
        }
    }

    fn spawn(options: Options) -> Result<Self, Start> {
        let mut c = Self::command(&options);
        c.process_group(0);
        if let Some(log) = &options.log {
            if let Some(dir) = log.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Start::Failed(e.into()))?;
            }
            let file = std::fs::File::create(log)
                .with_context(|| format!("creating {}", log.display()))
                .map_err(Start::Failed)?;
            let err = file.try_clone().map_err(|e| Start::Failed(e.into()))?;
            c.stdout(file).stderr(err);
        }
        let started = Instant::now();
        let child = c
            .spawn()
            .context("cannot start wrangler: run `cargo xtask setup`")
            .map_err(Start::Failed)?;
        let base = format!("http://127.0.0.1:{}", options.port);
        let mut me = Self {
            child: Some(child),
            base,
            options,
            cold_start: Duration::ZERO,
        };
        loop {
            if get_status(me.options.port, "/v1/health").is_some_and(|s| s == 200) {
                me.cold_start = started.elapsed();
                return Ok(me);
            }
            if let Some(status) = me.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                me.child = None;
                let tail = me.log_tail();
                // The whole log, not its tail: when wrangler exits on a taken port, its esbuild
                // service may crash after it and bury the message under a goroutine dump.
                let log = me
                    .options
                    .log
                    .as_deref()
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .unwrap_or_default();
                if log.contains("Address already in use") {
                    return Err(Start::PortTaken(me.log_hint()));
                }
                return Err(Start::Failed(anyhow::anyhow!(
                    "wrangler exited early ({status}); see {}; it ended with:\n{tail}",
                    me.log_hint()
                )));
            }
            if started.elapsed() > START_DEADLINE {
                return Err(Start::Failed(anyhow::anyhow!(
                    "wrangler did not answer within {START_DEADLINE:?}; see {}; it ended with:\n{}",
                    me.log_hint(),
                    me.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines of the log file (empty when output is inherited).
    fn log_tail(&self) -> String {
        let text = self
            .options
            .log
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines
            .iter()
            .skip(lines.len().saturating_sub(LOG_TAIL_LINES))
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn log_hint(&self) -> String {
        self.options
            .log
            .as_deref()
            .map_or_else(|| "its output".into(), |p| p.display().to_string())
    }

    /// Stops the whole process group: TERM, then KILL after a grace period.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() && !group_alive(&group) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = child.wait();
    }

    /// Kills the whole process group at once (SIGKILL: no chance to flush anything), as a
    /// crash would, and waits until it is gone.
    pub fn crash(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        while group_alive(&group) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for wrangler to exit by itself (for `cargo xtask dev`).
    pub fn wait(mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.wait()?;
        }
        Ok(())
    }

    /// The log file, if any.
    pub fn log(&self) -> Option<&Path> {
        self.options.log.as_deref()
    }
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        self.stop();
    }
}

fn group_alive(group: &str) -> bool {
    Command::new("kill")
        .args(["-0", "--", group])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `N` distinct TCP ports free on 127.0.0.1 right now (all held until all are picked).
pub fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let listeners = (0..N)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut ports = [0; N];
    for (port, l) in ports.iter_mut().zip(&listeners) {
        *port = l.local_addr()?.port();
    }
    Ok(ports)
}

/// The status code of `GET path` on 127.0.0.1:`port`, or `None` if nothing answers.
/// Reads only the status line: workerd keeps connections open.
pub fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut stream =
        TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(1))
            .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = [0u8; 64];
    let mut len = 0;
    while len < 12 {
        let n = stream.read(&mut buf[len..]).ok()?;
        if n == 0 {
            break;
        }
        len += n;
    }
    std::str::from_utf8(&buf[..len])
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}
