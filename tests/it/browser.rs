//! CORS in a real browser: headless Chromium (Debian's package, driven through chromedriver)
//! loads a page from another localhost port that POSTs JSON to the API, so a preflight happens.
//! With `allow_origin` set to the page's origin the call succeeds; with another origin the
//! browser blocks it. The assertions read what the page reports, not what curl would see.

use crate::smoke::api_and_url;
use crate::support::*;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free loopback port, in a process group of its own so that dropping it
/// ends the browsers it started too, even when the test panics.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: the browser test needs Debian's Chromium and its driver.\n\
                 Install them with `apt-get install -y chromium chromium-driver` (scripts/test.sh does this)."
            );
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on 127.0.0.1:{port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }

    /// A headless Chromium session with the flags this closed network needs.
    async fn browser(&self, profile: &Path) -> Client {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": CHROMIUM, "args": args }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session through chromedriver")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid: this reaches only what the test started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Serves `page` for every request, from a loopback port of its own: another origin than the API.
fn serve(page: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    // The thread ends with the test process; it holds nothing else.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    origin
}

/// Loads the page and waits for what it reports about its call to the API.
async fn page_result(browser: &Client, origin: &str) -> String {
    browser.goto(&format!("{origin}/")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = browser
            .execute("return window.corsResult;", vec![])
            .await
            .unwrap();
        if let Some(text) = v.as_str() {
            return text.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the page reported nothing within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_the_allowed_origin_can_call_the_api_and_others_are_blocked() {
    let emu = Emulator::get(Kind::MiniStack);
    let driver = Driver::start();
    let s = Stack::from_example(&emu, "tutorial", "cors");
    s.apply();
    let (_, url) = api_and_url(&s);
    let template = std::fs::read_to_string(repo().join("tests/fixtures/cors.html")).unwrap();
    let origin = serve(template.replace("__API_URL__", &url));

    // Allow exactly the page's origin.
    s.edit(
        "allow_origin = \"*\"",
        &format!("allow_origin = \"{origin}\""),
    );
    s.apply();
    let browser = driver.browser(&s.dir.join("profile-allowed")).await;
    let allowed = page_result(&browser, &origin).await;
    browser.close().await.unwrap();
    assert_eq!(allowed, "ok 200 hello, browser!");

    // Allow some other origin: the preflight no longer admits the page, so the browser blocks.
    s.edit(
        &format!("allow_origin = \"{origin}\""),
        "allow_origin = \"https://other.example\"",
    );
    s.apply();
    // A new browser: Chromium caches a successful preflight for a few seconds.
    let browser = driver.browser(&s.dir.join("profile-blocked")).await;
    let blocked = page_result(&browser, &origin).await;
    browser.close().await.unwrap();
    assert!(
        blocked.starts_with("blocked TypeError"),
        "the browser let the call through: {blocked}"
    );
    s.destroy();
}
