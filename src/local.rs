//! `--local`: run a command against MiniStack on 127.0.0.1, starting it when nothing answers there.
//!
//! Where MiniStack comes from, first match wins:
//! 1. `STACKCTL_MINISTACK_VENV`: a Python venv with `ministack` installed;
//! 2. `.emulators/ministack` in the current directory or one above it (what `scripts/emulators.sh
//!    install` makes in a clone of this repository);
//! 3. a venv of its own under `$XDG_DATA_HOME/stackctl` (default `~/.local/share/stackctl`),
//!    created on first use with `python3 -m venv` and `pip install ministack==1.5.33` (~10 s).
//!
//! MiniStack is started detached, bound to 127.0.0.1 only, and keeps running for the next
//! commands; stackctl prints its pid so it can be stopped. It is never stopped or restarted by
//! stackctl: one already answering on the port is reused as it is. Commands started together
//! take turns (a lock file per port under the data directory): the first installs and starts
//! MiniStack, the others wait for it and reuse it.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The MiniStack release `--local` installs: the one the project's tests run on.
pub const MINISTACK_VERSION: &str = "1.5.33";
/// MiniStack's port, as `scripts/emulators.sh` uses it; `STACKCTL_LOCAL_PORT` overrides it.
pub const DEFAULT_PORT: u16 = 4567;
/// The credentials `--local` signs with: MiniStack accepts any.
pub const DUMMY_KEY: &str = "test";
/// The region `--local` uses when neither `--region` nor `[stack] region` names one.
pub const DEFAULT_REGION: &str = "us-east-1";
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The port `--local` uses.
pub fn port() -> u16 {
    std::env::var("STACKCTL_LOCAL_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(DEFAULT_PORT)
}

/// Makes sure MiniStack answers on 127.0.0.1 and returns its endpoint URL.
pub async fn ensure() -> Result<String> {
    let port = port();
    let endpoint = format!("http://127.0.0.1:{port}");
    if ready(&endpoint).await {
        return Ok(endpoint);
    }
    // One starter at a time: a second command started at the same moment would otherwise race
    // the first for the port (and for the venv's install), and fail as "exited during startup".
    let _turn = take_turn(&data_dir()?.join(format!("ministack-{port}.lock"))).await?;
    if ready(&endpoint).await {
        return Ok(endpoint);
    }
    if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        crate::bail_hint!("--local: 127.0.0.1:{port} is in use by something that is not MiniStack"; hint = "stop it, \
             or set STACKCTL_LOCAL_PORT to a free port");
    }
    let venv = venv()?;
    let state = data_dir()?.join(format!("ministack-state-{port}"));
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state)
        .with_context(|| format!("cannot create {}", state.display()))?;
    let log_path = state.join("ministack.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut command = Command::new(venv.join("bin/python"));
    command
        .args(["-m", "ministack"])
        .env_remove("AWS_ENDPOINT_URL")
        // Every listener on loopback only (the IoT and SFTP ones default to 0.0.0.0).
        .env("BIND_HOST", "127.0.0.1")
        .env("GATEWAY_PORT", port.to_string())
        .env("MINISTACK_HOST", "127.0.0.1")
        .env("IOT_MTLS_ENABLED", "0")
        .env("SFTP_ENABLED", "0")
        .env("SFTP_HOST", "127.0.0.1")
        .env("PERSIST_STATE", "0")
        .env("S3_PERSIST", "0")
        .env("STATE_DIR", state.join("state"))
        .env("S3_DATA_DIR", state.join("s3"))
        .env("TMPDIR", &state)
        .env("LOG_LEVEL", "WARNING")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // Its own process group: Ctrl-C on this command must not stop the emulator the next uses.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .with_context(|| format!("--local: cannot run {}", venv.join("bin/python").display()))?;
    let began = Instant::now();
    while !ready(&endpoint).await {
        if let Some(status) = child.try_wait()? {
            bail!(
                "--local: MiniStack exited during startup ({status}); its log: {}",
                log_path.display()
            );
        }
        if began.elapsed() > START_TIMEOUT {
            bail!(
                "--local: MiniStack (pid {}) did not answer on {endpoint} within {} s; its log: {}",
                child.id(),
                START_TIMEOUT.as_secs(),
                log_path.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    crate::report::emit(crate::report::Event::StartedMinistack {
        version: MINISTACK_VERSION.into(),
        endpoint: endpoint.clone(),
        pid: child.id(),
        log: log_path,
    });
    Ok(endpoint)
}

/// Waits for, then holds, an exclusive lock on `path` (created if needed) until the file is
/// dropped. Files Rust opens are close-on-exec, so the MiniStack started under it does not keep it.
async fn take_turn(path: &Path) -> Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await?
        .with_context(|| format!("--local: cannot lock {shown}"))
}

/// MiniStack answers its readiness probe.
async fn ready(endpoint: &str) -> bool {
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
    else {
        return false;
    };
    client
        .get(format!("{endpoint}/_ministack/ready"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// The venv to run MiniStack from (see the module docs for the order), installed if needed.
fn venv() -> Result<PathBuf> {
    if let Some(v) = std::env::var_os("STACKCTL_MINISTACK_VENV") {
        let v = PathBuf::from(v);
        if !has_ministack(&v) {
            crate::bail_hint!(
                "--local: STACKCTL_MINISTACK_VENV={} holds no ministack", v.display();
                hint = "`{}/bin/pip install ministack=={MINISTACK_VERSION}`", v.display()
            );
        }
        return Ok(v);
    }
    let cwd = std::env::current_dir()?;
    if let Some(v) = cwd
        .ancestors()
        .map(|d| d.join(".emulators/ministack"))
        .find(|v| has_ministack(v))
    {
        return Ok(v);
    }
    let own = data_dir()?.join(format!("ministack-{MINISTACK_VERSION}"));
    if !has_ministack(&own) {
        install(&own)?;
    }
    Ok(own)
}

fn has_ministack(venv: &Path) -> bool {
    venv.join("bin/python").is_file() && venv.join("bin/ministack").is_file()
}

/// `$XDG_DATA_HOME/stackctl`, else `~/.local/share/stackctl`.
fn data_dir() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(h) => PathBuf::from(h).join(".local/share"),
            None => {
                bail!("--local: neither XDG_DATA_HOME nor HOME is set, so MiniStack has no home")
            }
        },
    };
    Ok(base.join("stackctl"))
}

fn install(venv: &Path) -> Result<()> {
    let python = std::env::var("STACKCTL_PYTHON").unwrap_or_else(|_| "python3".into());
    crate::report::emit(crate::report::Event::InstallingMinistack {
        version: MINISTACK_VERSION.into(),
        venv: venv.to_path_buf(),
    });
    let _ = std::fs::remove_dir_all(venv);
    let run = |cmd: &mut Command, what: &str| -> Result<()> {
        let status = cmd
            .stdin(Stdio::null())
            .status()
            .with_context(|| format!("--local: cannot run {what}"))?;
        if !status.success() {
            crate::bail_hint!("--local: {what} failed ({status})"; hint = "MiniStack needs Python 3.10+ with venv and pip, and access to PyPI");
        }
        Ok(())
    };
    run(
        Command::new(&python).args(["-m", "venv"]).arg(venv),
        &format!("{python} -m venv"),
    )?;
    run(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--no-input"])
            .arg(format!("ministack=={MINISTACK_VERSION}"))
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
        &format!("pip install ministack=={MINISTACK_VERSION}"),
    )
}
