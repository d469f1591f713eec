//! What apply needs beyond a step's typed values, decided at plan time so that apply never reads
//! the stack file nor maps a physical name back to a key: the package of a function it uploads,
//! and whether an s3 notification it removes shares its invoke permission with one it keeps.

use super::Step;
use crate::diff::Action;
use crate::model::Resource;
use crate::package::PackageRef;
use std::collections::BTreeMap;

/// Gives every step what apply needs: each function created, updated or replaced gets its
/// package (`packages` by physical function name); each s3 notification deleted learns whether
/// another of the `desired` entries (same function, same bucket) still uses the invoke permission
/// they share (one per function and bucket, see [`crate::model_events::s3_sid`]).
pub fn attach(steps: &mut [Step], desired: &[Resource], packages: &BTreeMap<String, PackageRef>) {
    for step in steps {
        match (&step.desired, &step.live, step.action) {
            (Some(Resource::Function(f)), _, _) => step.package = packages.get(&f.name).cloned(),
            (_, Some(Resource::S3Notification(n)), Action::Delete) => {
                step.permission_shared = desired.iter().any(|r| {
                    matches!(r, Resource::S3Notification(d)
                        if d.function == n.function && d.bucket == n.bucket)
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff;
    use crate::model_events::S3Notification;

    fn entry(id: &str, bucket: &str) -> Resource {
        Resource::S3Notification(S3Notification {
            bucket: bucket.into(),
            id: id.into(),
            function: "s-f".into(),
            events: vec!["s3:ObjectCreated:*".into()],
            prefix: None,
            suffix: None,
        })
    }

    /// The bucket permission goes with the function's last entry on that bucket, not before.
    #[test]
    fn a_removed_s3_entry_keeps_the_permission_another_entry_uses() {
        let desired = [entry("stackctl-s-f-s3-1", "b1")];
        let live = [
            entry("stackctl-s-f-s3-1", "b1"),
            entry("stackctl-s-f-s3-2", "b1"),
            entry("stackctl-s-f-s3-3", "b2"),
        ];
        let mut steps = crate::plan::build(diff(&desired, &live, &Default::default())).unwrap();
        attach(&mut steps, &desired, &BTreeMap::new());
        let shared: Vec<(&str, bool)> = steps
            .iter()
            .map(|s| (s.name.as_str(), s.permission_shared))
            .collect();
        assert_eq!(
            shared,
            [
                ("b1/stackctl-s-f-s3-2", true),
                ("b2/stackctl-s-f-s3-3", false)
            ]
        );
    }
}
