//! The streaming extractor (extract/stream) against the DOM path
//! (`page::extract_dom`): wherever the stream answers, its answer is the
//! DOM path's, `Content` for `Content` and error for error.
//!
//! - every HTML fixture under tests/fixtures/sources/, with the rules of
//!   every page source of the catalogue and a set of generic rules;
//! - generated listings: nested markup, omitted and stray end tags,
//!   misnested formatting elements, tables, entities, comments,
//!   scripts/styles, `<pre>`, `<br>`, whitespace, invisible characters,
//!   CR, NUL, SVG — with selectors of the streamable subset;
//! - the same generated documents as trees: the elements, attributes and
//!   text the stream sees, in order, are those of html5ever's tree.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use regwatch::extract::page::{extract_dom, stream_plan};
use regwatch::extract::stream;
use regwatch::model::SourceKind;
use regwatch::rules::{CompiledRules, ExtractRules, PageRules};
use std::path::{Path, PathBuf};

fn url() -> url::Url {
    url::Url::parse("https://example.org/news/list.html").unwrap()
}

fn page_rules(x: &ExtractRules) -> Option<PageRules> {
    CompiledRules::compile(SourceKind::Page, x)
        .ok()
        .map(|c| c.page)
}

fn rules(
    content: Option<&str>,
    exclude: &[&str],
    item: Option<&str>,
    title: Option<&str>,
    link: Option<&str>,
    text: Option<&str>,
) -> ExtractRules {
    ExtractRules {
        content: content.map(Into::into),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        item: item.map(Into::into),
        item_title: title.map(Into::into),
        item_link: link.map(Into::into),
        item_text: text.map(Into::into),
        ..Default::default()
    }
}

/// Compare both paths on one document: `Some(true)` streamed and equal,
/// `Some(false)` the stream gave it to the DOM path; a difference panics.
fn compare(html: &str, r: &PageRules, what: &str) -> Result<bool, String> {
    let Some(plan) = stream_plan(r) else {
        return Ok(false);
    };
    let dom = extract_dom(html, r, &url());
    match stream::extract(html, plan, &url()) {
        Ok(s) => {
            if s != dom {
                return Err(format!(
                    "{what}: stream and DOM differ\n stream: {s:?}\n    dom: {dom:?}"
                ));
            }
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sources");
    let mut out = vec![];
    for dir in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let f = f.unwrap().path();
            if f.extension().and_then(|e| e.to_str()) == Some("html") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn generic_rules() -> Vec<ExtractRules> {
    vec![
        rules(None, &[], None, None, None, None),
        rules(
            Some("main, article, #content, body"),
            &["nav", "header", "footer"],
            None,
            None,
            None,
            None,
        ),
        rules(
            None,
            &["script", "style", "noscript"],
            Some("li"),
            None,
            None,
            None,
        ),
        rules(
            None,
            &["nav", "header", "footer"],
            Some("a[href]"),
            None,
            None,
            None,
        ),
        rules(Some("body"), &[], Some("tr"), Some("td"), Some("a"), None),
        rules(
            None,
            &[".menu, nav"],
            Some("div"),
            Some("a"),
            None,
            Some("p"),
        ),
        rules(None, &[], Some("h1, h2, h3, h4"), None, None, None),
        rules(Some("table"), &[], Some("tr"), None, None, Some("td, th")),
        rules(
            Some("ul, ol"),
            &[],
            Some("li"),
            Some("a"),
            Some("a[href]"),
            None,
        ),
    ]
}

#[test]
fn every_page_fixture_extracts_the_same_on_both_paths() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sources");
    let catalogue = regwatch::config::load_sources_dir(&dir, &Default::default()).unwrap();
    let mut sets: Vec<(String, PageRules)> = catalogue
        .iter()
        .filter(|s| s.def.kind == SourceKind::Page)
        .map(|s| (s.def.id.as_str().to_string(), s.rules.page.clone()))
        .collect();
    for (i, x) in generic_rules().iter().enumerate() {
        sets.push((format!("generic-{i}"), page_rules(x).unwrap()));
    }
    let (mut streamed, mut fell_back, mut dom_only) = (0, 0, 0);
    let mut failures = vec![];
    let mut per_fixture = vec![];
    for f in fixtures() {
        let html = regwatch::extract::charset::decode(&std::fs::read(&f).unwrap(), None);
        let mut fs = 0;
        for (id, r) in &sets {
            if stream_plan(r).is_none() {
                dom_only += 1;
                continue;
            }
            match compare(&html, r, &format!("{} with {id}", f.display())) {
                Ok(true) => {
                    streamed += 1;
                    fs += 1;
                }
                Ok(false) => fell_back += 1,
                Err(e) => failures.push(e),
            }
        }
        let bail = sets
            .iter()
            .find_map(|(_, r)| stream_plan(r))
            .and_then(|p| stream::extract(&html, p, &url()).err());
        per_fixture.push(format!(
            "{}: {fs} streamed{}",
            f.file_name().unwrap().to_string_lossy(),
            bail.map(|b| format!(", DOM path: {b}")).unwrap_or_default()
        ));
    }
    println!("{}", per_fixture.join("\n"));
    println!("streamed {streamed}, fell back {fell_back}, DOM-only rules {dom_only}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(streamed > fell_back, "most fixture extractions stream");
}

// ---- generated documents ----

fn text_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Duyuru".to_string()),
        Just("Gümrük tarife".to_string()),
        Just(" ".to_string()),
        Just("\n  \t".to_string()),
        Just("\r\n".to_string()),
        Just("\r".to_string()),
        Just("&amp;".to_string()),
        Just("&lt;b&gt;".to_string()),
        Just("&nbsp;".to_string()),
        Just("&copy".to_string()),
        Just("&notit;".to_string()),
        Just("&#8212;".to_string()),
        Just("&#x9F;".to_string()),
        Just("&#0;".to_string()),
        Just("&bogus;".to_string()),
        Just("a < b".to_string()),
        Just("\u{200B}".to_string()),
        Just("\u{00AD}".to_string()),
        Just("\u{00A0}".to_string()),
        Just("\u{FEFF}".to_string()),
        Just("\0".to_string()),
        Just("e\u{0301}".to_string()),
        Just("8517.62".to_string()),
        "[a-zA-Z0-9 ]{1,8}",
    ]
}

fn attrs() -> impl Strategy<Value = String> {
    let one = prop_oneof![
        Just(" class=\"c1\"".to_string()),
        Just(" class='c2 x'".to_string()),
        Just(" class=C1".to_string()),
        Just(" id=\"list\"".to_string()),
        Just(" id=main".to_string()),
        Just(" href=\"/duyuru/1?a=1&amp;id=2\"".to_string()),
        Just(" href=\"x?a=1&id=2&copy=3\"".to_string()),
        Just(" href='#top'".to_string()),
        Just(" href=\"javascript:void(0)\"".to_string()),
        Just(" href=\" https://other.example/p \"".to_string()),
        Just(" src=\"/img.png\"".to_string()),
        Just(" HREF=\"/Upper\"".to_string()),
        Just(" type=hidden".to_string()),
        Just(" data-x=\"a>b\"".to_string()),
        Just(" hidden".to_string()),
        Just(" class=\"c1\" class=\"c2\"".to_string()),
        // the tokenizer's rarer paths
        Just(" class = \"c1\"".to_string()),
        Just(" class=\"c1\"id=\"list\"".to_string()),
        Just(" / title=\"s\"".to_string()),
        Just(" =eq".to_string()),
        Just(" data-q=a\"b'c<d=e`f".to_string()),
        Just(" class\r\n=\r\n'c2'".to_string()),
        Just(" A\"B=1".to_string()),
        Just(" title=\"&#65;&lt;&amp\"".to_string()),
        Just(" title='b\"c'".to_string()),
        Just(" tabindex=".to_string()),
        Just(" CLASS=C2".to_string()),
    ];
    prop::collection::vec(one, 0..3).prop_map(|v| v.concat())
}

const TAGS: &[&str] = &[
    "div",
    "p",
    "span",
    "a",
    "b",
    "i",
    "em",
    "strong",
    "font",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "section",
    "article",
    "nav",
    "header",
    "footer",
    "main",
    "pre",
    "br",
    "img",
    "hr",
    "input",
    "table",
    "tbody",
    "tr",
    "td",
    "th",
    "thead",
    "caption",
    "dl",
    "dt",
    "dd",
    "form",
    "button",
    "select",
    "option",
    "textarea",
    "script",
    "style",
    "noscript",
    "title",
    "svg",
    "path",
    "center",
    "small",
    "label",
    "blockquote",
    "wbr",
    "nobr",
    "xmp",
    "iframe",
    "code",
    "base",
];

/// A document as a list of pieces: start tags, end tags (matched, omitted,
/// stray or misnested), text, comments.
fn doc() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => (prop::sample::select(TAGS), attrs(), any::<bool>()).prop_map(|(t, a, sc)| {
            match t {
                "script" => "<script>var a = '<div>'; if (a < b) {}</script>".to_string(),
                "style" => "<style>li > a { color: red }</style>".to_string(),
                "noscript" => "<noscript><li>no script</li></noscript>".to_string(),
                "textarea" => format!("<textarea{a}>\nDuyuru &amp; <b>not bold</b></textarea>"),
                "title" => "<title>Başlık &amp; x</title>".to_string(),
                "xmp" => "<xmp><b>x</b> &amp;</xmp>".to_string(),
                "iframe" => "<iframe src=x>inner <p>x</p></iframe>".to_string(),
                "svg" => "<svg viewBox=\"0 0 1 1\"><title>icon</title><path d=\"M0\"/><g><circle r=1></circle></g></svg>".to_string(),
                _ => format!("<{t}{a}{}>", if sc { "/" } else { "" }),
            }
        }),
        3 => prop::sample::select(TAGS).prop_map(|t| format!("</{t}>")),
        4 => text_piece(),
        1 => Just("<!-- a comment <li> -->".to_string()),
        1 => prop_oneof![
            Just("<!---->"),
            Just("<!-->"),
            Just("<!--->"),
            Just("<!-- a --!> b"),
            Just("<!-- a ---> b"),
            Just("<!-- <!-- nested --> -->"),
            Just("<!-- x -- y - -->"),
            Just("<DIV Class=\"c1\"><P>upper</P></DIV>"),
            Just("<li\n><a\thref=\"/d/3\"\n>Three</a\n></li >"),
        ]
        .prop_map(str::to_string),
        1 => Just("</>".to_string()),
        1 => Just("<li><a href=\"/d/1\">Title one</a> text</li>".to_string()),
        1 => Just("<li><a href=\"/d/2\">Title two</li>".to_string()),
        1 => Just("<p><b>bold<p>para".to_string()),
        1 => Just("<table><tr><td>cell</td><td><a href=\"/t\">t</a></td></tr></table>".to_string()),
        1 => Just("<div class=\"c1\"><h2>H</h2><p>body</p></div>".to_string()),
        1 => Just("</p>".to_string()),
        1 => Just("</br>".to_string()),
    ];
    (
        prop_oneof![
            Just(""),
            Just("<!DOCTYPE html>"),
            Just("<!doctype html>\n"),
            Just("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">"),
        ],
        any::<bool>(),
        prop::collection::vec(piece, 0..40),
        any::<bool>(),
    )
        .prop_map(|(dt, head, pieces, close)| {
            let mut s = dt.to_string();
            if head {
                s.push_str("<html lang=tr><head><meta charset=utf-8><base href=\"/base/\"><title>T</title></head><body>");
            }
            s.push_str(&pieces.concat());
            if close {
                s.push_str("</body></html>");
            }
            s
        })
}

fn gen_rules() -> impl Strategy<Value = ExtractRules> {
    let content = prop_oneof![
        Just(None),
        Just(Some("body")),
        Just(Some("#list")),
        Just(Some("div.c1")),
        Just(Some("ul, ol")),
        Just(Some("main, section")),
        Just(Some("table")),
        Just(Some(":not(nav) > ul")),
        Just(Some("body > div")),
        Just(Some("[class~=x]")),
    ];
    let exclude = prop::collection::vec(
        prop_oneof![
            Just("nav"),
            Just("script"),
            Just(".c2"),
            Just("li > b"),
            Just("footer, header"),
            Just("h2"),
            Just("td:not(.c1)"),
        ],
        0..3,
    );
    let item = prop_oneof![
        Just(None),
        Just(Some("li")),
        Just(Some("a[href]")),
        Just(Some("tr")),
        Just(Some("div.c1, article")),
        Just(Some("h2, h3")),
        Just(Some(":is(li, dt, dd)")),
        Just(Some("a[href*='&id=']")),
        Just(Some("p")),
        Just(Some("ul > li")),
    ];
    let title = prop_oneof![
        Just(None),
        Just(Some("a")),
        Just(Some("h2, b")),
        Just(Some("td"))
    ];
    let link = prop_oneof![
        Just(None),
        Just(Some("a")),
        Just(Some("[href]")),
        Just(Some("img"))
    ];
    let text = prop_oneof![
        Just(None),
        Just(Some("p")),
        Just(Some("td, span")),
        Just(Some("li"))
    ];
    (content, exclude, item, title, link, text).prop_map(|(c, e, i, t, l, x)| {
        let (t, l) = if i.is_none() { (None, None) } else { (t, l) };
        let x = if i.is_none() { None } else { x };
        rules(c, &e, i, t, l, x)
    })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn generated_listings_extract_the_same_on_both_paths() {
    let streamed = std::cell::Cell::new(0u32);
    let total = std::cell::Cell::new(0u32);
    runner(600)
        .run(&(doc(), gen_rules()), |(html, x)| {
            let r = page_rules(&x).expect("the generated rules compile");
            prop_assert!(
                stream_plan(&r).is_some(),
                "generated selectors are streamable"
            );
            total.set(total.get() + 1);
            match compare(&html, &r, &format!("{html:?} with {x:?}")) {
                Ok(true) => streamed.set(streamed.get() + 1),
                Ok(false) => {}
                Err(e) => return Err(TestCaseError::fail(e)),
            }
            Ok(())
        })
        .unwrap();
    println!("streamed {} of {}", streamed.get(), total.get());
    assert!(
        streamed.get() * 2 > total.get(),
        "the stream answers most generated documents ({} of {})",
        streamed.get(),
        total.get()
    );
}

// ---- the tree itself ----

/// Records what the tree builder opens, the text it appends and what it
/// closes, as html5ever's tree would be written out.
#[derive(Default)]
struct Record {
    out: String,
    /// Where the head closed, and where a reopened head's content starts:
    /// html5ever puts head content met after `</head>` back into the one
    /// head, the stream opens the head again there.
    head_end: Option<usize>,
    reopened: Option<usize>,
    depth_of_reopened: Option<usize>,
}

impl<'s> stream::tree::Sink<'s> for Record {
    fn open(&mut self, stack: &[stream::tree::Node<'s>]) -> Result<bool, stream::Bail> {
        let n = stack.last().unwrap();
        if n.name == "head" && self.head_end.is_some() {
            self.reopened = Some(self.out.len());
            self.depth_of_reopened = Some(stack.len());
            return Ok(false);
        }
        let mut attrs: Vec<String> = n
            .attrs
            .iter()
            .map(|a| format!(" {}={:?}", a.name.to_ascii_lowercase(), a.value))
            .collect();
        attrs.sort();
        self.out.push_str(&format!(
            "<{}{}>",
            n.name.to_ascii_lowercase(),
            attrs.concat()
        ));
        Ok(false)
    }
    fn close(&mut self, stack: &[stream::tree::Node<'s>]) -> Result<(), stream::Bail> {
        let n = stack.last().unwrap();
        if self.depth_of_reopened == Some(stack.len()) {
            let start = self.reopened.take().unwrap();
            self.depth_of_reopened = None;
            let moved: String = self.out.split_off(start);
            let at = self.head_end.unwrap();
            self.out.insert_str(at, &moved);
            self.head_end = Some(at + moved.len());
            return Ok(());
        }
        if n.name == "head" {
            self.head_end = Some(self.out.len());
        }
        self.out
            .push_str(&format!("</{}>", n.name.to_ascii_lowercase()));
        Ok(())
    }
    fn text(&mut self, _stack: &[stream::tree::Node<'s>], text: &str) -> Result<(), stream::Bail> {
        self.out.push_str(&text.replace('<', "&lt;"));
        Ok(())
    }
}

fn dom_tree(html: &str) -> String {
    fn walk(node: ego_tree::NodeRef<'_, scraper::Node>, out: &mut String) {
        for child in node.children() {
            match child.value() {
                scraper::Node::Element(e) => {
                    let mut attrs: Vec<String> = e
                        .attrs
                        .iter()
                        .map(|(k, v)| {
                            let name = match &k.prefix {
                                Some(p) => format!("{p}:{}", k.local),
                                None => k.local.to_string(),
                            };
                            format!(" {}={:?}", name.to_ascii_lowercase(), &**v)
                        })
                        .collect();
                    attrs.sort();
                    let name = e.name().to_ascii_lowercase();
                    out.push_str(&format!("<{name}{}>", attrs.concat()));
                    walk(child, out);
                    out.push_str(&format!("</{name}>"));
                }
                scraper::Node::Text(t) => out.push_str(&t.replace('<', "&lt;")),
                _ => {}
            }
        }
    }
    let doc = scraper::Html::parse_document(html);
    let mut out = String::new();
    walk(doc.tree.root(), &mut out);
    out
}

#[test]
fn generated_documents_build_html5evers_tree() {
    let streamed = std::cell::Cell::new(0u32);
    let total = std::cell::Cell::new(0u32);
    runner(1000)
        .run(&doc(), |html| {
            total.set(total.get() + 1);
            if let Ok(rec) = stream::run(&html, Record::default()) {
                streamed.set(streamed.get() + 1);
                let dom = dom_tree(&html);
                prop_assert_eq!(rec.out, dom, "{:?}", html);
            }
            Ok(())
        })
        .unwrap();
    println!("built {} of {}", streamed.get(), total.get());
    assert!(streamed.get() * 2 > total.get());
}

/// Stream `html` and check what the tree builder saw against html5ever's
/// tree; the bail when the stream gives the page to the DOM path.
fn builds_html5evers_tree(html: &str) -> Result<(), stream::Bail> {
    let rec = stream::run(html, Record::default())?;
    assert_eq!(rec.out, dom_tree(html), "{html:?}");
    Ok(())
}

/// Start tags, comments and doctypes as the tokenizer reads them, in their
/// rarer forms: each streams, and builds html5ever's tree.
#[test]
fn the_tokenizers_rarer_paths_stream_and_build_html5evers_tree() {
    for html in [
        "<p class = \"a\" id=b>x</p>",
        "<p class=\"a\"id=\"b\">missing whitespace</p>",
        "<p / class=a>solidus</p><br/><img src=x />",
        "<p =eq>equals first</p>",
        "<p title=a\"b'c<d=e`f>odd unquoted</p>",
        "<p title\r\n=\r\n'x'>newlines</p>",
        "<p A\"B=1 c<d=2>odd names</p>",
        "<p title=\"&#65;&lt;&amp;&amp\" alt='&copy=1'>refs</p>",
        "<a href=>missing value</a><a href= >x</a>",
        "<P CLASS=X>upper</P><Div ID=Y>u</dIV>",
        "<p title=\"a\" title=\"b\">first stays</p>",
        "<p\ttitle=a\x0Cid=b>tab and form feed</p>",
        "<!----><!--><!---><p>empty comments</p>",
        "<!-- a --!> after <!-- b ---> after <!-- <!-- c --> -->",
        "<!DOCTYPE html PUBLIC \"x>y\"><p>doctype ends at the first >",
        "<!doctype HTML><p>no quirks</p>",
        "<p>text<a href=x",
        "<script>a<b</script><style>x</style ><title>t &amp; <b></title >",
    ] {
        if let Err(b) = builds_html5evers_tree(html) {
            panic!("{html:?} went to the DOM path ({b})");
        }
    }
    // What the stream does not read goes to the DOM path.
    for html in [
        "<?xml version=\"1.0\"?><p>x",
        "<![CDATA[x]]><p>x",
        "<!x><p>x",
        "</ p>x",
        "<!-- cut",
        "<!DOCTYPE html",
    ] {
        assert!(stream::run(html, Record::default()).is_err(), "{html:?}");
    }
}

#[test]
fn known_shapes_build_html5evers_tree() {
    for html in [
        "",
        "plain text",
        "<!DOCTYPE html><p>a<p>b",
        "<ul><li>a<li>b</ul>",
        "<p><b>x</p>y",
        "<a href=1>x<a href=2>y</a>",
        "<table><tr><td>a<td>b</table>",
        "<table> <tbody> <tr> <td>a</td> </tr> </tbody> </table>",
        "<div><span>x</div>y",
        "</p>x</br>",
        "<pre>\nline</pre><textarea>\r\nx</textarea>",
        "<head><title>t</title></head> <script>x</script><body>b",
        "<select><option>a<option>b</select>",
        "<dl><dt>a<dd>b<dt>c</dl>",
        "<h2>a<h3>b</h2>c",
        "<svg><title>i</title><path/></svg><p>after",
        "<form><div><form>x</form></div></form>",
        "\u{FEFF}<p>bom",
        "<p>a\0b</p>&#0;",
        "<b><i>x</b>y</i>",
        // `</>` makes no token but is a parse error, which html5ever's tree
        // builder takes as a token: the newline after `<pre>` stays.
        "<pre></>\n  \t",
        "<listing></>\nx</listing><pre>\ny</pre>",
    ] {
        if let Err(b) = builds_html5evers_tree(html) {
            println!("{html:?}: DOM path ({b})");
        }
    }
}
