//! Domain types shared by every stage: parse, don't validate.
//!
//! One file per concern; every type is re-exported here, so callers name
//! them `crate::model::X` whatever file holds them.

mod case;
mod change;
mod hs;
mod ids;
mod outcome;
mod review;
mod source;

pub use case::{Case, CaseMatch, Strength, CASE_COLUMNS};
pub use change::{
    Change, ChangeKind, ChangeRecord, CorrectedTags, Correction, NewChange, StoryMember, Tags,
};
pub use hs::{HsCode, HsLevel};
pub use ids::{rule_jurisdiction, Country, Reach, SourceId, EU_MEMBERS};
pub use outcome::{
    HealthChange, HealthState, PollOutcome, PollStatus, SourceHealth, BASELINE, CHANGED, DEFERRED,
    FAILED, NOT_MODIFIED, SUSPECT, UNCHANGED,
};
pub use regwatch_classify::{Evidence, Gist};
pub use review::{Disposition, Review, Urgency, DISPOSITION_STATES, REVIEW_STATES};
pub use source::{Content, Item, SourceKind};
