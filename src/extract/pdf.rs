//! PDF bulletins to text (pdf-extract on lopdf).
//!
//! Both libraries recurse without a bound on what a hostile file controls:
//! nested arrays and dictionaries (the object parser and the content-stream
//! parser), a form XObject that draws itself, a page that is its own
//! parent. A stack overflow is not a panic: it ends the process. So:
//! - the input is checked before the parsers see it (nesting in the raw
//!   bytes; then, loaded, the page tree, every content stream's nesting and
//!   the graph of form XObjects), and read on a thread with a large stack;
//! - a panic of the parsers is caught and reported as an unreadable PDF;
//! - in the daemon (the binary calls [`isolate_in`] at start) every PDF is
//!   read by a child process, `regwatch __pdf-text`, with a time and memory
//!   limit, so what the checks miss (nesting inside compressed object
//!   streams, say) costs one failed poll, never the daemon.

use super::ExtractError;
use crate::normalize::normalize_text;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The deepest page tree we follow.
const MAX_PAGE_DEPTH: usize = 64;
/// The deepest nesting of arrays and dictionaries handed to the parsers.
const MAX_NESTING: usize = 100;
/// The longest chain of form XObjects drawing one another.
const MAX_FORM_DEPTH: usize = 64;
/// The reader thread's stack: room for the nesting the checks allow.
const READER_STACK: usize = 64 * 1024 * 1024;
/// What the child process may take.
const CHILD_TIME: Duration = Duration::from_secs(30);
const CHILD_MEMORY: u64 = 2 * 1024 * 1024 * 1024;
/// The argument that makes the binary a PDF reader (see [`child_main`]).
pub const CHILD_ARG: &str = "__pdf-text";

static HELPER: OnceLock<PathBuf> = OnceLock::new();

/// Read every PDF in a child process running `exe __pdf-text`. The binary
/// calls this at start; a library user (tests, fuzzing) reads in-process.
pub fn isolate_in(exe: PathBuf) {
    let _ = HELPER.set(exe);
}

/// Where [`nesting_exceeds`] looks.
#[derive(Clone, Copy, PartialEq)]
enum Bytes {
    /// A whole file: stream data (binary) is skipped.
    File,
    /// A decoded content stream: inline image data is skipped.
    Content,
}

/// Whether nesting of `[`…`]` and `<<`…`>>` goes deeper than `limit`.
/// Deliberately blunt: brackets count inside strings and comments too (a
/// parser that gives up on a malformed string may read on from anywhere),
/// so only binary data is skipped: a stream's data in a file, an inline
/// image's in a content stream.
fn nesting_exceeds(b: &[u8], limit: usize, what: Bytes) -> bool {
    let n = b.len();
    let (mut i, mut depth, mut last_obj) = (0usize, 0usize, 0usize);
    let at = |i: usize, w: &[u8]| b[i..].starts_with(w);
    let space = |i: usize| i >= n || b" \t\r\n\x0c\0".contains(&b[i]);
    let delim = |i: usize| space(i) || b"[]<>()/%{}".contains(&b[i]);
    let find = |from: usize, w: &[u8]| {
        b.get(from..)
            .and_then(|rest| rest.windows(w.len()).position(|x| x == w))
            .map(|p| from + p)
    };
    while i < n {
        match b[i] {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'<' if at(i, b"<<") => {
                depth += 1;
                i += 1;
            }
            b'>' if at(i, b">>") => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'o' if what == Bytes::File && at(i, b"obj") && (i == 0 || delim(i - 1)) => {
                last_obj = i;
            }
            // Stream data is skipped, but for an object stream stored
            // without a filter: lopdf parses the objects in it while
            // loading, so they are counted like the file's own.
            b's' if what == Bytes::File
                && at(i, b"stream")
                && (i == 0 || delim(i - 1))
                && delim(i + 6)
                && !{
                    let dict = &b[last_obj..i];
                    let has = |w: &[u8]| dict.windows(w.len()).any(|x| x == w);
                    has(b"/ObjStm") && !has(b"/Filter")
                } =>
            {
                match find(i + 6, b"endstream") {
                    Some(e) => i = e + 8,
                    None => return false,
                }
            }
            // The inline image operator: `ID`, a space, binary data, `EI`.
            b'I' if what == Bytes::Content
                && at(i, b"ID")
                && i > 0
                && space(i - 1)
                && space(i + 2) =>
            {
                match find(i + 2, b"EI") {
                    Some(e) => i = e + 1,
                    None => return false,
                }
            }
            _ => {}
        }
        if depth > limit {
            return true;
        }
        i += 1;
    }
    false
}

/// The names a content stream may draw with `Do`: when it has a `Do` at
/// all, every name in it. Deliberately loose: lopdf's lexer reads
/// `T/X0 Do` as `T`, then `/X0 Do` (the fuzzer found a loop hidden that
/// way from a whitespace split), and a name the stream does not draw only
/// adds an edge to the graph, never hides one.
fn drawn_names(content: &[u8]) -> HashSet<Vec<u8>> {
    let mut names = HashSet::new();
    if !content.windows(2).any(|w| w == b"Do") {
        return names;
    }
    let ends = |c: &u8| b" \t\r\n\x0c\0()<>[]{}/%".contains(c);
    let mut i = 0;
    while let Some(p) = content[i..].iter().position(|c| *c == b'/') {
        let start = i + p + 1;
        let len = content[start..]
            .iter()
            .position(ends)
            .unwrap_or(content.len() - start);
        if len > 0 {
            names.insert(content[start..start + len].to_vec());
        }
        i = start + len;
        if i >= content.len() {
            break;
        }
    }
    names
}

type XObjects = Vec<(Vec<u8>, (u32, u16))>;

/// The XObjects each XObject may draw: the names its content draws, looked
/// up in its own resources or (when it has none, and inherits them) in every
/// XObject dictionary that names it.
/// Every stream's content, decoded once (raw when it does not decode).
type Decoded = HashMap<(u32, u16), Vec<u8>>;

fn form_graph(
    doc: &pdf_extract::Document,
    decoded: &Decoded,
) -> HashMap<(u32, u16), Vec<(u32, u16)>> {
    use pdf_extract::{Dictionary, Object};
    fn deref<'a>(doc: &'a pdf_extract::Document, o: &'a Object) -> Option<&'a Object> {
        match o {
            Object::Reference(id) => doc.get_object(*id).ok(),
            o => Some(o),
        }
    }
    let entries = |x: &Dictionary| -> XObjects {
        x.iter()
            .filter_map(|(k, v)| v.as_reference().ok().map(|r| (k.clone(), r)))
            .collect()
    };
    let xobjects_of = |res: &Object| -> XObjects {
        deref(doc, res)
            .and_then(|r| r.as_dict().ok())
            .and_then(|r| r.get(b"XObject").ok())
            .and_then(|x| deref(doc, x))
            .and_then(|x| x.as_dict().ok())
            .map(entries)
            .unwrap_or_default()
    };
    // Every stream, whatever its /Subtype says: pdf-extract draws whatever
    // stream an XObject name points to as a content stream (the fuzzer found
    // a self-drawing "form" whose /Subtype was garbled).
    let forms: HashMap<(u32, u16), &pdf_extract::Stream> = doc
        .objects
        .iter()
        .filter_map(|(id, o)| o.as_stream().ok().map(|s| (*id, s)))
        .collect();
    // Every XObject dictionary in the file, wherever it hangs.
    let mut dicts: Vec<XObjects> = Vec::new();
    for o in doc.objects.values() {
        let d = match o {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            _ => continue,
        };
        if let Ok(res) = d.get(b"Resources") {
            dicts.push(xobjects_of(res));
        }
        if let Some(x) = d
            .get(b"XObject")
            .ok()
            .and_then(|x| deref(doc, x))
            .and_then(|x| x.as_dict().ok())
        {
            dicts.push(entries(x));
        }
    }
    let mut graph = HashMap::new();
    for (id, st) in &forms {
        let names = decoded.get(id).map(|c| drawn_names(c)).unwrap_or_default();
        let mut next: Vec<(u32, u16)> = Vec::new();
        let mut add = |xs: &XObjects| {
            next.extend(
                xs.iter()
                    .filter(|(n, r)| names.contains(n) && forms.contains_key(r))
                    .map(|(_, r)| *r),
            )
        };
        match st.dict.get(b"Resources") {
            Ok(res) => add(&xobjects_of(res)),
            Err(_) => {
                for d in dicts.iter().filter(|d| d.iter().any(|(_, r)| r == id)) {
                    add(d);
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        graph.insert(*id, next);
    }
    graph
}

/// A form XObject that can draw itself, or a chain of forms deeper than
/// [`MAX_FORM_DEPTH`]: pdf-extract would recurse until the stack ends.
fn form_loop(doc: &pdf_extract::Document, decoded: &Decoded) -> Option<String> {
    let graph = form_graph(doc, decoded);
    // Longest chain from each form, by depth-first search with an explicit
    // stack; a form met again on the current path is a loop.
    let mut depth: HashMap<(u32, u16), usize> = HashMap::new();
    for &start in graph.keys() {
        if depth.contains_key(&start) {
            continue;
        }
        let mut path: Vec<((u32, u16), usize)> = vec![(start, 0)];
        let mut on_path: HashSet<(u32, u16)> = HashSet::from([start]);
        while let Some(&(node, next)) = path.last() {
            let kids = &graph[&node];
            if next < kids.len() {
                path.last_mut().expect("not empty").1 += 1;
                let k = kids[next];
                if on_path.contains(&k) {
                    return Some(format!("XObject {} {} draws itself", k.0, k.1));
                }
                if !depth.contains_key(&k) {
                    path.push((k, 0));
                    on_path.insert(k);
                }
            } else {
                let d = 1 + kids.iter().map(|k| depth[k]).max().unwrap_or(0);
                if d > MAX_FORM_DEPTH {
                    return Some(format!(
                        "form XObjects draw one another more than {MAX_FORM_DEPTH} levels deep"
                    ));
                }
                depth.insert(node, d);
                on_path.remove(&node);
                path.pop();
            }
        }
    }
    None
}

/// `pdf_extract::output_doc`, after the checks in the module's comment.
fn read_text(body: &[u8]) -> Result<String, String> {
    use pdf_extract::{Document, Object};
    if nesting_exceeds(body, MAX_NESTING, Bytes::File) {
        return Err(format!(
            "arrays or dictionaries nested more than {MAX_NESTING} levels deep"
        ));
    }
    let mut doc = Document::load_mem(body).map_err(|e| e.to_string())?;
    if doc.is_encrypted() {
        doc.decrypt("")
            .map_err(|e| format!("the PDF is encrypted ({e})"))?;
    }
    for (n, page) in doc.get_pages() {
        let mut seen = HashSet::new();
        let mut id = page;
        while let Some(parent) = doc
            .get_dictionary(id)
            .ok()
            .and_then(|d| d.get(b"Parent").ok())
            .and_then(|p: &Object| p.as_reference().ok())
        {
            if !seen.insert(parent) || seen.len() > MAX_PAGE_DEPTH {
                return Err(format!(
                    "the page tree of page {n} loops or is deeper than {MAX_PAGE_DEPTH} levels"
                ));
            }
            id = parent;
        }
    }
    let mut decoded = Decoded::new();
    for (id, o) in &doc.objects {
        let Object::Stream(st) = o else { continue };
        let data = decoded.entry(*id).or_insert_with(|| {
            st.decompressed_content()
                .unwrap_or_else(|_| st.content.clone())
        });
        let image = st.dict.get(b"Subtype").ok().and_then(|t| t.as_name().ok())
            == Some(b"Image".as_slice());
        if !image && nesting_exceeds(data, MAX_NESTING, Bytes::Content) {
            return Err(format!(
                "stream {} {}: arrays or dictionaries nested more than {MAX_NESTING} levels deep",
                id.0, id.1
            ));
        }
    }
    if let Some(why) = form_loop(&doc, &decoded) {
        return Err(why);
    }
    let mut text = String::new();
    pdf_extract::output_doc(&doc, &mut pdf_extract::PlainTextOutput::new(&mut text))
        .map_err(|e| e.to_string())?;
    Ok(text)
}

/// The text of a PDF, read in this process (on a thread of its own, with a
/// large stack); parser panics are errors.
pub fn extract_here(body: &[u8]) -> Result<String, ExtractError> {
    if !body.starts_with(b"%PDF-") {
        return Err(ExtractError::Pdf(
            "the response is not a PDF (no %PDF- header)".into(),
        ));
    }
    let owned = body.to_vec();
    let reader = std::thread::Builder::new()
        .name("pdf-reader".into())
        .stack_size(READER_STACK)
        .spawn(move || std::panic::catch_unwind(move || read_text(&owned)))
        .map_err(|e| ExtractError::Pdf(format!("cannot start the PDF reader: {e}")))?;
    match reader.join() {
        Ok(Ok(Ok(text))) => {
            let t = normalize_text(&text);
            if t.is_empty() {
                Err(ExtractError::Pdf("no text layer (a scanned image?)".into()))
            } else {
                Ok(t)
            }
        }
        Ok(Ok(Err(e))) => Err(ExtractError::Pdf(e)),
        _ => Err(ExtractError::Pdf(
            "the PDF parser failed on this file".into(),
        )),
    }
}

/// The text of a PDF: in a child process when the binary asked for it
/// ([`isolate_in`]), in this one otherwise.
pub fn extract(body: &[u8]) -> Result<String, ExtractError> {
    match HELPER.get() {
        Some(exe) if body.starts_with(b"%PDF-") => extract_in_child(exe, body, CHILD_TIME),
        _ => extract_here(body),
    }
}

/// What the child writes on stdout: the text, or the reason it has none.
#[derive(serde::Serialize, serde::Deserialize)]
enum ChildAnswer {
    Text(String),
    Error(String),
}

fn extract_in_child(
    exe: &std::path::Path,
    body: &[u8],
    limit: Duration,
) -> Result<String, ExtractError> {
    use std::process::{Command, Stdio};
    let failed = |why: String| ExtractError::Pdf(why);
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_ARG)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe; nothing else runs
        // between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: CHILD_MEMORY as libc::rlim_t,
                    rlim_max: CHILD_MEMORY as libc::rlim_t,
                };
                libc::setrlimit(libc::RLIMIT_AS, &lim);
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().map_err(|e| {
        failed(format!(
            "cannot start the PDF reader {}: {e}",
            exe.display()
        ))
    })?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = body.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = writer.join();
                return Err(failed(format!(
                    "the PDF reader took longer than {} s on this file",
                    limit.as_secs_f32()
                )));
            }
            Err(e) => return Err(failed(format!("the PDF reader: {e}"))),
        }
    };
    let _ = writer.join();
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(failed(format!(
            "the PDF parser failed on this file (the reader process ended: {status})"
        )));
    }
    match serde_json::from_slice::<ChildAnswer>(&out) {
        Ok(ChildAnswer::Text(t)) => Ok(t),
        Ok(ChildAnswer::Error(e)) => Err(failed(e)),
        Err(e) => Err(failed(format!("the PDF reader answered nonsense: {e}"))),
    }
}

/// `regwatch __pdf-text`: a PDF on stdin, its text (or why not) as JSON on
/// stdout. Exit 0 when it answered; a crash is the parent's finding.
pub fn child_main() -> std::process::ExitCode {
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut body) {
        eprintln!("error: reading the PDF from stdin: {e}");
        return std::process::ExitCode::from(1);
    }
    let answer = match extract_here(&body) {
        Ok(t) => ChildAnswer::Text(t),
        Err(ExtractError::Pdf(e)) => ChildAnswer::Error(e),
        Err(e) => ChildAnswer::Error(e.to_string()),
    };
    let json = serde_json::to_vec(&answer).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    if out.write_all(&json).and_then(|_| out.flush()).is_err() {
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &[u8]) -> String {
        match extract_here(body) {
            Err(ExtractError::Pdf(e)) => e,
            other => panic!("not refused: {other:?}"),
        }
    }

    /// Found by the extract_pdf fuzz target (a stack overflow, which ends
    /// the process): pdf-extract draws a form XObject by recursing into it,
    /// with no bound, so a form that draws itself never returned.
    #[test]
    fn a_form_that_draws_itself_is_an_error_not_a_crash() {
        let e = refused(include_bytes!(
            "../../tests/fixtures/fuzz/pdf-form-draws-itself.pdf"
        ));
        assert!(e.contains("draws itself"), "{e}");
    }

    /// Found by the fuzzer after the fix above (a timeout under
    /// AddressSanitizer, a stack overflow without): the same self-drawing
    /// XObject with its /Subtype garbled. pdf-extract draws it all the same.
    #[test]
    fn an_xobject_that_draws_itself_is_refused_whatever_its_subtype() {
        let e = refused(include_bytes!(
            "../../tests/fixtures/fuzz/pdf-xobject-garbled-subtype-draws-itself.pdf"
        ));
        assert!(e.contains("draws itself"), "{e}");
    }

    /// Found by the fuzzer with its input kept (`REGWATCH_FUZZ_LAST`): a
    /// form without resources whose `E T/X0 Do` draws itself, which a
    /// whitespace split of the content did not see as `/X0 Do`.
    #[test]
    fn a_draw_hidden_by_odd_spacing_is_still_seen() {
        let e = refused(include_bytes!(
            "../../tests/fixtures/fuzz/pdf-form-draws-itself-odd-spacing.pdf"
        ));
        assert!(e.contains("draws itself"), "{e}");
        assert!(drawn_names(b"BT ET/X0 Do").contains(b"X0".as_slice()));
        assert!(drawn_names(b"BT /F1 12 Tf (a) Tj ET").is_empty());
    }

    /// lopdf's parsers recurse into nested arrays: 5000 levels in a page's
    /// content stream overflowed the stack.
    #[test]
    fn deep_nesting_in_a_content_stream_is_refused() {
        let e = refused(include_bytes!(
            "../../tests/fixtures/fuzz/pdf-content-nested-5000.pdf"
        ));
        assert!(e.contains("nested more than 100 levels"), "{e}");
    }

    #[test]
    fn deep_nesting_in_the_file_is_refused_before_parsing() {
        let mut b = b"%PDF-1.4\n1 0 obj\n<< /A ".to_vec();
        b.extend(std::iter::repeat_n(b'[', 200_000));
        b.extend(std::iter::repeat_n(b']', 200_000));
        b.extend_from_slice(b" >>\nendobj\n");
        assert!(refused(&b).contains("nested more than 100 levels"));
    }

    #[test]
    fn only_binary_data_is_skipped_when_counting_nesting() {
        let mut file = b"1 0 obj << /Length 500 >> stream\n".to_vec();
        file.extend(std::iter::repeat_n(b'[', 500));
        file.extend_from_slice(b"\nendstream endobj [[ ]] << >>");
        assert!(!nesting_exceeds(&file, 100, Bytes::File));
        // Brackets in a string or a comment count: a parser that gives up
        // on the string may read them.
        let mut string = b"1 0 obj (".to_vec();
        string.extend(std::iter::repeat_n(b'[', 101));
        assert!(nesting_exceeds(&string, 100, Bytes::File));
        // `/ID` in a trailer is a name, not the inline image operator.
        let mut trailer = b"trailer << /ID [<00> <00>] >> EI ".to_vec();
        trailer.extend(std::iter::repeat_n(b'[', 101));
        assert!(nesting_exceeds(&trailer, 100, Bytes::Content));
        let mut image = b"BI /W 1 /H 1 ID ".to_vec();
        image.extend(std::iter::repeat_n(b'[', 500));
        image.extend_from_slice(b" EI Q");
        assert!(!nesting_exceeds(&image, 100, Bytes::Content));
        // An object stream without a filter holds objects lopdf parses.
        let mut objstm = b"5 0 obj << /Type /ObjStm /N 1 /First 4 >> stream\n".to_vec();
        objstm.extend(std::iter::repeat_n(b'[', 101));
        objstm.extend_from_slice(b"\nendstream endobj");
        assert!(nesting_exceeds(&objstm, 100, Bytes::File));
        assert!(nesting_exceeds(&[b'['; 101], 100, Bytes::File));
        assert!(!nesting_exceeds(&[b'['; 100], 100, Bytes::File));
    }

    /// Forms drawing forms are legitimate: a chain of 40 is read.
    #[test]
    fn forty_forms_drawing_one_another_are_read() {
        let t = extract_here(include_bytes!("../../tests/fixtures/pdf/forms-40-deep.pdf")).unwrap();
        assert!(t.contains("Notice"), "{t}");
    }

    fn script(dir: &std::path::Path, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\ncat >/dev/null\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// What the in-process checks miss costs one failed read, not the
    /// daemon: a reader that crashes, hangs or talks nonsense is an error
    /// that says so.
    #[test]
    fn a_crashing_or_hanging_reader_process_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = b"%PDF-1.4 whatever";
        let crash = script(dir.path(), "crash", "kill -SEGV $$");
        let e = extract_in_child(&crash, pdf, Duration::from_secs(10)).unwrap_err();
        assert!(e.to_string().contains("reader process ended"), "{e}");
        assert!(e.to_string().contains("11"), "{e}");
        let hang = script(dir.path(), "hang", "sleep 30");
        let t0 = Instant::now();
        let e = extract_in_child(&hang, pdf, Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("took longer than 0.3 s"), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(10));
        let talk = script(dir.path(), "talk", "echo hello");
        let e = extract_in_child(&talk, pdf, Duration::from_secs(10)).unwrap_err();
        assert!(e.to_string().contains("nonsense"), "{e}");
        let text = script(dir.path(), "text", "printf '{\"Text\":\"GTIP 8517.62\"}'");
        assert_eq!(
            extract_in_child(&text, pdf, Duration::from_secs(10)).unwrap(),
            "GTIP 8517.62"
        );
    }
    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(super::extract(b"<html>").is_err());
        assert!(super::extract(b"%PDF-1.4\n garbage garbage").is_err());
    }

    /// Found by the extract_pdf fuzz target: a page whose /Parent is itself
    /// (and that lacks /Resources) made pdf-extract loop for ever.
    #[test]
    fn a_page_tree_cycle_is_an_error_not_a_hang() {
        let body = include_bytes!("../../tests/fixtures/fuzz/pdf-page-tree-cycle.pdf");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(super::extract(body));
        });
        let r = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the PDF reader returns");
        assert!(r.unwrap_err().to_string().contains("page tree"));
    }

    #[test]
    fn a_text_pdf_is_read() {
        let t = super::extract(include_bytes!("../../tests/fixtures/pdf/notice.pdf")).unwrap();
        assert!(t.contains("GTIP 8517.62"), "{t}");
        assert!(t.contains("01.07.2026"), "{t}");
    }
}
