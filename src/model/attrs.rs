//! A resource's attributes as display strings (`memory_mb = 128`, `tags.team = "x"`): what the
//! plan shows and the diff lists as changes. Apply never reads them; it compares the typed
//! fields (see `plan::changed`).

use super::*;

impl Resource {
    /// The attributes the diff compares and the plan shows, as display strings.
    pub fn attrs(&self) -> BTreeMap<String, String> {
        let mut a = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            a.insert(k.to_string(), v);
        };
        let tags = |a: &mut BTreeMap<String, String>, tags: &Tags| {
            for (k, v) in tags {
                a.insert(format!("tags.{k}"), quote(v));
            }
        };
        match self {
            Resource::Role(r) => {
                put("trust", r.trust_service.clone());
                put("policy", r.policy.clone());
                tags(&mut a, &r.tags);
            }
            Resource::LogGroup(l) => {
                put(
                    "retention_days",
                    l.retention_days
                        .map_or("never expire".into(), |d| d.to_string()),
                );
                tags(&mut a, &l.tags);
            }
            Resource::Function(f) => {
                put("runtime", quote(&f.runtime));
                put("handler", quote(&f.handler));
                put("memory_mb", f.memory_mb.to_string());
                put("timeout_s", f.timeout_s.to_string());
                put("description", quote(&f.description));
                put("role", f.role_arn.clone());
                put("code_sha256", f.code_sha256.clone());
                put("architecture", quote(f.architecture.as_str()));
                if !f.layers.is_empty() {
                    put("layers", format!("{:?}", f.layers));
                }
                if f.tracing {
                    put("tracing", "Active".into());
                }
                for (k, v) in &f.environment {
                    a.insert(format!("environment.{k}"), quote(v));
                }
                tags(&mut a, &f.tags);
            }
            Resource::RestApi(r) => {
                put("name", quote(&r.name));
                put("endpoint", r.endpoint_type.clone());
                tags(&mut a, &r.tags);
            }
            Resource::ApiResource(_) => {}
            Resource::Method(m) => {
                put("authorization", m.authorization.clone());
                match &m.integration {
                    Integration::LambdaProxy { function, uri } => {
                        put("integration", "AWS_PROXY (POST)".into());
                        put("function", function.clone());
                        put("uri", uri.clone());
                    }
                    Integration::CorsMock {
                        allow_origin,
                        allow_methods,
                        allow_headers,
                    } => {
                        put("integration", "MOCK".into());
                        put("allow_origin", quote(allow_origin));
                        put("allow_methods", quote(allow_methods));
                        put("allow_headers", quote(allow_headers));
                    }
                }
            }
            Resource::GatewayResponse(g) => {
                for (k, v) in &g.parameters {
                    a.insert(k.clone(), v.clone());
                }
            }
            // The route is in the statement id; live statements do not carry it otherwise.
            Resource::Permission(p) => {
                if let Some(note) = crate::policy::scope_note(&p.statement_id) {
                    put("scope", note.into());
                }
                put(
                    "source_arn",
                    p.source_arn
                        .clone()
                        .unwrap_or_else(|| KNOWN_AFTER_APPLY.into()),
                );
            }
            Resource::AccountRole(_) => {
                put("trust", "apigateway.amazonaws.com".into());
                put("policy", "AmazonAPIGatewayPushToCloudWatchLogs".into());
            }
            Resource::AccountSettings(s) => {
                put(
                    "cloudwatch_role_arn",
                    s.cloudwatch_role_arn
                        .clone()
                        .unwrap_or_else(|| "(none)".into()),
                );
            }
            Resource::Stage(s) => {
                put("deployment", s.model.clone());
                put("logging", s.log_level.clone());
                put("data_trace", s.data_trace.to_string());
                put("metrics", s.metrics.to_string());
                if let Some(t) = s.tracing {
                    put("tracing", t.to_string());
                }
                tags(&mut a, &s.tags);
            }
            Resource::EventSourceMapping(m) => {
                m.attrs(&mut a);
                tags(&mut a, &m.tags);
            }
            Resource::ScheduleRule(r) => {
                r.attrs(&mut a);
                tags(&mut a, &r.tags);
            }
            Resource::SnsSubscription(s) => s.attrs(&mut a),
            Resource::S3Notification(n) => n.attrs(&mut a),
        }
        a
    }
}
