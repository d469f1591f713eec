//! What a function runs on besides its own code: its instruction set (`architecture`) and the
//! layers Lambda extracts under /opt (`layers`). Checked offline, each problem located.

use super::Diagnostic;
use crate::model::Architecture;
use std::ops::Range;
use toml::Spanned;

/// Lambda's quota: "Lambda layers: five layers" per function (Lambda quotas page).
pub const MAX_LAYERS: usize = 5;

/// `architecture`, default x86_64.
pub fn architecture(raw: Option<&Spanned<String>>, out: &mut Vec<Diagnostic>) -> Architecture {
    let Some(a) = raw else {
        return Architecture::default();
    };
    Architecture::parse(a.get_ref()).unwrap_or_else(|| {
        out.push(
            Diagnostic::new(format!("unknown architecture {:?}", a.get_ref()), a.span())
                .hint("use \"x86_64\" (the default) or \"arm64\" (Graviton)"),
        );
        Architecture::default()
    })
}

/// `layers`: version ARNs (`arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION`), at most
/// [`MAX_LAYERS`], no repeats. Returns the ARNs and their spans.
pub fn layers(
    raw: Option<&Spanned<Vec<Spanned<String>>>>,
    out: &mut Vec<Diagnostic>,
) -> (Vec<String>, Vec<Range<usize>>) {
    let Some(list) = raw else {
        return (Vec::new(), Vec::new());
    };
    if list.get_ref().len() > MAX_LAYERS {
        out.push(
            Diagnostic::new(
                format!(
                    "{} layers; Lambda allows {MAX_LAYERS}",
                    list.get_ref().len()
                ),
                list.span(),
            )
            .hint("merge layers, or move dependencies into the function's own package"),
        );
    }
    let mut arns: Vec<String> = Vec::new();
    let mut spans = Vec::new();
    for l in list.get_ref() {
        let arn = l.get_ref();
        if !is_layer_version_arn(arn) {
            out.push(
                Diagnostic::new(format!("invalid layer version ARN {arn:?}"), l.span()).hint(
                    "use a version ARN, e.g. \"arn:aws:lambda:us-east-1:123456789012:layer:common:3\"",
                ),
            );
        } else if arns.contains(arn) {
            out.push(
                Diagnostic::new(format!("layer {arn} is listed twice"), l.span())
                    .hint("list each layer version once"),
            );
        }
        arns.push(arn.clone());
        spans.push(l.span());
    }
    (arns, spans)
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT(12 digits):layer:NAME:VERSION(digits)`.
pub fn is_layer_version_arn(s: &str) -> bool {
    let p: Vec<&str> = s.split(':').collect();
    p.len() == 8
        && p[0] == "arn"
        && p[1].starts_with("aws")
        && p[2] == "lambda"
        && !p[3].is_empty()
        && p[4].len() == 12
        && p[4].chars().all(|c| c.is_ascii_digit())
        && p[5] == "layer"
        && !p[6].is_empty()
        && p[6]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !p[7].is_empty()
        && p[7].chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_arns() {
        assert!(is_layer_version_arn(
            "arn:aws:lambda:us-east-1:123456789012:layer:common:3"
        ));
        for bad in [
            "arn:aws:lambda:us-east-1:123456789012:layer:common",
            "arn:aws:lambda:us-east-1:123456789012:function:common:3",
            "arn:aws:lambda:us-east-1:1234:layer:common:3",
            "common:3",
        ] {
            assert!(!is_layer_version_arn(bad), "{bad}");
        }
    }

    #[test]
    fn too_many_repeated_and_bad_layers_are_located() {
        let text = r#"layers = ["arn:aws:lambda:us-east-1:123456789012:layer:a:1", "arn:aws:lambda:us-east-1:123456789012:layer:a:1", "x", "arn:aws:lambda:us-east-1:123456789012:layer:b:1", "arn:aws:lambda:us-east-1:123456789012:layer:c:1", "arn:aws:lambda:us-east-1:123456789012:layer:d:1"]"#;
        #[derive(serde::Deserialize)]
        struct T {
            layers: Spanned<Vec<Spanned<String>>>,
        }
        let t: T = toml::from_str(text).unwrap();
        let mut out = Vec::new();
        let (arns, spans) = layers(Some(&t.layers), &mut out);
        assert_eq!(arns.len(), 6);
        assert_eq!(spans.len(), 6);
        let messages: Vec<&str> = out.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("6 layers"));
        assert!(messages[1].contains("listed twice"));
        assert!(messages[2].contains("invalid layer"));
        let mut out = Vec::new();
        let arch = Spanned::new(0..1, "arm".to_string());
        assert_eq!(architecture(Some(&arch), &mut out), Architecture::X86_64);
        assert_eq!(out.len(), 1);
    }
}
