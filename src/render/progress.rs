//! Apply's progress: a spinner per running step on a terminal, one line per finished step.

use super::*;

/// Apply progress: a spinner per running step on a terminal, one plain line per event otherwise.
pub struct Progress {
    printer: Printer,
    multi: Option<MultiProgress>,
    bars: BTreeMap<usize, ProgressBar>,
}

impl Progress {
    pub fn new(printer: Printer) -> Self {
        let multi =
            (!printer.is_quiet() && std::io::stderr().is_terminal()).then(MultiProgress::new);
        Progress {
            printer,
            multi,
            bars: BTreeMap::new(),
        }
    }

    fn println(&self, line: String) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => self.printer.info(line),
        }
    }

    pub fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Interrupted => self.println(
                "Interrupted: finishing the steps in flight, starting no new ones (Ctrl-C again to stop now).".into(),
            ),
            Event::Started(step) => {
                if let Some(m) = &self.multi {
                    let bar = m.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {msg} {elapsed:.dim}")
                            .expect("valid template"),
                    );
                    bar.set_message(format!("{} {}", verb(step.action, true), target(step)));
                    bar.enable_steady_tick(Duration::from_millis(100));
                    self.bars.insert(step.id, bar);
                }
            }
            Event::Done(step, took) => {
                self.finish(step.id);
                self.println(format!(
                    "  {} {} {} {}",
                    style("✓").for_stderr().green(),
                    verb(step.action, false),
                    target(step),
                    style(format!("({:.1}s)", took.as_secs_f64()))
                        .for_stderr()
                        .dim()
                ));
            }
            Event::Failed(step, e) => {
                self.finish(step.id);
                self.println(format!(
                    "  {} {} {} failed:\n      {}",
                    style("✗").for_stderr().red(),
                    verb(step.action, true),
                    target(step),
                    error_text(e, false).replace('\n', "\n      ")
                ));
            }
            Event::Throttled(stats) => {
                self.println(format!(
                    "  {} API Gateway is throttling this account ({} requests answered 429 so far, \
                     other deployers share its quota): pacing at {:.1} requests/s and retrying",
                    style("…").for_stderr().yellow(),
                    stats.throttled,
                    stats.rate_per_s
                ));
            }
            Event::Skipped(step) => {
                self.println(format!(
                    "  {} skipped {} {} (a step it depends on did not succeed)",
                    style("-").for_stderr().dim(),
                    step.kind.as_str(),
                    step.name
                ));
            }
        }
    }

    fn finish(&mut self, id: usize) {
        if let Some(bar) = self.bars.remove(&id) {
            bar.finish_and_clear();
        }
    }
}

pub(super) fn target(step: &Step) -> String {
    format!("{} {}", step.kind.as_str(), step.name)
}

fn verb(action: Action, ongoing: bool) -> &'static str {
    match (action, ongoing) {
        (Action::Create, true) => "creating",
        (Action::Create, false) => "created",
        (Action::Update, true) => "updating",
        (Action::Update, false) => "updated",
        (Action::Replace, true) => "replacing",
        (Action::Replace, false) => "replaced",
        (Action::Delete, true) => "deleting",
        (Action::Delete, false) => "deleted",
    }
}
