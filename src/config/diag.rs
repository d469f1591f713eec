//! Diagnostics that point into stack.toml: `file:line:col`, the source line and a caret, plus a hint.
//! Rendered by `annotate-snippets`, the renderer rustc and cargo use, so the layout is the one
//! Rust users read every day; styled only when the caller says colour is on.

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem found in a stack file, located by byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Range<usize>,
    pub hint: Option<String>,
    /// A warning is shown and the command goes on; an error stops it (exit 1).
    pub warning: bool,
}

/// `key = value` outside `range` (the AWS limit the `hint` states): a diagnostic at the value;
/// `None` inside the range.
pub fn out_of_range(
    key: &str,
    value: &toml::Spanned<i64>,
    range: std::ops::RangeInclusive<i64>,
    hint: impl Into<String>,
) -> Option<Diagnostic> {
    (!range.contains(value.get_ref())).then(|| {
        Diagnostic::new(
            format!("{key} = {} is out of range", value.get_ref()),
            value.span(),
        )
        .hint(hint)
    })
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        Diagnostic {
            message: message.into(),
            span,
            hint: None,
            warning: false,
        }
    }

    /// The same diagnostic as a warning.
    pub fn warning(mut self) -> Self {
        self.warning = true;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Every problem found in one stack file, ready to be printed against its source.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl ConfigError {
    pub fn new(path: &Path, source: &str, diagnostics: Vec<Diagnostic>) -> Self {
        ConfigError {
            path: path.to_path_buf(),
            source: source.to_string(),
            diagnostics,
        }
    }

    /// `(line, column)` of a byte offset, both 1-based; the column counts characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.source, offset)
    }
}

pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl ConfigError {
    /// Every diagnostic as rustc shows one: `error: <message>`, ` --> file:line:col` (column in
    /// characters), the source line with a caret under the span, and `= hint: …`. With
    /// `colour`, styled with ANSI escapes (the caller decides: a terminal, NO_COLOR, --color).
    pub fn render(&self, colour: bool) -> String {
        let renderer = if colour {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let path = self.path.display().to_string();
        let hint = Level::HELP.with_name(Some("hint"));
        self.diagnostics
            .iter()
            .map(|d| {
                let start = floor_char_boundary(&self.source, d.span.start.min(self.source.len()));
                let end = floor_char_boundary(&self.source, d.span.end.min(self.source.len()));
                // One line at most: a table's span covers its whole body.
                let end = self.source[start..end]
                    .find('\n')
                    .map_or(end, |nl| start + nl);
                let snippet = Snippet::source(self.source.as_str())
                    .path(path.as_str())
                    .annotation(AnnotationKind::Primary.span(start..end));
                // The renderer aligns a message's further lines (an installer's output) under
                // its first: their own indentation would only push them further.
                let message = d
                    .message
                    .lines()
                    .map(str::trim_start)
                    .collect::<Vec<_>>()
                    .join("\n");
                let level = if d.warning {
                    Level::WARNING
                } else {
                    Level::ERROR
                };
                let mut group = level.primary_title(message).element(snippet);
                if let Some(h) = &d.hint {
                    group = group.element(hint.clone().message(h));
                }
                renderer.render(&[group])
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_chars() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        // 'é' is two bytes; the '=' at byte 10 is the fourth character of line 2.
        assert_eq!(line_col(src, 10), (2, 4));
    }

    #[test]
    fn renders_location_caret_and_hint() {
        let src = "[stack]\nname = \"Bad\"\n";
        let err = ConfigError::new(
            Path::new("stack.toml"),
            src,
            vec![Diagnostic::new("bad name", 15..20).hint("use lowercase")],
        );
        let text = err.to_string();
        assert_eq!(
            text,
            "error: bad name\n --> stack.toml:2:8\n  |\n2 | name = \"Bad\"\n  |        ^^^^^\n  |\n  = hint: use lowercase"
        );
        assert!(
            !text.contains('\x1b'),
            "plain text has no escapes: {text:?}"
        );
        assert!(err.render(true).contains('\x1b'), "styled text has escapes");
    }

    #[test]
    fn a_span_over_several_lines_is_marked_on_its_first() {
        let src = "[stack]\nname = \"s\"\n[functions.a]\nruntime = \"x\"\n";
        let err = ConfigError::new(
            Path::new("stack.toml"),
            src,
            vec![Diagnostic::new("bad table", 19..src.len())],
        );
        let text = err.to_string();
        assert!(text.contains(" --> stack.toml:3:1\n"), "{text}");
        assert!(
            text.contains("3 | [functions.a]\n  | ^^^^^^^^^^^^^"),
            "{text}"
        );
        assert!(!text.contains("runtime"), "{text}");
    }

    #[test]
    fn further_lines_of_a_message_align_under_its_first() {
        let err = ConfigError::new(
            Path::new("stack.toml"),
            "[stack]\nname = \"s\"\n",
            vec![Diagnostic::new(
                "cannot package: no wheel\n    ERROR: none found",
                8..12,
            )],
        );
        assert!(
            err.to_string().starts_with(
                "error: cannot package: no wheel\n       ERROR: none found\n --> stack.toml:2:1"
            ),
            "{err}"
        );
    }
}
