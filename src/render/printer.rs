//! The [`Printer`]: the one thing in stackctl that writes to stdout and stderr. It knows the
//! output options (-q, -v, --json, colour) so that nothing else has to; commands hand it results
//! (`Serialize + Display` values) and library code's events, and it chooses what to show and how.

use super::ColorChoice;
use crate::aws::Call;
use crate::report;
use console::style;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Results go to stdout; progress, notices, prompts and errors to stderr. Cheap to clone: clones
/// share the running activities' spinners.
#[derive(Clone, Default)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
    json: bool,
    activities: Arc<Mutex<Activities>>,
}

/// The spinners of running [`report::Activity`]s (dependency installs), on a terminal.
#[derive(Default)]
struct Activities {
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
}

impl Activities {
    fn clear(&mut self) {
        for (_, bar) in std::mem::take(&mut self.bars) {
            bar.finish_and_clear();
        }
    }
}

/// Whether a stream gets colour: `--color` first, then NO_COLOR, then whether it is a terminal.
fn colour_on(choice: ColorChoice, no_color: bool, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && terminal,
    }
}

impl Printer {
    /// Sets colour for the whole process, for stdout and stderr apart: on with `--color always`;
    /// with `auto`, on for a stream that is a terminal while NO_COLOR is unset or empty
    /// (<https://no-color.org>), so `2>err.txt` gets no escape codes while stdout stays coloured.
    pub fn new(color: ColorChoice, quiet: bool, verbose: bool) -> Printer {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        console::set_colors_enabled(colour_on(color, no_color, std::io::stdout().is_terminal()));
        console::set_colors_enabled_stderr(colour_on(
            color,
            no_color,
            std::io::stderr().is_terminal(),
        ));
        Printer {
            quiet,
            verbose,
            ..Printer::default()
        }
    }

    /// The same printer, printing results as JSON (`--json`) or as text.
    pub fn json(&self, json: bool) -> Printer {
        Printer {
            json,
            ..self.clone()
        }
    }

    /// `-q`: only results and errors are shown.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A command's result on stdout: pretty JSON with `--json`, else its text (a newline is
    /// added when the text does not end with one). Errors: stdout is closed (a pipe's reader
    /// stopped) or cannot be written.
    pub fn result<T: Serialize + Display + ?Sized>(&self, value: &T) -> std::io::Result<()> {
        let text = if self.json {
            serde_json::to_string_pretty(value).map_err(std::io::Error::other)?
        } else {
            value.to_string()
        };
        self.write_out(&text)
    }

    /// Results that are a stream of records (log lines): one compact JSON object per line with
    /// `--json`, else each one's text on a line; flushed, so a followed line shows at once.
    pub fn records<T: Serialize + Display>(&self, values: &[T]) -> std::io::Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        for v in values {
            if self.json {
                serde_json::to_writer(&mut out, v).map_err(std::io::Error::other)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{v}")?;
            }
        }
        out.flush()
    }

    fn write_out(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Text that is a command's result on stdout, as it is (no newline added).
    pub fn out(&self, text: impl Display) {
        print!("{text}");
    }

    /// A line of a command's result on stdout.
    pub fn out_line(&self, text: impl Display) {
        println!("{text}");
    }

    /// A line of progress or information on stderr; silenced by -q.
    pub fn info(&self, line: impl Display) {
        if !self.quiet {
            self.suspend(|| eprintln!("{line}"));
        }
    }

    /// A line only `-v` shows, on stderr: how stackctl works around something, not a result.
    pub fn detail(&self, line: impl Display) {
        if self.verbose {
            self.suspend(|| eprintln!("{line}"));
        }
    }

    /// A message on stderr that is part of a command's flow (a prompt, refused conflicts), as it
    /// is, flushed.
    pub fn err(&self, text: impl Display) {
        eprint!("{text}");
        let _ = std::io::stderr().flush();
    }

    /// A failed command's error on stderr, worded by [`super::error_text`] (styled only when
    /// colour is on). Spinners still running (an install that failed) are cleared first.
    pub fn error(&self, e: &anyhow::Error) {
        self.activities.lock().expect("activities").clear();
        eprintln!("{}", super::error_text(e, true));
    }

    /// Warnings about a stack file (`warning: …`, file:line:col, caret, hint) on stderr; shown
    /// with -q too, never on stdout (so `--json` output stays pure JSON).
    pub fn warnings(&self, w: &crate::config::ConfigError) {
        if w.diagnostics.is_empty() {
            return;
        }
        let text = w.render(console::colors_enabled_stderr());
        self.suspend(|| eprintln!("{text}"));
    }

    /// What the AWS layer calls after each call: with `-v`, a line per call (see
    /// [`Printer::aws_call`]); otherwise nothing.
    pub fn on_call(&self) -> Option<crate::aws::OnCall> {
        self.verbose
            .then_some(Printer::aws_call as crate::aws::OnCall)
    }

    /// `-v`: one line per AWS call, with its duration and attempts.
    pub fn aws_call(call: &Call) {
        let retries = if call.attempts > 1 {
            format!(" ({} attempts)", call.attempts)
        } else {
            String::new()
        };
        let status = if call.ok { "ok" } else { "error" };
        eprintln!(
            "{} {}:{} {} {}ms{}",
            style("aws").for_stderr().dim(),
            call.service.to_lowercase(),
            call.operation,
            status,
            call.millis,
            retries
        );
    }

    /// Shows an event library code reported: an activity that starts gets a spinner with the
    /// elapsed time on a terminal (installs take minutes), a line otherwise; the line it ends
    /// with replaces its spinner. Silenced by -q.
    pub fn report(&self, event: &report::Event) {
        if self.quiet {
            return;
        }
        let mut running = self.activities.lock().expect("activities");
        match event.activity() {
            Some(report::Activity::Starts(name)) if std::io::stderr().is_terminal() => {
                let bar = running.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
                        .expect("valid template"),
                );
                bar.set_message(event.to_string());
                bar.enable_steady_tick(Duration::from_millis(100));
                if let Some(old) = running.bars.insert(name.to_string(), bar) {
                    old.finish_and_clear();
                }
                return;
            }
            Some(report::Activity::Ends(name)) => {
                if let Some(bar) = running.bars.remove(name) {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
        running.multi.suspend(|| eprintln!("{event}"));
    }

    /// Runs `f` (which writes to stderr) with the activity spinners hidden meanwhile.
    fn suspend(&self, f: impl FnOnce()) {
        self.activities.lock().expect("activities").multi.suspend(f)
    }

    /// Apply's progress display, with this printer's options.
    pub fn progress(&self) -> super::Progress {
        super::Progress::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_stream_gets_colour_by_its_own_terminal() {
        use super::{ColorChoice, colour_on};
        // `stackctl validate 2>err.txt` in a terminal: stdout coloured, the file plain.
        assert!(colour_on(ColorChoice::Auto, false, true));
        assert!(!colour_on(ColorChoice::Auto, false, false));
        assert!(!colour_on(ColorChoice::Auto, true, true), "NO_COLOR");
        assert!(colour_on(ColorChoice::Always, true, false));
        assert!(!colour_on(ColorChoice::Never, false, true));
    }

    /// The rule this module exists for, checked over the source: outside `render/` and `main.rs`
    /// nothing writes to stdout or stderr or exits the process (library code returns values or
    /// reports events; the command layer hands them to the printer).
    #[test]
    fn only_the_printer_prints() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let writes = [
            "println!",
            "print!(",
            "eprint!(",
            "eprintln!",
            "io::stdout()",
            "io::stderr()",
            "process::exit",
            "render::info(",
            "render::out(",
            "render::err(",
        ];
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(&src) {
            let entry = entry.expect("src is readable");
            let path = entry.path();
            let rel = path.strip_prefix(&src).expect("under src");
            if path.extension().is_none_or(|e| e != "rs")
                || rel.starts_with("render")
                || rel == std::path::Path::new("main.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(path).expect("a source file");
            for (n, line) in text.lines().enumerate() {
                if writes.iter().any(|w| line.contains(w)) {
                    found.push(format!("src/{}:{}: {}", rel.display(), n + 1, line.trim()));
                }
            }
        }
        assert!(
            found.is_empty(),
            "printing outside render/:\n{}",
            found.join("\n")
        );
    }
}
