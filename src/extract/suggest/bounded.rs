//! The part of a page that is parsed at all.

use super::options::SuggestOptions;

/// Elements that never nest in a parsed document: void ones, and those the
/// parser closes when the next one opens (`<li>`, `<p>`, `<td>` …).
pub(super) const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "!doctype",
];

/// The part of `html` that is parsed: at most `max_bytes`, at most
/// `max_elements` opening tags, and no deeper than `max_nesting` (counted
/// on the raw tags, before parsing), cut before a `<`. True when cut.
pub(super) fn bounded_prefix<'h>(html: &'h str, opts: &SuggestOptions) -> (&'h str, bool) {
    let bytes = html.as_bytes();
    let limit = bytes.len().min(opts.max_bytes);
    let (mut at, mut tags, mut depth) = (0usize, 0usize, 0usize);
    let skip_to = |from: usize, end: &[u8]| -> usize {
        bytes[from..]
            .windows(end.len())
            .position(|w| w.eq_ignore_ascii_case(end))
            .map(|p| from + p + end.len())
            .unwrap_or(bytes.len())
    };
    while at < bytes.len() {
        let Some(p) = bytes[at..].iter().position(|b| *b == b'<') else {
            break;
        };
        let lt = at + p;
        if lt >= limit {
            return cut_at(html, lt);
        }
        let rest = &bytes[lt + 1..];
        if rest.starts_with(b"!--") {
            at = skip_to(lt + 4, b"-->");
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'!')
            .count();
        if name_len == 0 {
            at = lt + 1;
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let end = bytes[name_start..]
            .iter()
            .position(|b| *b == b'>')
            .map(|e| name_start + e + 1)
            .unwrap_or(bytes.len());
        let self_closing = end >= 2 && bytes[end - 2] == b'/';
        let nests = !FLAT.contains(&name.as_str()) && !self_closing;
        if closing {
            if nests {
                depth = depth.saturating_sub(1);
            }
        } else {
            tags += 1;
            if tags > opts.max_elements.max(1) {
                return cut_at(html, lt);
            }
            if nests {
                depth += 1;
                if depth > opts.max_nesting {
                    return cut_at(html, lt);
                }
            }
        }
        at = if !closing && (name == "script" || name == "style") {
            skip_to(end, format!("</{name}").as_bytes())
        } else {
            end
        };
    }
    (html, false)
}

pub(super) fn cut_at(html: &str, at: usize) -> (&str, bool) {
    // `<` is ASCII: a char boundary.
    (&html[..at], true)
}
