//! Lambda layer versions a stack file names: do they exist, how big are they, which
//! architectures do they declare. Read only when the file names layers.

use crate::aws::{Absent, Aws, Service::Lambda};
use crate::config::{Diagnostic, StackConfig};
use anyhow::Result;
use futures::future::try_join_all;
use std::collections::BTreeMap;

/// A layer version as `GetLayerVersionByArn` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerVersion {
    /// `Content.CodeSize`: the size of the layer's **zip**, in bytes. Lambda reports no unzipped
    /// size, so this is a lower bound of what the layer adds to the 250 MB unzipped limit.
    pub zip_bytes: u64,
    /// `CompatibleArchitectures` (`x86_64`, `arm64`); empty when the layer declares none.
    pub architectures: Vec<String>,
}

/// Each distinct ARN once, concurrently; `None` for a layer version that does not exist.
pub async fn read_layers(
    aws: &Aws,
    arns: &[String],
) -> Result<BTreeMap<String, Option<LayerVersion>>> {
    let mut distinct: Vec<&String> = arns.iter().collect();
    distinct.sort();
    distinct.dedup();
    let found = try_join_all(distinct.iter().map(|arn| async move {
        let out = aws
            .read_call(Lambda, "GetLayerVersionByArn", arn, || {
                aws.lambda.get_layer_version_by_arn().arn(*arn).send()
            })
            .await
            .found()?;
        anyhow::Ok(out.map(|out| {
            LayerVersion {
                zip_bytes: out
                    .content()
                    .map_or(0, |c| u64::try_from(c.code_size()).unwrap_or(0)),
                architectures: out
                    .compatible_architectures()
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect(),
            }
        }))
    }))
    .await?;
    Ok(distinct.into_iter().cloned().zip(found).collect())
}

/// Lambda's limit on a function's unzipped code plus all its layers (Lambda quotas page:
/// "Deployment package (.zip file archive) size: 250 MB (unzipped), including layers").
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

/// Checks each function's layers against what was read: each exists, is in the stack's region,
/// declares the function's architecture (when it declares any), and the function's unzipped
/// package plus its layers fits in [`MAX_UNZIPPED_BYTES`] (layers counted by zip size, the only
/// size Lambda reports: a lower bound). `unzipped`: each function's package, by key, in bytes.
pub fn check(
    config: &StackConfig,
    region: &str,
    unzipped: &BTreeMap<String, u64>,
    found: &BTreeMap<String, Option<LayerVersion>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, f) in &config.functions {
        let mut layers_bytes = 0;
        for (arn, span) in f.layers.iter().zip(&f.layer_spans) {
            let in_region = arn.split(':').nth(3) == Some(region);
            match found.get(arn).cloned().flatten() {
                _ if !in_region => out.push(
                    Diagnostic::new(format!("layer {arn} is not in {region}"), span.clone())
                        .hint("a function can use only layers of its own region: publish the layer there"),
                ),
                None => out.push(
                    Diagnostic::new(format!("layer version {arn} does not exist"), span.clone())
                        .hint("check the ARN and version (lambda:GetLayerVersionByArn found nothing), and that the layer is shared with this account"),
                ),
                Some(l) => {
                    let arch = f.architecture.as_str();
                    if !l.architectures.is_empty() && !l.architectures.iter().any(|a| a == arch) {
                        out.push(
                            Diagnostic::new(
                                format!(
                                    "layer {arn} is built for {}, not {arch}",
                                    l.architectures.join(", ")
                                ),
                                span.clone(),
                            )
                            .hint("use a version of the layer built for this architecture, or change `architecture`"),
                        );
                    }
                    layers_bytes += l.zip_bytes;
                }
            }
        }
        let own = unzipped.get(key).copied().unwrap_or(0);
        if !f.layers.is_empty() && own + layers_bytes > MAX_UNZIPPED_BYTES {
            out.push(
                Diagnostic::new(
                    format!(
                        "function {key}: its code ({} MB unzipped) and layers (at least {} MB) exceed Lambda's 250 MB unzipped limit",
                        own / MB,
                        layers_bytes / MB
                    ),
                    f.layer_spans[0].clone(),
                )
                .hint("drop a layer, or move dependencies out of the package (see `stackctl build`)"),
            );
        }
    }
    out
}

const MB: u64 = 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_foreign_region_wrong_architecture_and_oversize_layers_are_located() {
        let dir = std::env::temp_dir().join(format!("stackctl-layers-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("f")).unwrap();
        std::fs::write(dir.join("f/index.py"), "x").unwrap();
        let arn =
            |n: &str, region: &str| format!("arn:aws:lambda:{region}:123456789012:layer:{n}:1");
        let text = format!(
            "[stack]\nname = \"s\"\n[functions.f]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"f\"\narchitecture = \"arm64\"\nlayers = [{:?}, {:?}, {:?}, {:?}]\n",
            arn("missing", "us-east-1"),
            arn("other", "eu-west-1"),
            arn("x86", "us-east-1"),
            arn("big", "us-east-1"),
        );
        let config = StackConfig::parse(&dir.join("stack.toml"), &text).unwrap();
        let found = BTreeMap::from([
            (arn("missing", "us-east-1"), None),
            (
                arn("x86", "us-east-1"),
                Some(LayerVersion {
                    zip_bytes: 10,
                    architectures: vec!["x86_64".into()],
                }),
            ),
            (
                arn("big", "us-east-1"),
                Some(LayerVersion {
                    zip_bytes: 200 * MB,
                    architectures: vec![],
                }),
            ),
        ]);
        let unzipped = BTreeMap::from([("f".to_string(), 60 * MB)]);
        let out = check(&config, "us-east-1", &unzipped, &found);
        let messages: Vec<&str> = out.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].contains("does not exist"));
        assert!(messages[1].contains("is not in us-east-1"));
        assert!(messages[2].contains("built for x86_64, not arm64"));
        assert!(messages[3].contains("exceed Lambda's 250 MB"));
        assert_eq!(
            &text[out[0].span.clone()],
            format!("{:?}", arn("missing", "us-east-1"))
        );
        // Within the limit, nothing to say.
        let small = BTreeMap::from([("f".to_string(), MB)]);
        let ok = BTreeMap::from([(
            arn("big", "us-east-1"),
            found[&arn("big", "us-east-1")].clone(),
        )]);
        let one = text.replace(
            &format!(
                "[{:?}, {:?}, {:?}, {:?}]",
                arn("missing", "us-east-1"),
                arn("other", "eu-west-1"),
                arn("x86", "us-east-1"),
                arn("big", "us-east-1")
            ),
            &format!("[{:?}]", arn("big", "us-east-1")),
        );
        let config = StackConfig::parse(&dir.join("stack.toml"), &one).unwrap();
        assert!(check(&config, "us-east-1", &small, &ok).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
