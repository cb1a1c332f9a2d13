//! The real `wagate` binary as a child process (for SIGKILL tests): started
//! with arguments, its address read from the line it prints on stdout.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::db::TestDatabase;

pub struct Process {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The lines it printed on stdout before the address.
    pub printed: Vec<String>,
}

impl Process {
    /// Starts `wagate ARGS` and waits for the line `{prefix}http://…`; if
    /// it exits first, fails with what it printed on stderr.
    #[track_caller]
    pub fn start(args: &[&str], prefix: &str) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wagate"))
            .args(args)
            .env("RUST_LOG", "warn")
            // Errors without anyhow's backtrace (panics keep theirs).
            .env("RUST_LIB_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wagate");
        // Its stderr is passed on, and the first lines kept for the panic.
        let stderr = child.stderr.take().expect("stderr");
        let said: Arc<Mutex<Vec<String>>> = Arc::default();
        let keep = Arc::clone(&said);
        let (stderr_open, stderr_closed) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let _open = stderr_open;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(std::io::stderr(), "{line}");
                let mut kept = keep.lock().unwrap_or_else(|p| p.into_inner());
                if kept.len() < 40 {
                    kept.push(line);
                }
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut process = Process {
            child,
            base: String::new(),
            printed: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match received.recv_timeout(left) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("wagate {args:?} printed no address in time")
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = process.child.wait();
                    // Until the reader has read its stderr to the end.
                    let _ = stderr_closed.recv_timeout(Duration::from_secs(5));
                    let said = said.lock().unwrap_or_else(|p| p.into_inner()).join("\n");
                    panic!("wagate {args:?} exited before it listened ({status:?}):\n{said}")
                }
            };
            if let Some(address) = line.strip_prefix(prefix) {
                process.base = address.trim().to_owned();
                return process;
            }
            process.printed.push(line);
        }
    }

    /// A standalone simulator (`wagate sim`) on port 0 that sends statuses
    /// quickly; `extra` adds flags (e.g. `--webhook-url`).
    #[track_caller]
    pub fn sim(extra: &[&str]) -> Process {
        // Gateways against a standalone simulator (`--upstream meta`) do
        // not register their numbers' WABAs there: any template goes.
        let mut args = vec![
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--status-delay",
            "1ms",
            "--any-template",
        ];
        args.extend_from_slice(extra);
        Self::start(&args, "wagate sim listening on ")
    }

    /// `wagate serve` on port 0 on `database` with the test admin token.
    #[track_caller]
    pub fn serve(database: &TestDatabase, extra: &[&str]) -> Process {
        let database_args = database.serve_args();
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend(database_args.iter().map(String::as_str));
        args.extend_from_slice(&["--admin-token", super::ADMIN_TOKEN]);
        args.extend_from_slice(extra);
        Self::start(&args, "wagate listening on ")
    }

    /// `wagate serve` submitting to a standalone simulator at `sim` as if
    /// it were Meta, with short leases so that a killed gateway's work comes
    /// back within seconds, and timeouts long enough that a normal answer on
    /// a loaded machine is not timed out (and sent again); `extra` adds flags.
    pub fn serve_against_sim(database: &TestDatabase, sim: &str, extra: &[&str]) -> Process {
        let mut args = vec![
            "--upstream",
            "meta",
            "--meta-app-secret",
            "test-app-secret",
            "--meta-base-url",
            sim,
            "--meta-access-token",
            "test-access-token",
            "--dispatch-lease",
            "6s",
            "--upstream-timeout",
            "5s",
            "--callback-timeout",
            "5s",
            "--resend-interval",
            "100ms",
            "--callback-allow-private",
            "true",
        ];
        args.extend_from_slice(extra);
        Self::serve(database, &args)
    }

    /// [`Process::serve_against_sim`] as the instance `name` of several on
    /// one database, holding a number for `source_lease` between renewals
    /// and looking for work every 50 ms; `extra` adds flags.
    pub fn instance(
        name: &str,
        database: &TestDatabase,
        sim: &str,
        source_lease: &str,
        extra: &[&str],
    ) -> Process {
        let mut args = vec![
            "--instance-name",
            name,
            "--source-lease",
            source_lease,
            "--dispatch-poll",
            "50ms",
        ];
        args.extend_from_slice(extra);
        Self::serve_against_sim(database, sim, &args)
    }

    /// Its HTTP helpers.
    pub fn gateway(&self) -> super::Gateway {
        super::Gateway::at(&self.base)
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
