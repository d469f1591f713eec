//! A new REST API's model written in one request: on LocalStack (which has PutRestApi, as AWS
//! does) the resources and methods of a first apply travel as one OpenAPI document; on MiniStack
//! (no PutRestApi) the same apply falls back to one call per resource and method. Either way the
//! live API reads back as the file describes, so the next plan is a no-op.

use crate::proxy::{Fault, Proxy};
use crate::support::*;

fn count(run: &Run, op: &str, ok: bool) -> usize {
    run.calls
        .iter()
        .filter(|c| c.service == "API Gateway")
        .filter(|c| c.operation == op && c.ok == ok)
        .count()
}

const PER_ROUTE_WRITES: [&str; 5] = [
    "CreateResource",
    "PutMethod",
    "PutIntegration",
    "PutMethodResponse",
    "PutIntegrationResponse",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_api_is_written_in_one_put_rest_api_on_localstack() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "api", "bulk");
    let applied = s.apply();
    assert_eq!(
        count(&applied, "PutRestApi", true),
        1,
        "{:?}",
        applied.writes()
    );
    for op in PER_ROUTE_WRITES {
        assert_eq!(
            count(&applied, op, true),
            0,
            "{op} sent: {:?}",
            applied.writes()
        );
    }
    // Read back independently: every routed method and its CORS preflight are there.
    let api = tagged_apis(&emu, &s.name).await;
    assert_eq!(api.len(), 1, "{api:?}");
    let live = methods(&emu, &api[0]).await;
    for expected in [
        "GET /items",
        "POST /items",
        "GET /items/{id}",
        "OPTIONS /items/{id}",
    ] {
        assert!(
            live.iter().any(|m| m == expected),
            "{expected} missing: {live:?}"
        );
    }
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    s.destroy();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_put_rest_api_the_model_is_written_call_by_call_on_ministack() {
    let emu = Emulator::get(Kind::MiniStack);
    let s = Stack::from_example(&emu, "api", "bulkms");
    let applied = s.apply();
    assert_eq!(
        count(&applied, "PutRestApi", false),
        1,
        "{:?}",
        applied.writes()
    );
    assert!(
        count(&applied, "PutMethod", true) >= 8,
        "{:?}",
        applied.writes()
    );
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    s.ok(&["test"]);
    s.destroy();
}

/// PutRestApi with `mode=overwrite` is idempotent: a lost response is simply sent again, and the
/// apply converges with one API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_put_rest_api_response_is_resent() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    proxy.inject("PutRestApi", Fault::LostResponse, 1);
    let s = Stack::from_example(&proxy.emulator(), "api", "bulklost");
    s.apply();
    assert_eq!(proxy.total_injected(), 1);
    assert_eq!(tagged_apis(&emu, &s.name).await.len(), 1);
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    s.destroy();
}
