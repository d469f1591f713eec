//! TOML and serde errors in plain words: Rust type names become "a whole number", a key with no
//! value is called that, a duplicate key points at its first definition, and an unknown key or
//! value gets the nearest known one ("did you mean `memory_mb`?").

use super::Diagnostic;
use super::diag::line_col;
use std::ops::Range;

/// Turns the parser's message at `span` of `text` into a diagnostic a person can act on.
pub fn diagnostic(text: &str, span: Range<usize>, message: &str) -> Diagnostic {
    let key = key_at(text, span.start);
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return invalid_type(span, key.as_deref(), rest);
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, known) = split_expected(rest);
        let d = Diagnostic::new(format!("unknown key {name}"), span);
        return d.hint(suggest(&name, &known, "the keys allowed here are"));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (name, known) = split_expected(rest);
        let what = key.map_or("value".to_string(), |k| format!("value of {k}"));
        let d = Diagnostic::new(format!("{name} is not a known {what}"), span);
        return d.hint(suggest(&name, &known, "use one of"));
    }
    if message.starts_with("duplicate key") {
        return duplicate(text, span, key.as_deref());
    }
    if let Some(k) = key.as_deref()
        && missing_value(text, span.start)
    {
        return Diagnostic::new(format!("{k} has no value"), span)
            .hint(format!("write a value after `{k} =`, or remove the line"));
    }
    if message.starts_with("missing field `stack`") {
        return Diagnostic::new("the file has no [stack] table", span)
            .hint("every stack file starts with [stack] and name = \"...\"");
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return Diagnostic::new(format!("missing key {rest}"), span)
            .hint("add the missing key to this table");
    }
    // Anything else the parser reports is TOML syntax.
    Diagnostic::new(message.to_string(), span).hint(
        "fix the TOML syntax here: tables are [name], strings are \"quoted\", lists are [\"a\", \"b\"]",
    )
}

/// `string "big", expected i64` → "memory_mb must be a whole number, not the text "big"".
fn invalid_type(span: Range<usize>, key: Option<&str>, rest: &str) -> Diagnostic {
    let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let want = expected_words(expected);
    let subject = key.map_or("this value".to_string(), str::to_string);
    // A whole number too big for the field: the parser read it as i128 (or u128).
    if want == "a whole number" && found.starts_with("integer ") {
        return Diagnostic::new(
            format!(
                "{subject} = {} is out of range",
                found_words(found).trim_start_matches("the number ")
            ),
            span,
        )
        .hint("the README's file reference gives each number's range");
    }
    let d = Diagnostic::new(
        format!("{subject} must be {want}, not {}", found_words(found)),
        span,
    );
    match want {
        "a whole number" => d.hint(format!(
            "write digits without quotes or a decimal point, e.g. {} = 256",
            key.unwrap_or("memory_mb")
        )),
        "text in quotes" => d.hint("put the value in double quotes, e.g. \"prod\""),
        "a list" => d.hint("write a list in brackets, e.g. [\"POST\"]"),
        "true or false" => d.hint("write true or false, without quotes"),
        _ => d.hint("check the value's type: \"text\", 123, true/false, [\"a list\"]"),
    }
}

fn expected_words(expected: &str) -> &'static str {
    match expected.trim() {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number"
        }
        "a string" | "a borrowed string" | "string" => "text in quotes",
        "a sequence" => "a list",
        "a boolean" | "bool" => "true or false",
        "f32" | "f64" => "a number",
        e if e.starts_with("struct") || e.starts_with("a map") || e == "map" => "a table",
        _ => "another kind of value",
    }
}

fn found_words(found: &str) -> String {
    // "`3000000000000000000000` as i128": the value is what the backticks hold.
    let value = |s: &str| match s.split('`').nth(1) {
        Some(v) if s.starts_with('`') => v.to_string(),
        _ => s.trim_matches('`').to_string(),
    };
    if let Some(v) = found.strip_prefix("string ") {
        format!("the text {v}")
    } else if let Some(v) = found.strip_prefix("integer ") {
        format!("the number {}", value(v))
    } else if let Some(v) = found.strip_prefix("floating point ") {
        format!("the decimal number {}", value(v))
    } else if let Some(v) = found.strip_prefix("boolean ") {
        value(v)
    } else if found.starts_with("sequence") {
        "a list".into()
    } else if found.starts_with("map") {
        "a table".into()
    } else {
        found.to_string()
    }
}

/// "`memroy_mb`, expected one of `runtime`, `handler`" → ("`memroy_mb`", ["runtime", "handler"]).
fn split_expected(rest: &str) -> (String, Vec<String>) {
    let (name, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let known = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    (name.trim().to_string(), known)
}

/// "did you mean `memory_mb`?" when one known name is close, then the full list.
pub(super) fn suggest(name: &str, known: &[String], list_intro: &str) -> String {
    let name = name.trim_matches('`');
    let listed = known.join(", ");
    let nearest = known
        .iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&name.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .min_by_key(|(d, _)| *d);
    match nearest {
        // Close enough to be a slip: at most 2 edits, and fewer than half the name's letters.
        Some((d, k)) if d <= 2 && d * 2 < k.len().max(2) => {
            format!("did you mean `{k}`? ({list_intro}: {listed})")
        }
        _ if known.is_empty() => "remove it: no key is allowed here".into(),
        _ => format!("{list_intro}: {listed}"),
    }
}

/// A key defined twice in one table: name the line of the first definition.
fn duplicate(text: &str, span: Range<usize>, key: Option<&str>) -> Diagnostic {
    let name = text
        .get(span.clone())
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| key.map(str::to_string));
    let Some(name) = name else {
        return Diagnostic::new("duplicate key", span)
            .hint("each key may appear once in a table; remove one of them");
    };
    let first = first_definition(text, span.start, &name);
    let d = Diagnostic::new(format!("duplicate key `{name}`"), span);
    match first {
        Some(at) => {
            let (line, col) = line_col(text, at);
            d.hint(format!(
                "`{name}` is first set at line {line}, column {col}; each key may appear once in a table: remove one of them"
            ))
        }
        None => d.hint("each key may appear once in a table; remove one of them"),
    }
}

/// The offset of the earlier `name = …` in the same table as `before`.
fn first_definition(text: &str, before: usize, name: &str) -> Option<usize> {
    let head = text.get(..before)?;
    let mut starts = vec![0];
    starts.extend(head.match_indices('\n').map(|(i, _)| i + 1));
    for &start in starts.iter().rev() {
        let line = text[start..].lines().next().unwrap_or("");
        let trimmed = line.trim_start();
        let at = start + (line.len() - trimmed.len());
        if at >= before {
            continue;
        }
        if trimmed.starts_with('[') {
            return None;
        }
        if let Some(rest) = trimmed.strip_prefix(name)
            && rest.trim_start().starts_with('=')
        {
            return Some(at);
        }
    }
    None
}

/// The key of the `key = value` line that holds `offset`, if the line has that shape.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    ok.then(|| key.to_string())
}

/// Nothing but spaces or a comment follows `key =` on the line at `offset`.
fn missing_value(text: &str, offset: usize) -> bool {
    let offset = offset.min(text.len());
    let start = text
        .get(..offset)
        .and_then(|h| h.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    line.split_once('=').is_some_and(|(_, value)| {
        let v = value.trim();
        v.is_empty() || v.starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_become_words() {
        let text = "memory_mb = \"big\"\n";
        let d = diagnostic(text, 12..17, "invalid type: string \"big\", expected i64");
        assert_eq!(
            d.message,
            "memory_mb must be a whole number, not the text \"big\""
        );
    }

    #[test]
    fn a_huge_number_is_out_of_range_and_leaks_no_type_name() {
        let text = "timeout_s = 3000000000000000000000\n";
        let d = diagnostic(
            text,
            12..34,
            "invalid type: integer `3000000000000000000000` as i128, expected i64",
        );
        assert_eq!(
            d.message,
            "timeout_s = 3000000000000000000000 is out of range"
        );
    }

    #[test]
    fn a_key_without_value_is_called_that() {
        let text = "[x]\nmemory_mb = \n";
        let d = diagnostic(
            text,
            16..17,
            "string values must be quoted, expected literal string",
        );
        assert_eq!(d.message, "memory_mb has no value");
    }

    #[test]
    fn unknown_key_suggests_the_nearest() {
        let d = diagnostic(
            "memroy_mb = 3\n",
            0..9,
            "unknown field `memroy_mb`, expected one of `runtime`, `memory_mb`, `timeout_s`",
        );
        assert_eq!(d.message, "unknown key `memroy_mb`");
        assert!(
            d.hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `memory_mb`?")
        );
        let far = diagnostic(
            "zzz = 3\n",
            0..3,
            "unknown field `zzz`, expected one of `runtime`, `memory_mb`",
        );
        assert_eq!(
            far.hint.as_deref(),
            Some("the keys allowed here are: runtime, memory_mb")
        );
    }

    #[test]
    fn duplicate_key_points_at_the_first() {
        let text = "[f]\na = 1\nmemory_mb = 128\nb = 2\nmemory_mb = 256\n";
        let at = text.rfind("memory_mb").unwrap();
        let d = diagnostic(text, at..at + 9, "duplicate key");
        assert_eq!(d.message, "duplicate key `memory_mb`");
        assert!(
            d.hint.as_deref().unwrap().contains("line 3, column 1"),
            "{:?}",
            d.hint
        );
        // The same key in another table is not the first definition.
        let text = "[a]\nk = 1\n[b]\nk = 2\nk = 3\n";
        let at = text.rfind("k =").unwrap();
        let d = diagnostic(text, at..at + 1, "duplicate key");
        assert!(
            d.hint.as_deref().unwrap().contains("line 4"),
            "{:?}",
            d.hint
        );
    }
}
