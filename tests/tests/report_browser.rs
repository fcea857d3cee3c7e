//! The published HTML report opens in headless Chromium, renders, makes no request beyond the file
//! itself, and fits the page: at 1280 px and at the width of a printed A4 page no element runs past
//! the viewport (wide content scrolls inside its own box) and no SVG text is cut by its figure.
//! Skips (saying so) where Chromium is not installed (`apt-get install chromium`).

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

/// Measures the rendered page in the browser (opening every `<details>` first) and writes what it
/// found, as JSON, into `<pre id="rc-layout-check">`: elements outside the viewport that are not
/// inside a scrolling box, and SVG text outside its figure.
const LAYOUT_CHECK: &str = r#"<script>
(function () {
  for (const d of document.querySelectorAll('details')) d.open = true;
  const vw = document.documentElement.clientWidth;
  const slack = 0.5;
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (typeof el.className === 'string' && el.className) s += '.' + el.className.split(' ').join('.');
    const text = (el.textContent || '').trim().slice(0, 60);
    return text ? s + ' "' + text + '"' : s;
  };
  const inScrollBox = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  const page = document.documentElement.scrollWidth;
  if (page > vw + slack) problems.push('the page is ' + page + ' px wide in a ' + vw + ' px viewport');
  let elements = 0;
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    elements++;
    if (inScrollBox(el)) continue;
    if (r.left < -slack || r.right > vw + slack)
      problems.push('overflow: ' + describe(el) + ' spans x ' + r.left.toFixed(1) + '..' + r.right.toFixed(1) + ' of 0..' + vw);
  }
  let texts = 0;
  for (const t of document.querySelectorAll('svg text')) {
    const svg = t.ownerSVGElement;
    const f = svg.getBoundingClientRect();
    const r = t.getBoundingClientRect();
    texts++;
    if (r.left < f.left - slack || r.right > f.right + slack || r.top < f.top - slack || r.bottom > f.bottom + slack)
      problems.push('clipped: "' + t.textContent + '" in svg#' + svg.id + ' at x ' + (r.left - f.left).toFixed(1) + '..' + (r.right - f.left).toFixed(1) + ', y ' + (r.top - f.top).toFixed(1) + '..' + (r.bottom - f.top).toFixed(1) + ' of a ' + f.width.toFixed(1) + ' x ' + f.height.toFixed(1) + ' figure');
  }
  const out = document.createElement('pre');
  out.id = 'rc-layout-check';
  out.textContent = JSON.stringify({ viewport: vw, elements: elements, texts: texts, problems: problems });
  document.body.appendChild(out);
})();
</script>
"#;

/// What the layout check found on `html` rendered `width` px wide.
struct Layout {
    viewport: u64,
    elements: u64,
    texts: u64,
    problems: Vec<String>,
}

fn measure_layout(browser: &str, html: &str, width: u32, scratch: &std::path::Path) -> Layout {
    let page = scratch.join(format!("layout-{width}.html"));
    let checked = match html.rfind("</body>") {
        Some(i) => format!("{}{LAYOUT_CHECK}{}", &html[..i], &html[i..]),
        None => format!("{html}{LAYOUT_CHECK}"),
    };
    std::fs::write(&page, checked).expect("write page");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--window-size={width},1000"))
        .arg(format!(
            "--user-data-dir={}",
            scratch.join(format!("profile-{width}")).display()
        ))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"rc-layout-check\">").unwrap_or_else(|| {
        panic!(
            "the layout check did not run at {width} px; chromium said:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let body = &dom[start + "<pre id=\"rc-layout-check\">".len()..];
    let body = &body[..body.find("</pre>").expect("end of the check's output")];
    let text = body
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let v: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("check output not JSON ({e}): {text}"));
    let count = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {text}"));
    Layout {
        viewport: count("viewport"),
        elements: count("elements"),
        texts: count("texts"),
        problems: v["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| p.as_str().expect("text").to_string())
            .collect(),
    }
}

/// A printed A4 page is 210 mm wide; less Chromium's default 1 cm margins that leaves 190 mm, 718 px
/// at 96 px per inch. The report is measured there with its print rules in force.
const A4_PRINT_WIDTH: u32 = 718;

#[test]
fn report_fits_the_page_at_1280_px_and_on_a_printed_a4_page() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (apt-get install chromium to run this test)");
        return;
    };
    let p = Project::new();
    p.ok(&["run"]);
    let html = std::fs::read_to_string(p.path("out/report.html")).expect("report");
    // Print rules applied on screen, so the browser lays the page out as it would print it.
    let printed = html.replace("@media print{", "@media all{");
    assert_ne!(printed, html, "the report has print rules");
    for (name, page, width) in [
        ("screen", &html, 1280),
        ("printed A4", &printed, A4_PRINT_WIDTH),
    ] {
        let layout = measure_layout(browser, page, width, p.dir.path());
        assert_eq!(layout.viewport, u64::from(width), "{name}: viewport");
        // The check saw the whole report: every figure's text and the page's elements.
        assert!(
            layout.texts > 100 && layout.elements > 1000,
            "{name}: the check saw {} SVG texts and {} elements",
            layout.texts,
            layout.elements
        );
        assert!(
            layout.problems.is_empty(),
            "{name} ({width} px): {} problems:\n{}",
            layout.problems.len(),
            layout.problems.join("\n")
        );
    }
}

/// The layout check finds what it is meant to find: a box wider than the page, and SVG text cut
/// at each edge of its figure; and it lets wide content inside a scrolling box pass.
#[test]
fn layout_check_reports_overflow_and_clipped_text() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (apt-get install chromium to run this test)");
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let html = r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<div id="too-wide" style="width:1500px">wide</div>
<div style="overflow-x:auto"><div id="scrolls" style="width:3000px">scrolls</div></div>
<svg id="fig" width="200" height="100" viewBox="0 0 200 100" font-size="12">
<text x="2" y="50" text-anchor="end">cut on the left</text>
<text x="198" y="50">cut on the right</text>
<text x="100" y="5" text-anchor="middle">cut at the top</text>
<text x="100" y="60" text-anchor="middle">fits</text>
</svg></body></html>"#;
    let layout = measure_layout(browser, html, 800, scratch.path());
    let problems = layout.problems.join("\n");
    assert!(problems.contains("page is"), "{problems}");
    assert!(problems.contains("div#too-wide"), "{problems}");
    assert!(!problems.contains("div#scrolls"), "{problems}");
    for cut in ["cut on the left", "cut on the right", "cut at the top"] {
        assert!(
            problems.contains(&format!("clipped: \"{cut}\"")),
            "{problems}"
        );
    }
    assert!(!problems.contains("\"fits\""), "{problems}");
}
