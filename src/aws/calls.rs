//! A record of every AWS call made: service, operation, attempts and duration. `-v` prints each one;
//! `STACKCTL_CALL_LOG=FILE` writes them as JSON lines (the call-budget tests read it).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde::Serialize;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub service: String,
    pub operation: String,
    /// HTTP requests sent for this call, retries included.
    pub attempts: u32,
    /// When the call began, in milliseconds from the start of the run: with `millis`, a
    /// timeline of what overlapped and what waited.
    pub started_ms: u128,
    pub millis: u128,
    pub ok: bool,
}

impl Call {
    /// Reads never change anything; everything else is a write.
    pub fn is_write(&self) -> bool {
        !["Get", "List", "Describe", "Filter", "StartLiveTail"]
            .iter()
            .any(|p| self.operation.starts_with(p))
    }
}

/// What to do with each finished call, besides recording it.
pub type OnCall = fn(&Call);

#[derive(Debug)]
pub struct CallLog {
    on_call: Option<OnCall>,
    calls: Mutex<Vec<Call>>,
    file: Option<Mutex<std::fs::File>>,
    created: Instant,
}

impl CallLog {
    /// A log for one run. With `STACKCTL_CALL_LOG=FILE`, every call is also appended to FILE as
    /// a JSON line; a FILE that cannot be opened is an error, since the tests that count calls
    /// must never read a missing log as "no calls".
    /// `on_call` sees each call as it ends (`-v` prints it; the printing is the caller's).
    pub fn new(on_call: Option<OnCall>) -> anyhow::Result<Self> {
        let file = match std::env::var_os("STACKCTL_CALL_LOG") {
            None => None,
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "cannot open STACKCTL_CALL_LOG {}: {e}",
                            std::path::Path::new(&path).display()
                        )
                    })?,
            )),
        };
        Ok(CallLog {
            on_call,
            calls: Mutex::new(Vec::new()),
            file,
            created: Instant::now(),
        })
    }

    pub fn snapshot(&self) -> Vec<Call> {
        self.calls.lock().expect("call log").clone()
    }

    fn record(&self, call: Call) {
        if let Some(on_call) = self.on_call {
            on_call(&call);
        }
        // A call that cannot be logged must not go unnoticed: the log is how tests count calls.
        if let Some(file) = &self.file {
            let line = serde_json::to_string(&call).expect("a call serialises");
            writeln!(file.lock().expect("call log file"), "{line}")
                .expect("STACKCTL_CALL_LOG: writing a call failed");
        }
        self.calls.lock().expect("call log").push(call);
    }
}

#[derive(Debug, Clone)]
struct Started {
    at: Instant,
    attempts: u32,
}

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug, Clone)]
pub(super) struct Recorder(pub Arc<CallLog>);

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "stackctl-call-recorder"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started {
            at: Instant::now(),
            attempts: 0,
        });
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(started) = cfg.load::<Started>().cloned() {
            cfg.interceptor_state().store_put(Started {
                attempts: started.attempts + 1,
                ..started
            });
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_default();
        let started = cfg.load::<Started>();
        self.0.record(Call {
            service,
            operation,
            attempts: started.map_or(0, |s| s.attempts),
            started_ms: started.map_or(0, |s| s.at.duration_since(self.0.created).as_millis()),
            millis: started.map_or(0, |s| s.at.elapsed().as_millis()),
            ok: matches!(context.output_or_error(), Some(Ok(_))),
        });
        Ok(())
    }
}
