//! CSS selectors on the streaming path: the same selector text parsed by
//! the same parser as scraper's (`scraper::selector::Parser`, so the same
//! `SelectorList<Simple>` and the same matching code of the `selectors`
//! crate), matched against the stack of open elements instead of a tree.
//!
//! Only selectors that an element's start tag and its ancestors decide can
//! be matched this way: type, id, class and attribute selectors, `:not()`,
//! `:is()`, `:where()`, `:root`, and the descendant and child combinators.
//! Anything that needs a later sibling, a child or a descendant (`:has()`,
//! `:last-child`, `:empty`, …) or an earlier sibling (`+`, `~`,
//! `:first-child`, `:nth-child()`, …) or a scope (`:scope`) keeps its
//! source on the DOM path ([`streamable`]).

use scraper::selector::{CssLocalName, CssString, NonTSPseudoClass, PseudoElement, Simple};
use selectors::attr::{AttrSelectorOperation, CaseSensitivity, NamespaceConstraint};
use selectors::bloom::BloomFilter;
use selectors::matching::{self, MatchingContext};
use selectors::parser::{Combinator, Component, ParseRelative, Selector, SelectorList};
use selectors::{Element, OpaqueElement};

use super::tree::{Node, Ns};

/// A selector list parsed for the streaming path.
#[derive(Debug, Clone)]
pub struct Sel {
    list: SelectorList<Simple>,
    /// It names elements or attributes with upper-case letters or
    /// namespaces: inside SVG, whose names html5ever re-cases, it could
    /// match where the raw names do not.
    pub case_or_ns: bool,
}

impl Sel {
    /// Parse `text` as scraper does; `None` when it does not parse (the
    /// rules compile with scraper first, so that does not happen) or when
    /// streaming cannot match it.
    pub fn parse(text: &str) -> Option<Sel> {
        let mut parser = cssparser::Parser::new(text);
        let list =
            SelectorList::parse(&scraper::selector::Parser, &mut parser, ParseRelative::No).ok()?;
        if !list.slice().iter().all(streamable) {
            return None;
        }
        let case_or_ns = list.slice().iter().any(case_or_ns);
        Some(Sel { list, case_or_ns })
    }

    /// Whether the current node (the top of `stack`) matches.
    pub fn matches(&self, stack: &[Node<'_>], caches: &mut matching::SelectorCaches) -> bool {
        let el = El {
            stack,
            idx: stack.len() - 1,
        };
        let mut cx = MatchingContext::new(
            matching::MatchingMode::Normal,
            None,
            caches,
            matching::QuirksMode::NoQuirks,
            matching::NeedsSelectorFlags::No,
            matching::MatchingForInvalidation::No,
        );
        self.list
            .slice()
            .iter()
            .any(|s| matching::matches_selector(s, 0, None, &el, &mut cx))
    }
}

/// Whether every part of a selector is decided by the element and its
/// ancestors.
fn streamable(s: &Selector<Simple>) -> bool {
    s.iter_raw_match_order().all(|c| match c {
        Component::LocalName(_)
        | Component::ID(_)
        | Component::Class(_)
        | Component::AttributeInNoNamespaceExists { .. }
        | Component::AttributeInNoNamespace { .. }
        | Component::AttributeOther(_)
        | Component::ExplicitUniversalType
        | Component::ExplicitAnyNamespace
        | Component::ExplicitNoNamespace
        | Component::DefaultNamespace(_)
        | Component::Namespace(..)
        | Component::Root => true,
        Component::Combinator(Combinator::Child | Combinator::Descendant) => true,
        Component::Negation(l) | Component::Is(l) | Component::Where(l) => {
            l.slice().iter().all(streamable)
        }
        _ => false,
    })
}

fn case_or_ns(s: &Selector<Simple>) -> bool {
    let upper = |n: &CssLocalName| n.0.chars().any(|c| c.is_ascii_uppercase());
    s.iter_raw_match_order().any(|c| match c {
        Component::LocalName(l) => upper(&l.name),
        Component::AttributeInNoNamespaceExists { local_name, .. }
        | Component::AttributeInNoNamespace { local_name, .. } => upper(local_name),
        Component::AttributeOther(a) => a.namespace.is_some() || upper(&a.local_name),
        Component::DefaultNamespace(_) | Component::Namespace(..) => true,
        Component::Negation(l) | Component::Is(l) | Component::Where(l) => {
            l.slice().iter().any(case_or_ns)
        }
        _ => false,
    })
}

/// An open element, seen through the stack: its parent is the entry below.
#[derive(Clone, Copy)]
struct El<'a, 's> {
    stack: &'a [Node<'s>],
    idx: usize,
}

impl std::fmt::Debug for El<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}>", self.node().name)
    }
}

impl<'a, 's> El<'a, 's> {
    fn node(&self) -> &'a Node<'s> {
        &self.stack[self.idx]
    }
}

fn ns_url(ns: Ns) -> html5ever::Namespace {
    match ns {
        Ns::Html => html5ever::ns!(html),
        Ns::Svg => html5ever::ns!(svg),
        Ns::MathMl => html5ever::ns!(mathml),
    }
}

impl Element for El<'_, '_> {
    type Impl = Simple;

    fn opaque(&self) -> OpaqueElement {
        OpaqueElement::new(self.node())
    }

    fn parent_element(&self) -> Option<Self> {
        (self.idx > 0).then(|| El {
            stack: self.stack,
            idx: self.idx - 1,
        })
    }

    fn parent_node_is_shadow_root(&self) -> bool {
        false
    }

    fn containing_shadow_host(&self) -> Option<Self> {
        None
    }

    fn is_pseudo_element(&self) -> bool {
        false
    }

    // Siblings and children are never asked for: selectors that need them
    // are not streamed (`streamable`).
    fn prev_sibling_element(&self) -> Option<Self> {
        None
    }

    fn next_sibling_element(&self) -> Option<Self> {
        None
    }

    fn first_element_child(&self) -> Option<Self> {
        None
    }

    fn is_html_element_in_html_document(&self) -> bool {
        self.node().ns == Ns::Html
    }

    fn has_local_name(&self, name: &CssLocalName) -> bool {
        *self.node().name == *name.0
    }

    fn has_namespace(&self, ns: &html5ever::Namespace) -> bool {
        ns_url(self.node().ns) == *ns
    }

    fn is_same_type(&self, other: &Self) -> bool {
        self.node().name == other.node().name && self.node().ns == other.node().ns
    }

    fn attr_matches(
        &self,
        ns: &NamespaceConstraint<&html5ever::Namespace>,
        local_name: &CssLocalName,
        operation: &AttrSelectorOperation<&CssString>,
    ) -> bool {
        // Attributes are in no namespace (foreign elements, whose
        // attributes html5ever may put in one, never reach a match: the
        // stream gives up on any match inside them).
        if let NamespaceConstraint::Specific(url) = ns {
            if **url != html5ever::ns!() {
                return false;
            }
        }
        self.node()
            .attrs
            .iter()
            .any(|a| *a.name == *local_name.0 && operation.eval_str(&a.value))
    }

    fn match_non_ts_pseudo_class(
        &self,
        _pc: &NonTSPseudoClass,
        _context: &mut MatchingContext<'_, Simple>,
    ) -> bool {
        false
    }

    fn match_pseudo_element(
        &self,
        _pe: &PseudoElement,
        _context: &mut MatchingContext<'_, Simple>,
    ) -> bool {
        false
    }

    fn apply_selector_flags(&self, _flags: matching::ElementSelectorFlags) {}

    fn is_link(&self) -> bool {
        &*self.node().name == "link"
    }

    fn is_html_slot_element(&self) -> bool {
        true
    }

    fn has_id(&self, id: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.node()
            .attr("id")
            .is_some_and(|v| case_sensitivity.eq(id.0.as_bytes(), v.as_bytes()))
    }

    fn has_class(&self, name: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.node().attrs.iter().any(|a| {
            &*a.name == "class"
                && a.value
                    .split_ascii_whitespace()
                    .any(|c| case_sensitivity.eq(c.as_bytes(), name.0.as_bytes()))
        })
    }

    fn has_custom_state(&self, _name: &CssLocalName) -> bool {
        false
    }

    fn imported_part(&self, _: &CssLocalName) -> Option<CssLocalName> {
        None
    }

    fn is_part(&self, _name: &CssLocalName) -> bool {
        false
    }

    fn is_empty(&self) -> bool {
        false
    }

    fn is_root(&self) -> bool {
        self.idx == 0
    }

    fn add_element_unique_hashes(&self, _filter: &mut BloomFilter) -> bool {
        false
    }
}
