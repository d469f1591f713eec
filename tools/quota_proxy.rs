//! The integration tests' fault-injection proxy (`tests/it/proxy.rs`) as a program, in quota
//! mode, for `scripts/bench.py`: API Gateway's real per-operation quotas and its 10 requests/s
//! account rate (burst 40), enforced with 429s in front of an emulator, so a benchmark measures
//! what a real account would allow.
//!
//! ```sh
//! cargo run --release --example quota-proxy -- http://127.0.0.1:4566 [--latency-ms N]
//! ```
//!
//! `--latency-ms N` holds every request N milliseconds before answering it, as a round trip to an
//! AWS region would (see `Proxy::latency`).
//!
//! Prints `listening http://127.0.0.1:PORT` on stdout, then answers each line read on stdin with
//! one JSON line of counts since the start, `{"admitted": N, "throttled": N, "floor_s": S}` (API
//! Gateway calls let through; answered 429; the least time the quotas allow the admitted calls,
//! in seconds); exits when stdin closes. Listens on 127.0.0.1 only.

#[allow(dead_code)]
#[path = "../tests/it/proxy.rs"]
mod proxy;

/// The little of the test suite's support module that the proxy uses.
mod support {
    #[derive(Debug, Clone, Copy)]
    pub enum Kind {
        Emulator,
    }

    #[derive(Debug, Clone)]
    pub struct Emulator {
        pub kind: Kind,
        pub endpoint: String,
    }
}

use std::io::BufRead;

fn main() {
    let usage = || -> ! {
        eprintln!(
            "usage: quota-proxy http://127.0.0.1:PORT [--latency-ms N]   (the emulator to forward to)"
        );
        std::process::exit(2);
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (endpoint, latency_ms) = match args.as_slice() {
        [endpoint] => (endpoint.clone(), None),
        [endpoint, flag, ms] if flag == "--latency-ms" => match ms.parse::<u64>() {
            Ok(ms) => (endpoint.clone(), Some(ms)),
            Err(_) => usage(),
        },
        _ => usage(),
    };
    let target = support::Emulator {
        kind: support::Kind::Emulator,
        endpoint,
    };
    let proxy = proxy::Proxy::start(&target);
    proxy.quota_mode();
    if let Some(ms) = latency_ms {
        proxy.latency(std::time::Duration::from_millis(ms));
    }
    println!("listening http://{}", proxy.addr);
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
        let throttled = proxy.injected().get("quota-429").copied().unwrap_or(0);
        println!(
            "{{\"admitted\": {}, \"throttled\": {throttled}, \"floor_s\": {:.3}}}",
            proxy.admitted(),
            proxy.quota_floor_s()
        );
    }
}
