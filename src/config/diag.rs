//! Diagnostics that point into stack.toml: `file:line:col`, the source line and a caret, plus a hint.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem found in a stack file, located by byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Range<usize>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        Diagnostic {
            message: message.into(),
            span,
            hint: None,
        }
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

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, d) in self.diagnostics.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            let (line, col) = self.line_col(d.span.start);
            writeln!(f, "error: {}", d.message)?;
            writeln!(f, "  --> {}:{}:{}", self.path.display(), line, col)?;
            let text = self.source.lines().nth(line - 1).unwrap_or("");
            let gutter = line.to_string().len();
            let start = floor_char_boundary(&self.source, d.span.start.min(self.source.len()));
            let end = floor_char_boundary(&self.source, d.span.end.min(self.source.len()));
            let width = self.source[start..end]
                .lines()
                .next()
                .map_or(1, |s| s.chars().count().max(1));
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{line} | {text}")?;
            write!(
                f,
                "{:gutter$} | {:pad$}{}",
                "",
                "",
                "^".repeat(width),
                pad = col - 1
            )?;
            if let Some(hint) = &d.hint {
                write!(f, "\n{:gutter$} = hint: {hint}", "")?;
            }
        }
        Ok(())
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
            "error: bad name\n  --> stack.toml:2:8\n  |\n2 | name = \"Bad\"\n  |        ^^^^^\n  = hint: use lowercase"
        );
    }
}
