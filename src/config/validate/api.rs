//! The `[api]` table: routes (paths and verbs), CORS, logging and the stage, checked against the
//! functions the file defines.

use super::*;

impl Validator {
    pub(super) fn api(
        &mut self,
        stack: &str,
        api: &Spanned<RawApi>,
        functions: &BTreeSet<String>,
    ) -> ApiConfig {
        let a = api.get_ref();
        let name = a.name.as_ref().map_or_else(
            || format!("{stack}-api"),
            |n| crate::config::env::api_name(n.get_ref().clone(), self.env.as_deref()),
        );
        if let Some(n) = &a.name {
            self.check(
                !n.get_ref().trim().is_empty() && n.get_ref().len() <= 1024,
                n,
                "invalid API name".into(),
                "use a non-empty name of at most 1024 characters",
            );
        }
        let stage = a
            .stage
            .as_ref()
            .map_or_else(|| "prod".to_string(), |s| s.get_ref().clone());
        if let Some(s) = &a.stage {
            let ok = !s.get_ref().is_empty()
                && s.get_ref().len() <= 128
                && s.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            self.check(
                ok,
                s,
                format!("invalid stage name {:?}", s.get_ref()),
                "use letters, digits, '-' or '_' (at most 128)",
            );
        }
        let cors = a.cors.as_ref().map(|c| {
            let c = c.get_ref();
            let allow_origin = c
                .allow_origin
                .as_ref()
                .map_or_else(|| "*".to_string(), |o| o.get_ref().clone());
            if let Some(o) = &c.allow_origin {
                self.check(
                    !o.get_ref().trim().is_empty() && !o.get_ref().contains('\''),
                    o,
                    format!("invalid allow_origin {:?}", o.get_ref()),
                    "use \"*\" or one origin such as \"https://example.com\"",
                );
            }
            let allow_headers = c.allow_headers.as_ref().map_or_else(
                || DEFAULT_CORS_HEADERS.iter().map(|h| h.to_string()).collect(),
                |hs| {
                    hs.iter()
                        .map(|h| {
                            self.check(
                                is_token(h.get_ref()),
                                h,
                                format!("invalid header name {:?}", h.get_ref()),
                                "a header name is letters, digits and '-'",
                            );
                            h.get_ref().clone()
                        })
                        .collect()
                },
            );
            let allow_methods = c.allow_methods.as_ref().map(|ms| {
                ms.iter()
                    .map(|m| {
                        self.check(
                            METHODS.contains(&m.get_ref().as_str()) && m.get_ref() != "ANY",
                            m,
                            format!("unknown method {:?}", m.get_ref()),
                            "use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS",
                        );
                        m.get_ref().clone()
                    })
                    .collect()
            });
            CorsConfig {
                allow_origin,
                allow_headers,
                allow_methods,
            }
        });

        let mut routes = Vec::new();
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        for r in &a.routes {
            let route = r.get_ref();
            let path = route.path.get_ref();
            if let Err(why) = check_path(path) {
                self.check(
                    false,
                    &route.path,
                    format!("invalid path {path:?}: {why}"),
                    PATH_HINT,
                );
            }
            self.check(
                functions.contains(route.function.get_ref()),
                &route.function,
                format!(
                    "route names function {:?}, which is not defined",
                    route.function.get_ref()
                ),
                &if functions.is_empty() {
                    format!(
                        "the file defines no function: add a [functions.{}] table",
                        route.function.get_ref()
                    )
                } else {
                    format!(
                        "define [functions.{}] or use one of: {}",
                        route.function.get_ref(),
                        functions.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                },
            );
            self.check(
                !route.methods.get_ref().is_empty(),
                &route.methods,
                "methods is empty".into(),
                "list at least one method, e.g. [\"POST\"]",
            );
            let mut methods = Vec::new();
            for m in route.methods.get_ref() {
                let verb = m.get_ref().to_ascii_uppercase();
                if !self.check(
                    METHODS.contains(&verb.as_str()),
                    m,
                    format!("unknown method {:?}", m.get_ref()),
                    "use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY",
                ) {
                    continue;
                }
                if cors.is_some() {
                    self.check(
                        verb != "OPTIONS",
                        m,
                        "OPTIONS is routed while [api.cors] is set".into(),
                        "[api.cors] answers OPTIONS on every path itself; remove OPTIONS or the [api.cors] table",
                    );
                }
                // The first route's offset; its line and column are counted only for a
                // duplicate (counting for every route made a 1000-route file quadratic).
                if let Some(&first) = seen.get(&(path.clone(), verb.clone())) {
                    let (line, col) = crate::config::diag::line_col(&self.text, first);
                    self.diagnostics.push(
                        Diagnostic::new(format!("duplicate route {verb} {path}"), m.span()).hint(
                            format!("{verb} {path} is already routed at line {line}, column {col}; each (path, method) may appear once"),
                        ),
                    );
                } else {
                    seen.insert((path.clone(), verb.clone()), m.span().start);
                }
                methods.push(verb);
            }
            routes.push(RouteConfig {
                path: path.clone(),
                methods,
                function: route.function.get_ref().clone(),
                test_body: route.test_body.as_ref().map(|b| b.get_ref().clone()),
            });
        }
        self.check_siblings(a);
        let paths = routes.iter().map(|r| r.path.as_str());
        let quota = match &a.resources_quota {
            Some(q) if *q.get_ref() < 1 => {
                self.check(
                    false,
                    q,
                    format!("resources_quota = {} must be at least 1", q.get_ref()),
                    "set it to the \"Resources per API\" quota Service Quotas shows for the account",
                );
                limits::API_RESOURCES_MAX
            }
            Some(q) => usize::try_from(*q.get_ref()).unwrap_or(usize::MAX),
            None => limits::API_RESOURCES_MAX,
        };
        self.diagnostics
            .extend(limits::api_resources(paths, api.span(), quota));
        ApiConfig {
            name,
            stage,
            logging: a.logging.as_ref().map_or(LogLevel::Off, |l| *l.get_ref()),
            data_trace: a.data_trace.unwrap_or(false),
            metrics: a.metrics.unwrap_or(false),
            tracing: a.tracing,
            log_retention_days: a.log_retention_days.as_ref().map_or(30, |r| {
                self.retention(r);
                *r.get_ref() as i32
            }),
            cors,
            routes,
        }
    }

    /// API Gateway refuses two different variables (`{id}`, `{name}`) under one parent.
    fn check_siblings(&mut self, a: &RawApi) {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for r in &a.routes {
            let path = r.get_ref().path.get_ref();
            if check_path(path).is_err() {
                continue;
            }
            let mut parent = String::new();
            for seg in path.split('/').filter(|s| !s.is_empty()) {
                if seg.starts_with('{') {
                    match vars.get(&parent) {
                        Some(other) if other != seg => {
                            self.diagnostics.push(
                                Diagnostic::new(
                                    format!("path {path:?} puts {seg} beside {other} under {:?}", if parent.is_empty() { "/" } else { &parent }),
                                    r.get_ref().path.span(),
                                )
                                .hint("API Gateway allows one variable name per level; use the same name in every route"),
                            );
                            break;
                        }
                        _ => {
                            vars.insert(parent.clone(), seg.to_string());
                        }
                    }
                }
                parent.push('/');
                parent.push_str(seg);
            }
        }
    }
}

const PATH_HINT: &str =
    "a path starts with '/', e.g. \"/hello\" or \"/items/{id}\"; no empty segments or trailing '/'";

/// Checks a route path: `/`, or `/seg/seg` where a segment is a literal, `{var}`, or a final `{var+}`.
fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err("it must start with '/'".into());
    }
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err("it must not end with '/'".into());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut names = BTreeSet::new();
    for (i, seg) in segments.iter().enumerate() {
        if seg.is_empty() {
            return Err("it has an empty segment ('//')".into());
        }
        if let Some(inner) = seg.strip_prefix('{') {
            let Some(inner) = inner.strip_suffix('}') else {
                return Err(format!("segment {seg:?} opens '{{' without closing it"));
            };
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("{seg:?} is not a valid path variable"));
            }
            if greedy && i + 1 != segments.len() {
                return Err(format!(
                    "the greedy variable {seg:?} must be the last segment"
                ));
            }
            if !names.insert(name) {
                return Err(format!("variable {{{name}}} appears twice"));
            }
        } else if !seg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:@!$&'()*,;=".contains(c))
            || seg.contains('+')
        {
            return Err(format!(
                "segment {seg:?} has characters API Gateway refuses"
            ));
        }
    }
    Ok(())
}
