//! Every page each demo role can reach, the way a person meets them: following the links the
//! pages show, as each demo login, on the demo data. It fails on any link that answers 4xx or
//! 5xx (a link shown to someone who may not open it is a defect), and on any page wider than
//! the screen in headless Chromium at phone width (390 px) and on a desktop (1280 px). It
//! prints the slowest pages: a report for reading, not an assertion (timings belong in
//! `zhiyuan bench`).
//!
//! The crawl follows links over HTTP with the role's session. Pages of one kind (the same
//! path with its numbers taken out, and the same query keys) are opened a few times each, and
//! a few of each kind's links are checked on every page, so that the crawl covers every kind
//! of page without opening every volunteer of the demo city.
//!
//! Skips itself when Chromium is not installed, unless `ZHIYUAN_REQUIRE_BROWSER` is set:
//! `ZHIYUAN_REQUIRE_BROWSER=1 cargo test -p zhiyuan-web --test browser_crawl -- --nocapture`.

#[path = "support/browser.rs"]
mod browser;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use browser::{log_in, start_server};
use fantoccini::Client;

/// The demo logins, one per role.
const ROLES: &[&str] = &["admin", "chaoyang", "jianwai", "team", "volunteer", "resident"];
/// Pages of one kind opened and searched for links.
const OPEN_PER_KIND: usize = 2;
/// Links of one kind checked per page they appear on.
const CHECK_PER_KIND_PER_PAGE: usize = 3;
/// A bound on the pages opened per role, so that a link loop cannot run away.
const MAX_PAGES: usize = 400;
const WIDTHS: &[(u32, u32)] = &[(390, 844), (1280, 900)];
/// Every role reaches at least this many kinds of page.
const MIN_KINDS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_every_role_links_only_to_what_it_may_open_and_fits_the_screen() -> Result<()> {
    let Some(b) = browser::Browser::start().await? else {
        return Ok(());
    };
    let result = run(&b.client).await;
    if result.is_err() {
        let _ = b
            .screenshot(&std::env::temp_dir().join("zhiyuan-crawl-failure.png"))
            .await;
    }
    b.close().await?;
    result
}

/// What one role's crawl found.
#[derive(Default)]
struct Crawl {
    /// The first page of each kind, for the browser to open.
    kinds: BTreeMap<String, String>,
    /// (page, link, status) of every link that did not answer 2xx or 3xx.
    broken: Vec<(String, String, u16)>,
    /// How long each opened page took to answer.
    timings: Vec<(Duration, String)>,
}

async fn run(c: &Client) -> Result<()> {
    let data = tempfile::tempdir()?;
    let (base, _app) = start_server(data.path()).await?;
    let mut problems = Vec::new();
    let mut timings = Vec::new();
    for role in ROLES {
        let crawl = crawl(&base, role).await?;
        eprintln!("{role}: {} kinds of page", crawl.kinds.len());
        // a crawl that found little has not walked the product (a failed login, a broken home page)
        ensure!(
            crawl.kinds.len() >= MIN_KINDS,
            "{role} reached only {:?}",
            crawl.kinds.values().collect::<Vec<_>>()
        );
        for (page, link, status) in &crawl.broken {
            problems.push(format!("{role}: {page} links to {link}, which answers {status}"));
        }
        timings.extend(crawl.timings.into_iter().map(|(d, p)| (d, format!("{role} {p}"))));
        c.delete_all_cookies().await?;
        log_in(c, &base, role, "/").await?;
        for &(w, h) in WIDTHS {
            c.set_window_rect(0, 0, w, h).await?;
            c.goto(&format!("{base}/")).await?;
            let inner = c.execute("return window.innerWidth", vec![]).await?;
            ensure!(
                inner.as_u64() == Some(u64::from(w)),
                "the window is {inner} px wide, not {w}"
            );
            for path in crawl.kinds.values() {
                c.goto(&format!("{base}{path}")).await?;
                let wide = c
                    .execute(
                        "var d = document.documentElement; \
                         return d.scrollWidth > window.innerWidth \
                           ? d.scrollWidth + ' px: ' + Array.from(document.querySelectorAll('main *')) \
                               .filter(function (e) { return e.getBoundingClientRect().right > window.innerWidth + 1; }) \
                               .slice(0, 3).map(function (e) { return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ')[0] : ''); }).join(', ') \
                           : '';",
                        vec![],
                    )
                    .await?;
                if let Some(w_text) = wide.as_str().filter(|s| !s.is_empty()) {
                    problems.push(format!("{role}: {path} is wider than {w} px ({w_text})"));
                }
            }
        }
    }
    timings.sort_by_key(|t| std::cmp::Reverse(t.0));
    eprintln!("the slowest pages (a report, not a measurement: debug build, shared machine):");
    for (d, p) in timings.iter().take(15) {
        eprintln!("  {:>6.1} ms  {p}", d.as_secs_f64() * 1000.0);
    }
    if !problems.is_empty() {
        bail!("{} problems:\n{}", problems.len(), problems.join("\n"));
    }
    Ok(())
}

/// Follows the links `role` is shown, from the home page and the main navigation.
async fn crawl(base: &str, role: &str) -> Result<Crawl> {
    let client = session(base, role).await?;
    let mut out = Crawl::default();
    let mut opened: HashMap<String, usize> = HashMap::new();
    let mut checked: HashMap<String, u16> = HashMap::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::from([("/".to_owned(), "(start)".to_owned())]);
    let mut seen: HashSet<String> = HashSet::from(["/".to_owned()]);
    let mut pages = 0;
    while let Some((path, from)) = queue.pop_front() {
        if pages >= MAX_PAGES {
            break;
        }
        let kind = kind_of(&path);
        let n = opened.entry(kind.clone()).or_default();
        if *n >= OPEN_PER_KIND {
            continue;
        }
        *n += 1;
        pages += 1;
        let started = Instant::now();
        let r = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .with_context(|| format!("{role} GET {path}"))?;
        let status = r.status().as_u16();
        let html_page = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let body = r.text().await?;
        out.timings.push((started.elapsed(), path.clone()));
        checked.insert(path.clone(), status);
        if status >= 400 {
            out.broken.push((from, path, status));
            continue;
        }
        if !html_page {
            continue;
        }
        out.kinds.entry(kind).or_insert_with(|| path.clone());
        let mut per_kind: HashMap<String, usize> = HashMap::new();
        for link in links(&body) {
            let k = kind_of(&link);
            let count = per_kind.entry(k.clone()).or_default();
            *count += 1;
            if *count > CHECK_PER_KIND_PER_PAGE {
                continue;
            }
            let status = match checked.get(&link) {
                Some(s) => *s,
                None => {
                    let s = client
                        .get(format!("{base}{link}"))
                        .send()
                        .await?
                        .status()
                        .as_u16();
                    checked.insert(link.clone(), s);
                    s
                }
            };
            if status >= 400 {
                out.broken.push((path.clone(), link.clone(), status));
            } else if seen.insert(link.clone()) && opened.get(&k).copied().unwrap_or(0) < OPEN_PER_KIND {
                queue.push_back((link, path.clone()));
            }
        }
    }
    Ok(out)
}

/// A client with `role`'s session, logged in through the login form.
async fn session(base: &str, role: &str) -> Result<reqwest::Client> {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("origin", base.parse()?);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(h)
        .build()?;
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", role),
            ("password", zhiyuan_app::demo::DEMO_PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await?;
    if r.status() != 303 {
        bail!("{role} could not log in: {}", r.status());
    }
    Ok(client)
}

/// The local links of a page (`href="/…"`), without their fragments, HTML entities decoded.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let Some(end) = rest.find('"') else { break };
        let raw = &rest[..end];
        rest = &rest[end..];
        let link = raw
            .replace("&amp;", "&")
            .replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&quot;", "\"");
        let link = link.split('#').next().unwrap_or("").to_owned();
        if link.starts_with('/') && !link.starts_with("//") && !link.is_empty() {
            out.push(link);
        }
    }
    out
}

/// The kind of page a path is: its numbers taken out, its query keys (and their non-numeric
/// values, which choose a view: `?status=open`) sorted.
fn kind_of(path: &str) -> String {
    let (p, q) = path.split_once('?').unwrap_or((path, ""));
    let numberless = |s: &str| {
        let mut out = String::new();
        let mut in_digits = false;
        for ch in s.chars() {
            if ch.is_ascii_digit() {
                if !in_digits {
                    out.push('#');
                }
                in_digits = true;
            } else {
                out.push(ch);
                in_digits = false;
            }
        }
        out
    };
    let mut keys: Vec<String> = q
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                // a cursor or a search term: any value is the same kind of page
                "after" | "before" | "q" | "next" | "t" => k.to_owned(),
                _ => format!("{k}={}", numberless(v)),
            }
        })
        .collect();
    keys.sort();
    format!("{}?{}", numberless(p), keys.join("&"))
}

#[test]
fn kinds_group_pages_that_differ_only_in_their_numbers() {
    assert_eq!(kind_of("/volunteers/12"), kind_of("/volunteers/345"));
    assert_ne!(
        kind_of("/orders/queue?status=open"),
        kind_of("/orders/queue?status=done")
    );
    assert_eq!(kind_of("/volunteers?after=abc"), kind_of("/volunteers?after=xyz"));
    assert_eq!(
        links(
            r#"<a href="/a?x=1&amp;y=2#top">a</a> <a href="https://example.com/">b</a> <link href="/assets/app.css">"#
        ),
        vec!["/a?x=1&y=2".to_owned(), "/assets/app.css".to_owned()]
    );
}
