//! The published HTML report opens in headless Chromium, renders, and makes no request beyond the
//! file itself. Skips (saying so) where Chromium is not installed (`apt-get install chromium`).

mod common;
use common::Project;
use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        })
}

#[test]
fn report_renders_offline_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (apt-get install chromium to run this test)");
        return;
    };
    let p = Project::new();
    p.ok(&["run"]);
    let report = p.path("out/report.html");
    let html = std::fs::read_to_string(&report).expect("report");
    assert!(html.contains("<svg"), "the report has inline figures");
    let shot = p.path("report.png");
    let netlog = p.path("netlog.json");
    let profile = p.path("chromium-profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("run chromium");
    assert!(
        shot.exists(),
        "no screenshot; chromium said:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("png");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot too small: {} bytes",
        png.len()
    );
    // Every URL the page requested must be the file itself (or an internal data:/about: URL).
    let log = std::fs::read_to_string(&netlog).unwrap_or_default();
    let mut urls = Vec::new();
    let mut rest = log.as_str();
    while let Some(i) = rest.find("\"url\":\"") {
        rest = &rest[i + 7..];
        let end = rest.find('"').unwrap_or(rest.len());
        urls.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    // Chromium itself calls Google's services (time sync, account and search endpoints) even in
    // headless mode; those requests are the browser's, not the page's. The report names none of
    // those hosts (checked first), so any other external request would come from the page.
    let browser_hosts = [
        "google.com/",
        "googleapis.com/",
        "gstatic.com/",
        "gvt1.com/",
    ];
    for host in browser_hosts {
        assert!(!html.contains(host), "the report itself references {host}");
    }
    let external: Vec<&String> = urls
        .iter()
        .filter(|u| u.starts_with("http://") || u.starts_with("https://") || u.starts_with("ws"))
        .filter(|u| !browser_hosts.iter().any(|h| u.contains(h)))
        .collect();
    assert!(external.is_empty(), "the report requested: {external:?}");
}
