//! Running external programs: echo the command line, run it, turn failure into an [`Error`].
//!
//! [`Cmd`] wraps [`std::process::Command`] and remembers a printable form of the command line,
//! so every command the xtask runs is shown as `$ program args...` before it starts, and a
//! failure names the exact command. Output is not captured (the user sees it live), except by
//! [`Cmd::read`], which is meant for quiet probes such as `tool --version`.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// A command to run, together with how to show it to the user.
pub struct Cmd {
    /// What actually gets spawned.
    command: Command,
    /// `KEY=value` prefixes for environment variables worth showing.
    shown_env: Vec<String>,
    /// The program and its arguments, shell-quoted, for echoing and error messages.
    shown: String,
}

impl Cmd {
    /// A command that runs `program` (looked up in `PATH` unless it is a path).
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let program = program.as_ref();
        Cmd {
            command: Command::new(program),
            shown_env: Vec::new(),
            shown: quote(program),
        }
    }

    /// A command that runs `program` but is shown as `shown` (e.g. `cargo` for the full path of
    /// the toolchain's cargo).
    pub fn new_shown_as(program: impl AsRef<OsStr>, shown: &str) -> Self {
        Cmd {
            shown: shown.to_owned(),
            ..Cmd::new(program)
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        let arg = arg.as_ref();
        self.shown.push(' ');
        self.shown.push_str(&quote(arg));
        self.command.arg(arg);
        self
    }

    /// Appends several arguments.
    pub fn args<I>(self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        args.into_iter().fold(self, Cmd::arg)
    }

    /// Sets an environment variable and shows it in front of the echoed command.
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        let value = value.as_ref();
        self.shown_env.push(format!("{key}={}", quote(value)));
        self.command.env(key, value);
        self
    }

    /// Sets an environment variable, showing `shown` instead of its (long) value.
    pub fn env_shown_as(mut self, key: &str, value: impl AsRef<OsStr>, shown: &str) -> Self {
        self.shown_env.push(format!("{key}={shown}"));
        self.command.env(key, value);
        self
    }

    /// Runs the command in `dir` instead of the current directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// The command line as it is echoed.
    pub fn display(&self) -> String {
        let mut line = self.shown_env.join(" ");
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&self.shown);
        line
    }

    /// Echoes the command, runs it to completion and fails unless it exits successfully.
    pub fn run(mut self) -> Result<()> {
        let line = self.display();
        println!("$ {line}");
        let status = self
            .command
            .status()
            .map_err(|err| Error::new(format!("could not start `{line}`: {err}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::new(format!("`{line}` failed ({status})")))
        }
    }

    /// Runs the command quietly and returns its stdout and stderr if it succeeded.
    ///
    /// `None` means the program is missing, could not start, or exited non-zero; that is the
    /// expected answer of a probe for something not installed yet, so it is not an error.
    pub fn read(mut self) -> Option<String> {
        let output = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        Some(text)
    }

    /// Echoes the command and replaces this process with it (on Unix), so signals such as
    /// Ctrl-C reach the program directly and its exit status becomes ours.
    ///
    /// Returns only on failure. Elsewhere the command runs as a child and we exit with its code.
    pub fn exec(mut self) -> Error {
        let line = self.display();
        println!("$ {line}");
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            let err = self.command.exec();
            Error::new(format!("could not start `{line}`: {err}"))
        }
        #[cfg(not(unix))]
        {
            match self.command.status() {
                Ok(status) => std::process::exit(status.code().unwrap_or(1)),
                Err(err) => Error::new(format!("could not start `{line}`: {err}")),
            }
        }
    }
}

/// Quotes `word` for display the way a POSIX shell would need it (display only; never parsed).
fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,%~".contains(c));
    if plain {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_env_then_quoted_arguments() {
        let cmd = Cmd::new("cargo")
            .env("CHAT_DIST_DIR", "/repo/dist")
            .env_shown_as("PATH", "/a:/b", "<tools>:$PATH")
            .args(["test", "--", "it's here", ""]);
        assert_eq!(
            cmd.display(),
            r"CHAT_DIST_DIR=/repo/dist PATH=<tools>:$PATH cargo test -- 'it'\''s here' ''"
        );
    }

    #[test]
    fn read_returns_none_for_a_missing_program() {
        assert!(Cmd::new("xtask-surely-no-such-program").read().is_none());
    }

    #[test]
    fn run_reports_the_failing_command() {
        let err = Cmd::new("sh").args(["-c", "exit 3"]).run().unwrap_err();
        assert!(err.to_string().contains("`sh -c 'exit 3'` failed"), "{err}");
    }
}
