//! Policy documents in canonical form, so the desired and live sides compare as plain strings.

/// A policy document in canonical form (sorted keys, no whitespace), so equal policies compare equal
/// whatever order or encoding IAM returns them in.
pub fn canonical_json(doc: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(doc) {
        Ok(v) => serde_json::to_string(&normalise(v)).unwrap_or_else(|_| doc.to_string()),
        Err(_) => doc.to_string(),
    }
}

/// IAM accepts a one-element list and a bare string alike (for Action, Resource, …); compare them
/// as the bare string. `Statement` stays a list, the form everyone writes and expects.
fn normalise(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Array(items) if items.len() == 1 => normalise(items.into_iter().next().unwrap()),
        Value::Array(items) => Value::Array(items.into_iter().map(normalise).collect()),
        // Sorted here, not by relying on serde_json's default map: a dependency that enables its
        // `preserve_order` feature (aws-smithy-protocol-test does, in test builds) would keep
        // IAM's order and make equal policies differ.
        Value::Object(map) => Value::Object(
            map.into_iter()
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("Statement", Value::Array(items)) => {
                            Value::Array(items.into_iter().map(normalise).collect())
                        }
                        ("Statement", one @ Value::Object(_)) => Value::Array(vec![normalise(one)]),
                        (_, v) => normalise(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}
