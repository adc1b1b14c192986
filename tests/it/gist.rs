//! The English gist, wired: real Turkish, Vietnamese and Spanish notices
//! (the shared development set's) polled over HTTP on 127.0.0.1 get their
//! gist recorded beside the change, and it shows, labelled, in the API, the
//! Atom feed, `show` and `check`; an English notice gets none. A change page
//! with a gist in headless Chromium: screenshot, geometry, escaping.

use crate::helpers::*;
use regwatch::poll::poll_source;
use regwatch::store::ChangeFilter;
use serde_json::Value;
use std::path::Path;

const NOTICES: &str = include_str!("../../crates/classify/tests/data/notices-real-dev-intl.jsonl");

fn notice(id: &str) -> Value {
    NOTICES
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the data"))
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn feed_source(id: &str, jurisdiction: &str, lang: &str, url: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nname = \"Test {id}\"\njurisdiction = \"{jurisdiction}\"\nlanguage = \"{lang}\"\nkind = \"feed\"\nurl = \"{url}\"\nschedule = \"0 * * * *\"\n\n"
    )
}

/// (source id, notice id, what its gist must hold: act, issuer, a code of its goods)
const CASES: &[(&str, &str, &str, Option<&str>, &str)] = &[
    (
        "tr-ticaret",
        "d16",
        "Communiqué 2020/2",
        Some("Ministry of Trade"),
        "8432.29.90.00.19",
    ),
    (
        "vn-hai-quan",
        "d30",
        "Notice 37691/TB-CHQ",
        Some("Department of Customs"),
        "8517.62.59",
    ),
    (
        "mx-dof",
        "d61",
        "Resolution",
        Some("Ministry of Economy (SE)"),
        "3808.50.01",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_not_in_english_get_a_gist_shown_everywhere_and_english_ones_none() {
    let srv = FixtureServer::start().await;
    let mut sources = String::new();
    for (src, nid, ..) in CASES {
        let n = notice(nid);
        sources.push_str(&feed_source(
            src,
            n["jurisdiction"].as_str().unwrap(),
            n["lang"].as_str().unwrap(),
            &srv.url(&format!("/{src}.xml")),
        ));
    }
    sources.push_str(&feed_source("us-cbp", "US", "en", &srv.url("/us-cbp.xml")));
    let s = Setup::new(&sources, "");
    let app = s.app().await;
    // A baseline, then the notice arrives.
    for src in CASES.iter().map(|c| c.0).chain(["us-cbp"]) {
        srv.set(
            &format!("/{src}.xml"),
            Reply::xml(&rss(&[("old", "Duyuru", "metin")])),
        );
        poll_source(&app, &s.source(src)).await.unwrap();
    }
    for (src, nid, ..) in CASES {
        let n = notice(nid);
        srv.set(
            &format!("/{src}.xml"),
            Reply::xml(&rss(&[
                (
                    nid,
                    &xml(n["title"].as_str().unwrap()),
                    &xml(n["text"].as_str().unwrap()),
                ),
                ("old", "Duyuru", "metin"),
            ])),
        );
        poll_source(&app, &s.source(src)).await.unwrap();
    }
    srv.set(
        "/us-cbp.xml",
        Reply::xml(&rss(&[
            (
                "n1",
                "CSMS # 66871234 - Section 232 duties on telephone sets (8517.13)",
                "The duties apply to telephone sets classified in subheading 8517.13 from January 1, 2027.",
            ),
            ("old", "Duyuru", "metin"),
        ])),
    );
    poll_source(&app, &s.source("us-cbp")).await.unwrap();

    let changes = app.store.changes(&ChangeFilter::default()).await.unwrap();
    assert_eq!(changes.len(), 4, "{changes:#?}");
    let mut ids = vec![];
    for (src, nid, act, issuer, code) in CASES {
        let c = changes
            .iter()
            .find(|c| &c.source == src)
            .unwrap_or_else(|| panic!("no change of {src}"));
        let g = c
            .gist
            .as_ref()
            .unwrap_or_else(|| panic!("{src} ({nid}): no gist"));
        let n = notice(nid);
        assert_eq!(g.lang, n["lang"].as_str().unwrap());
        assert_eq!(g.act_type.as_deref(), Some(*act), "{src}: {}", g.text);
        assert_eq!(g.issuer.as_deref(), *issuer, "{src}: {}", g.text);
        assert!(
            g.products.iter().any(|p| p.contains(code)),
            "{src}: goods {code} missing from {:?}",
            g.products
        );
        // The gist recorded is the one of the text and tags recorded with it.
        let body = app.store.change_body(c.id).await.unwrap().unwrap();
        let lang = n["lang"].as_str().unwrap();
        let tags = app.tagger.tag(&c.title, &body, Some(lang), &[]);
        let again = regwatch::gist::of(&c.title, &body, Some(lang), &c.jurisdiction, &tags);
        assert_eq!(again.as_ref(), Some(g), "{src}");
        ids.push((c.id, g.text.clone(), lang.to_string()));
    }
    let en = changes.iter().find(|c| c.source == "us-cbp").unwrap();
    assert!(
        en.gist.is_none(),
        "an English notice has no gist: {:?}",
        en.gist
    );

    // The JSON (the API's and the CLI's): `gist` with `lang` and `text` as
    // DESIGN.md shows, absent for English.
    let (id, text, _) = &ids[1];
    let o = s.run(&["show", &id.to_string(), "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_change_shape(&v);
    assert_eq!(v["gist"]["lang"], "vi");
    assert_eq!(v["gist"]["text"], text.as_str());
    assert_eq!(v["gist"]["act_type"], "Notice 37691/TB-CHQ");
    let o = s.run(&["show", &en.id.to_string(), "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.get("gist").is_none(), "{v}");

    // `show`: labelled, under the original title.
    let o = s.run(&["show", &id.to_string(), "--format", "table"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let title_at = out
        .find("Thông báo 37691/TB-CHQ")
        .expect("the original title");
    let label_at = out
        .find("English gist of the Vietnamese original (not a translation):")
        .unwrap_or_else(|| panic!("no gist label: {out}"));
    assert!(title_at < label_at, "{out}");
    assert!(out.contains(&format!("  {text}\n")), "{out}");
    let o = s.run(&["show", &en.id.to_string(), "--format", "table"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("gist"));

    // `check`: each relevant change with its gist.
    let o = s.run(&[
        "check",
        "--country",
        "VN",
        "--hs",
        "8517.62",
        "--format",
        "table",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("gist (Vietnamese, not a translation): {text}")),
        "{out}"
    );
    let o = s.run(&[
        "check",
        "--country",
        "MX",
        "--hs",
        "3808.50",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["changes"][0]["gist"]["lang"], "es", "{v}");

    // The API and the Atom feed, served.
    let (_app, addr) = crate::ux::serve(&s).await;
    let v: Value = reqwest::get(format!("http://{addr}/api/changes/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["gist"]["text"], text.as_str(), "{v}");
    // The web list and the check page: a line under each title.
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('/', "&#x2f;");
    for path in ["/", "/check?country=VN&hs=8517.62"] {
        let html = reqwest::get(format!("http://{addr}{path}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!(
                "<span class=\"meta\">English gist (not a translation):</span> {escaped}</div>"
            )),
            "{path}: {html}"
        );
    }
    let atom = reqwest::get(format!("http://{addr}/feed.atom"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    for (id, text, lang) in &ids {
        let e = feed
            .entries
            .iter()
            .find(|e| e.id.ends_with(&format!("change/{id}")))
            .unwrap_or_else(|| panic!("no entry for {id}: {atom}"));
        let summary = &e.summary.as_ref().unwrap().content;
        let label = format!(
            "English gist of the {} original (not a translation): {text}",
            regwatch::gist::language_name(lang)
        );
        assert!(summary.contains(&label), "{summary}");
    }
}

#[tokio::test]
async fn a_field_report_gets_a_gist_when_written_in_turkish_and_none_in_english() {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let app = s.app().await;
    let tr = crate::ux::report(
        &app,
        "TR",
        "8517.13",
        Some("2027-01-01"),
        "Gümrük idaresi cep telefonları için BTK kayıt belgesi istiyor",
    )
    .await;
    let en = crate::ux::report(
        &app,
        "TR",
        "8517.13",
        None,
        "Istanbul customs asks for the BTK registration of phones",
    )
    .await;
    let tr = regwatch::services::changes::one(&app, tr).await.unwrap();
    let g = tr.gist.expect("a Turkish report has a gist");
    assert_eq!(g.lang, "tr");
    assert!(g.text.starts_with("Türkiye · "), "{}", g.text);
    assert!(g.text.contains("(8517.13)"), "{}", g.text);
    assert!(g.text.contains("applies from 2027-01-01"), "{}", g.text);
    let en = regwatch::services::changes::one(&app, en).await.unwrap();
    assert!(en.gist.is_none(), "{:?}", en.gist);

    // Too few words to tell: no gist, unless the language is given.
    let short = |lang: Option<&str>| regwatch::services::reports::FieldReport {
        country: "TR".into(),
        hs: vec!["8517.13".into()],
        title: "IMEI ücreti arttı".into(),
        lang: lang.map(str::to_string),
        ..Default::default()
    };
    let mut gists = vec![];
    for lang in [None, Some("tr"), Some("en")] {
        let id = regwatch::services::reports::add(&app, &short(lang))
            .await
            .unwrap();
        gists.push(
            regwatch::services::changes::one(&app, id)
                .await
                .unwrap()
                .gist,
        );
    }
    assert!(gists[0].is_none(), "{:?}", gists[0]);
    let g = gists[1].as_ref().expect("the given language gives a gist");
    assert_eq!(g.lang, "tr");
    assert!(g.text.contains("(8517.13)"), "{}", g.text);
    assert!(gists[2].is_none(), "{:?}", gists[2]);
    // A language that is not a tag is refused with the fix.
    let e = regwatch::services::reports::add(&app, &short(Some("Turkish")))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("is not a language tag: write tr, vi, es or en"),
        "{e}"
    );
}

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(profile: &Path, extra: &[String], url: &str) -> std::process::Output {
    std::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--force-prefers-color-scheme=light",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

/// Lays the change page out at 1280 px in an iframe (the real page runs no
/// script and refuses framing, so its HTML is fetched and given as
/// `srcdoc`, with its real stylesheet) and reports the gist block's
/// geometry and style, and what became elements.
const GIST_HARNESS: &str = r#"<!doctype html><html><body style="margin:0"><pre id="out">pending</pre>
<iframe id="f" width="1280" height="1000" style="border:0"></iframe>
<script>
const f = document.getElementById('f');
fetch("/changes/__ID__").then(r => r.text()).then(html => {
  f.onload = () => {
    const d = f.contentDocument, w = f.contentWindow;
    const box = e => { if (!e) return null; const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; };
    const g = d.getElementById('gist');
    const cs = g ? w.getComputedStyle(g) : null;
    const text = id => { const e = d.getElementById(id); return e ? e.textContent : null; };
    document.getElementById('out').textContent = JSON.stringify({
      iw: w.innerWidth,
      gist: box(g), title: box(d.getElementById('title')), gist_text_box: box(d.getElementById('gist-text')),
      display: cs && cs.display, visibility: cs && cs.visibility, border: cs && cs.borderLeftColor,
      label: g && g.querySelector('h2').textContent,
      title_text: text('title'), gist_text: text('gist-text'), issuer: text('gist-issuer'), act: text('gist-act'),
      scripts: d.querySelectorAll('script').length,
      injected: d.querySelectorAll('#title *, #gist b, #gist img, #gist script, #gist i').length,
      lang_title: d.getElementById('title').getAttribute('lang'), lang_gist: g && g.getAttribute('lang'),
    });
  };
  f.srcdoc = html;
}, e => { document.getElementById('out').textContent = 'fetch failed: ' + e; });
</script></body></html>"#;

/// An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) as
/// width, height and RGB pixels.
fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<[u8; 3]>) {
    use std::io::Read;
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut w, mut h, mut channels) = (0usize, 0usize, 0usize);
    let mut idat = vec![];
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                h = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "bit depth");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("colour type {t}"),
                };
                assert_eq!(data[12], 0, "interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = vec![];
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = w * channels;
    assert_eq!(raw.len(), h * (stride + 1), "image data size");
    let mut out: Vec<u8> = vec![0; h * stride];
    for y in 0..h {
        let filter = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for x in 0..stride {
            let a = if x >= channels {
                out[y * stride + x - channels] as i32
            } else {
                0
            };
            let b = if y > 0 {
                out[(y - 1) * stride + x] as i32
            } else {
                0
            };
            let c = if x >= channels && y > 0 {
                out[(y - 1) * stride + x - channels] as i32
            } else {
                0
            };
            let pred = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("filter {f}"),
            };
            out[y * stride + x] = (line[x] as i32 + pred) as u8;
        }
    }
    let px = out.chunks(channels).map(|p| [p[0], p[1], p[2]]).collect();
    (w, h, px)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_page_shows_the_gist_beside_the_original_and_escapes_it() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("SKIPPED browser test: {CHROMIUM} is missing (apt-get install chromium)");
        return;
    }
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let app = s.app().await;
    app.store.migrate().await.unwrap();
    // A hostile Turkish report: markup in its title and text, and a gist
    // carrying markup in every field (a name the glossary lacks is kept as
    // written, so a gist can carry whatever the page wrote).
    let title =
        "<script>alert(1)</script> Yönetmelik: cep telefonları için <b>BTK</b> kayıt ücreti";
    let text = "Bu Yönetmelik 1/1/2027 tarihinde yürürlüğe girer. GTİP 8517.13 <img src=x onerror=alert(2)>";
    let tags = app.tagger.tag(title, text, Some("tr"), &[]);
    let mut gist = regwatch::gist::of(title, text, Some("tr"), "TR", &tags).expect("a gist");
    gist.issuer = Some("<img src=x onerror=alert(3)> Kurumu".into());
    gist.act_type = Some("Regulation <b>2026/1</b>".into());
    gist.text = format!(
        "Türkiye · {} · {} · <script>alert(4)</script> · {}",
        gist.issuer.as_deref().unwrap(),
        gist.act_type.as_deref().unwrap(),
        gist.products.join("; ")
    );
    let rec = regwatch::store::ChangeRecord {
        change: regwatch::model::NewChange {
            kind: regwatch::model::ChangeKind::Added,
            item_key: None,
            title: title.into(),
            link: None,
            excerpt: text.into(),
            diff: format!("+{text}"),
            text: text.into(),
            published: None,
        },
        tags,
        cases: vec![],
        deliver_to: vec![],
        gist: Some(gist.clone()),
    };
    let id = app
        .store
        .record_field_report("TR", now(), &rec, "tester")
        .await
        .unwrap();

    let shared = regwatch::app::LiveApp::new(s.app().await);
    let router = regwatch::server::router(shared).route(
        "/__gist",
        axum::routing::get(move || async move {
            axum::response::Html(GIST_HARNESS.replace("__ID__", &id.to_string()))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let base = format!("http://{addr}");
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("chromium");

    // Geometry and escaping, in the DOM Chromium built.
    let o = tokio::task::block_in_place(|| {
        chromium(&profile, &["--dump-dom".into()], &format!("{base}/__gist"))
    });
    let dom = String::from_utf8_lossy(&o.stdout).to_string();
    let at = dom
        .find("<pre id=\"out\">")
        .unwrap_or_else(|| panic!("{dom}"))
        + 14;
    let out = &dom[at..at + dom[at..].find("</pre>").unwrap()];
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&quot;", "\"");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["iw"], 1280, "{v}");
    // The markup is text, and the page runs no script.
    assert_eq!(v["scripts"], 0, "a script became an element: {v}");
    assert_eq!(v["injected"], 0, "markup became elements: {v}");
    assert_eq!(v["title_text"], title, "{v}");
    assert_eq!(v["gist_text"], gist.text.as_str(), "{v}");
    assert_eq!(v["issuer"], "<img src=x onerror=alert(3)> Kurumu", "{v}");
    assert_eq!(v["act"], "Regulation <b>2026/1</b>", "{v}");
    assert_eq!(
        v["label"],
        "English gist of the Turkish original (not a translation)"
    );
    assert_eq!(v["lang_title"], "tr");
    assert_eq!(v["lang_gist"], "en");
    // Laid out: visible, inside the page's width, right under the original title.
    assert_eq!(v["display"], "block");
    assert_eq!(v["visibility"], "visible");
    let n = |k: &str, f: &str| v[k][f].as_f64().unwrap_or_else(|| panic!("{k}.{f}: {v}"));
    assert!(
        n("gist", "width") > 300.0 && n("gist", "height") > 40.0,
        "{v}"
    );
    assert!(
        n("gist", "left") >= 0.0 && n("gist", "right") <= 1280.0,
        "{v}"
    );
    let gap = n("gist", "top") - n("title", "bottom");
    assert!(
        (0.0..60.0).contains(&gap),
        "the gist is not beside the title: {v}"
    );
    assert!(n("gist", "bottom") < 1000.0, "above the fold: {v}");

    // The screenshot: the gist block is painted where the DOM says.
    // In the test's temp dir, or docs/img/ when REGWATCH_SCREENSHOTS=1
    // (how the docs' pictures are made).
    let png = if std::env::var("REGWATCH_SCREENSHOTS").is_ok() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img/change-gist-1280.png")
    } else {
        dir.path().join("change-gist-1280.png")
    };
    let o = tokio::task::block_in_place(|| {
        chromium(
            &profile,
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1280,1000".into(),
            ],
            &format!("{base}/changes/{id}"),
        )
    });
    let bytes = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot {}: {e}: {}",
            png.display(),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let (w, h, px) = decode_png(&bytes);
    assert_eq!((w, h), (1280, 1000));
    let at = |x: f64, y: f64| px[(y as usize) * w + x as usize];
    // Its left border, in the page's accent colour (#0b5cad).
    let (gl, gt, gh) = (n("gist", "left"), n("gist", "top"), n("gist", "height"));
    let border = at(gl + 2.0, gt + gh / 2.0);
    let near = |p: [u8; 3], q: [u8; 3]| {
        p.iter()
            .zip(q)
            .all(|(a, b)| (*a as i32 - b as i32).abs() < 40)
    };
    assert!(
        near(border, [0x0b, 0x5c, 0xad]),
        "border pixel {border:?} at {gl},{gt}: {v}"
    );
    // Its text is painted: dark pixels inside the gist line's box.
    let b = &v["gist_text_box"];
    let (x0, y0, x1, y1) = (
        b["left"].as_f64().unwrap(),
        b["top"].as_f64().unwrap(),
        b["right"].as_f64().unwrap(),
        b["bottom"].as_f64().unwrap(),
    );
    let mut dark = 0;
    for y in (y0 as usize)..(y1 as usize).min(h) {
        for x in (x0 as usize)..(x1 as usize).min(w) {
            let p = px[y * w + x];
            if (p[0] as u32 + p[1] as u32 + p[2] as u32) < 200 {
                dark += 1;
            }
        }
    }
    assert!(
        dark > 200,
        "the gist's text is not painted ({dark} dark pixels): {v}"
    );
}

/// A change recorded before gists were kept has no `change_gists` row and
/// loads without one; a stored gist that no longer reads leaves the change
/// readable, without its gist.
#[tokio::test]
async fn old_changes_load_without_a_gist_and_a_broken_one_is_left_out() {
    let s = Setup::new(&crate::ux::dead_source("tr-gazette", "TR"), "");
    let app = s.app().await;
    let title = "Gümrük idaresi cep telefonları için BTK kayıt belgesi istiyor";
    let a = crate::ux::report(&app, "TR", "8517.13", None, title).await;
    let b = crate::ux::report(&app, "TR", "8517.13", None, title).await;
    for id in [a, b] {
        assert!(regwatch::services::changes::one(&app, id)
            .await
            .unwrap()
            .gist
            .is_some());
    }
    let url = app.config.storage.url.clone();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM change_gists WHERE change_id = ?")
        .bind(a)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE change_gists SET gist = '{not json' WHERE change_id = ?")
        .bind(b)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    for id in [a, b] {
        let c = regwatch::services::changes::one(&app, id).await.unwrap();
        assert_eq!(c.title, title);
        assert!(c.gist.is_none(), "{id}: {:?}", c.gist);
        let v = serde_json::to_value(&c).unwrap();
        assert!(v.get("gist").is_none(), "{v}");
    }
}
