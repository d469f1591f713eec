//! What an install looks like while it runs: a spinner with the elapsed time on a terminal (installs
//! can take minutes), one line at the start and one at the end otherwise. Silenced by -q.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// One running install.
pub struct Activity(Option<ProgressBar>);

impl Activity {
    /// Shows `message` (a spinner on a terminal, a line on stderr otherwise).
    pub fn start(message: String) -> Activity {
        if crate::render::quiet() || !std::io::stderr().is_terminal() {
            crate::render::info(message);
            return Activity(None);
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}").expect("valid template"),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        Activity(Some(bar))
    }

    /// Replaces the spinner (or follows the first line) with `line`.
    pub fn finish(self, line: String) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
        crate::render::info(line);
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
