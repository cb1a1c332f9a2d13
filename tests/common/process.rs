//! The real `wagate` binary as a child process (for SIGKILL tests): started
//! with arguments, its address read from the line it prints on stdout.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Process {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Process {
    /// Starts `wagate ARGS` and waits for the line `{prefix}http://…`.
    pub fn start(args: &[&str], prefix: &str) -> Process {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wagate"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start wagate");
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
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = received
                .recv_timeout(left)
                .expect("wagate printed its address in time");
            if let Some(address) = line.strip_prefix(prefix) {
                process.base = address.trim().to_owned();
                return process;
            }
        }
    }

    /// `wagate serve` on port 0 with the test admin token.
    pub fn serve(database: &str, extra: &[&str]) -> Process {
        let mut args = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--admin-token",
            super::ADMIN_TOKEN,
        ];
        args.extend_from_slice(extra);
        Self::start(&args, "wagate listening on ")
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
