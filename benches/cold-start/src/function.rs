//! A Lambda binary started as Lambda starts it (the Runtime API's address
//! and the function's settings in its environment), stopped when dropped.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// The command that starts `binary` as function `name` against the Runtime
/// API at `runtime_api` (`host:port`): `AWS_LAMBDA_RUNTIME_API`, the
/// function's name, memory and version set, `RUST_LOG` removed (Lambda's
/// `AWS_LAMBDA_LOG_LEVEL` decides), output discarded. Add variables or
/// `stdout(Stdio::piped())` before [`Function::spawn`].
pub fn lambda_command(binary: impl AsRef<OsStr>, runtime_api: &str, name: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A running function process, killed (and reaped) when dropped.
#[derive(Debug)]
pub struct Function {
    child: Child,
    started: Instant,
}

impl Function {
    /// Starts `command`, noting the instant just before.
    ///
    /// # Errors
    /// When the binary cannot be started (missing, not executable).
    pub fn spawn(command: &mut Command) -> io::Result<Self> {
        let started = Instant::now();
        let child = command.spawn()?;
        Ok(Function { child, started })
    }

    /// The instant just before the process was started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Kills the process and returns what it wrote to stdout (empty unless
    /// the command piped it).
    ///
    /// # Errors
    /// When stdout cannot be read.
    pub fn stop(mut self) -> io::Result<String> {
        let _ = self.child.kill();
        let mut output = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_string(&mut output)?;
        }
        Ok(output)
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
