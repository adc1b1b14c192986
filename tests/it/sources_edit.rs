//! The sources-file editor on copies of the shipped `sources/*.toml` (real
//! files with comments): what an add, an edit, a pause write, byte for
//! byte; what a refused write leaves (nothing); concurrent writers; values
//! that try to escape their string; the audit log.

use chrono::{TimeZone, Utc};
use regwatch::config::{load_sources_dir, ScheduleConfig};
use regwatch::sources_edit::{
    read_audit_log, Action, EditError, ExtractDraft, SourceDraft, SourceState, SourcesEditor, Stamp,
};
use std::path::{Path, PathBuf};

/// A copy of the shipped sources directory.
fn shipped_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sources");
    std::fs::create_dir(&dir).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("sources");
    for e in std::fs::read_dir(shipped).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    (tmp, dir)
}

fn editor(dir: &Path) -> SourcesEditor {
    SourcesEditor::new(dir, ScheduleConfig::default())
}

fn stamp(who: &str) -> Stamp {
    Stamp::new(who, Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap())
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn page_draft(id: &str, jurisdiction: &str) -> SourceDraft {
    SourceDraft {
        id: id.into(),
        name: "Ticaret Bakanlığı — Örnek duyurular".into(),
        jurisdiction: jurisdiction.into(),
        language: Some("tr".into()),
        kind: "page".into(),
        url: "https://www.ticaret.gov.tr/ornek".into(),
        schedule: Some("0 9 * * 1-5".into()),
        timezone: Some("Europe/Istanbul".into()),
        extract: ExtractDraft {
            item: Some("ul.list > li".into()),
            exclude: vec!["nav".into()],
            ..ExtractDraft::default()
        },
        ..SourceDraft::default()
    }
}

/// Lines removed and added from `old` to `new`.
fn changed_lines(old: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let diff = similar::TextDiff::from_lines(old, new);
    let (mut del, mut ins) = (vec![], vec![]);
    for c in diff.iter_all_changes() {
        match c.tag() {
            similar::ChangeTag::Delete => del.push(c.value().trim_end().to_string()),
            similar::ChangeTag::Insert => ins.push(c.value().trim_end().to_string()),
            similar::ChangeTag::Equal => {}
        }
    }
    (del, ins)
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with(".regwatch-edit.lock"))
        .map(|p| {
            let m = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p.clone(), std::fs::read(&p).unwrap(), m)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn an_add_appends_exactly_the_new_block_and_the_directory_still_loads() {
    let (_tmp, dir) = shipped_copy();
    let file = dir.join("tr.toml");
    let before = read(&file);
    let w = editor(&dir)
        .add(&page_draft("tr-ornek-duyurular", "tr"), &stamp("ayse"))
        .unwrap();
    assert!(w.written);
    assert_eq!(w.file, file);
    let after = read(&file);
    assert!(
        after.starts_with(&before),
        "the old text stays byte for byte"
    );
    assert_eq!(
        &after[before.len()..],
        "\n[[source]]\nid = \"tr-ornek-duyurular\"\nname = \"Ticaret Bakanlığı — Örnek duyurular\"\n\
         jurisdiction = \"TR\"\nlanguage = \"tr\"\nkind = \"page\"\nurl = \"https://www.ticaret.gov.tr/ornek\"\n\
         schedule = \"0 9 * * 1-5\"\ntimezone = \"Europe/Istanbul\"\n[source.extract]\nexclude = [\"nav\"]\n\
         item = \"ul.list > li\"\n"
    );
    let all = load_sources_dir(&dir, &ScheduleConfig::default()).unwrap();
    let s = all.iter().find(|s| s.id() == "tr-ornek-duyurular").unwrap();
    assert_eq!(s.def.extract.item.as_deref(), Some("ul.list > li"));
    let log = read_audit_log(&dir.join(".audit.log")).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].who, "ayse");
    assert_eq!(log[0].at, "2026-12-02T10:00:00Z");
    assert_eq!(log[0].action, Action::Add);
    assert_eq!(log[0].id, "tr-ornek-duyurular");
    assert!(log[0]
        .changes
        .iter()
        .any(|c| c.field == "extract.item" && c.old.is_none()));
}

#[test]
fn a_new_jurisdiction_gets_its_own_file_with_a_header() {
    let (_tmp, dir) = shipped_copy();
    let mut d = page_draft("de-bnetza", "de");
    d.language = Some("de".into());
    d.timezone = None;
    let w = editor(&dir).add(&d, &stamp("ayse")).unwrap();
    assert_eq!(w.file, dir.join("de.toml"));
    let text = read(&w.file);
    assert!(text.starts_with("# Sources of jurisdiction DE"), "{text}");
    assert!(load_sources_dir(&dir, &ScheduleConfig::default())
        .unwrap()
        .iter()
        .any(|s| s.id() == "de-bnetza"));
}

#[test]
fn an_edit_changes_only_the_changed_lines_and_keeps_comments() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let file = dir.join("tr.toml");
    let before = read(&file);
    let found = ed.read("tr-resmi-gazete").unwrap();
    assert_eq!(found.file, file);
    assert_eq!(found.state, SourceState::Enabled);
    let mut d = found.draft.clone();
    d.schedule = Some("20 0,7,13,19 * * *".into());
    d.extract.fail_if.push("Access Denied".into());
    d.categories = vec!["telecom".into()];
    d.timezone = None;
    let w = ed
        .edit("tr-resmi-gazete", &d, None, &stamp("ayse"))
        .unwrap();
    assert!(w.written);
    let after = read(&file);
    let (del, ins) = changed_lines(&before, &after);
    assert_eq!(
        del,
        vec![
            "schedule = \"15 0,7,13,19 * * *\"",
            "timezone = \"Europe/Istanbul\"",
            "fail_if = [\"Request Rejected\", \"The requested URL was rejected\"]",
        ]
    );
    assert_eq!(
        ins,
        vec![
            "schedule = \"20 0,7,13,19 * * *\"",
            "categories = [\"telecom\"]",
            "fail_if = [\"Request Rejected\", \"The requested URL was rejected\", \"Access Denied\"]",
        ]
    );
    // The comment above `schedule` stays above it.
    assert!(after.contains(
        "# The issue appears at 00:00 Istanbul; mükerrer (extra) issues can appear during the day.\nschedule = \"20"
    ));
    let mut fields: Vec<&str> = w.changes.iter().map(|c| c.field.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["categories", "extract.fail_if", "schedule", "timezone"]
    );
    assert_eq!(ed.read("tr-resmi-gazete").unwrap().draft, d);
}

#[test]
fn an_edit_that_changes_nothing_writes_nothing() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let before = snapshot(&dir);
    for id in [
        "tr-resmi-gazete",
        "mx-dof-matutina",
        "vn-customs-van-ban",
        "us-fcc-headlines",
    ] {
        let d = ed.read(id).unwrap().draft;
        let w = ed.edit(id, &d, None, &stamp("ayse")).unwrap();
        assert!(!w.written, "{id}");
        assert!(w.changes.is_empty(), "{id}: {:?}", w.changes);
    }
    assert_eq!(snapshot(&dir), before, "no file, no audit line");
}

#[test]
fn a_save_that_fails_validation_writes_nothing_and_names_the_field() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let before = snapshot(&dir);
    let base = ed.read("tr-ticaret-duyurular").unwrap().draft;
    type Edit = Box<dyn Fn(&mut SourceDraft)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "schedule",
            Box::new(|d| d.schedule = Some("0 25 * * *".into())),
        ),
        (
            "timezone",
            Box::new(|d| d.timezone = Some("Mars/Olympus".into())),
        ),
        ("url", Box::new(|d| d.url = "ftp://ticaret.gov.tr/x".into())),
        ("url", Box::new(|d| d.url = "not a url".into())),
        ("kind", Box::new(|d| d.kind = "website".into())),
        ("name", Box::new(|d| d.name = "   ".into())),
        (
            "extract.item",
            Box::new(|d| d.extract.item = Some("li[".into())),
        ),
        (
            "extract.ignore",
            Box::new(|d| d.extract.ignore = vec!["(".into()]),
        ),
        ("wait_for", Box::new(|d| d.wait_for = Some("#list".into()))),
        (
            "render",
            Box::new(|d| {
                d.kind = "feed".into();
                d.extract = ExtractDraft::default();
                d.render = Some("browser".into());
            }),
        ),
        (
            "jurisdiction",
            Box::new(|d| d.jurisdiction = "Turkey".into()),
        ),
    ];
    for (field, change) in &cases {
        let mut d = base.clone();
        change(&mut d);
        match ed.edit("tr-ticaret-duyurular", &d, None, &stamp("ayse")) {
            Err(EditError::Field { field: f, message }) => {
                assert_eq!(&f, field, "{message}");
                assert!(!message.is_empty());
                // The form shows the field: the message does not repeat the source.
                assert!(!message.starts_with("source `"), "{message}");
            }
            other => panic!("{field}: {other:?}"),
        }
        let mut new = d.clone();
        new.id = "tr-yeni".into();
        match ed.add(&new, &stamp("ayse")) {
            Err(EditError::Field { field: f, message }) => assert_eq!(&f, field, "add: {message}"),
            other => panic!("add {field}: {other:?}"),
        }
    }
    assert_eq!(
        snapshot(&dir),
        before,
        "bytes and mtimes unchanged, no temporary file, no audit line"
    );
}

#[test]
fn two_writers_of_one_file_at_once_both_land() {
    let (_tmp, dir) = shipped_copy();
    let ids = ["tr-ticaret-duyurular", "tr-ggm-duyurular"];
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(3));
    let threads: Vec<_> = ids
        .iter()
        .map(|id| {
            let dir = dir.clone();
            let id = id.to_string();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let ed = editor(&dir);
                barrier.wait();
                for round in 0..8 {
                    let mut d = ed.read(&id).unwrap().draft;
                    d.extract.fail_if.push(format!("{id} marker {round}"));
                    ed.edit(&id, &d, None, &stamp(&id)).unwrap();
                }
            })
        })
        .collect();
    // And a third adds sources to the same file meanwhile.
    let adder = {
        let dir = dir.clone();
        let barrier = barrier.clone();
        std::thread::spawn(move || {
            let ed = editor(&dir);
            barrier.wait();
            for i in 0..8 {
                ed.add(
                    &page_draft(&format!("tr-eklenen-{i}"), "TR"),
                    &stamp("adder"),
                )
                .unwrap();
            }
        })
    };
    for t in threads {
        t.join().unwrap();
    }
    adder.join().unwrap();
    let all = load_sources_dir(&dir, &ScheduleConfig::default()).unwrap();
    for id in ids {
        let s = all.iter().find(|s| s.id() == id).unwrap();
        for round in 0..8 {
            let m = format!("{id} marker {round}");
            assert!(s.def.extract.fail_if.contains(&m), "{m} lost");
        }
    }
    for i in 0..8 {
        assert!(all.iter().any(|s| s.id() == format!("tr-eklenen-{i}")));
    }
    assert_eq!(read_audit_log(&dir.join(".audit.log")).unwrap().len(), 24);
}

#[test]
fn hostile_values_stay_values() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let mut d = page_draft("tr-hostile", "TR");
    d.name = "]\n[[source]]\nid=\"x".into();
    d.notes = Some("\"\"\"\n[[source]]\nid = \"tr-resmi-gazete\"\n'''\\ \u{1b}[31m".into());
    d.extract.item = Some("a[title=\"x\"], li:has(a[href*='\\'])".into());
    d.extract.fail_if = vec![
        "\"]\n[source.extract]\nitem = \"x".into(),
        "\u{0}\u{7f}".into(),
    ];
    let before = read(&dir.join("tr.toml"));
    let w = ed.add(&d, &stamp("ayse\n{\"who\":\"root\"}")).unwrap();
    assert!(w.written);
    let after = read(&dir.join("tr.toml"));
    let added = &after[before.len()..];
    // One table header; every other line is a key (no value spans lines
    // when a line of it would read as a header, a key or a comment).
    let lines: Vec<&str> = added.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines.iter().filter(|l| l.trim() == "[[source]]").count(),
        1,
        "{added}"
    );
    for l in &lines {
        assert!(
            l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')),
            "{l:?} in {added}"
        );
    }
    let back = ed.read("tr-hostile").unwrap().draft;
    assert_eq!(back, d);
    let all = load_sources_dir(&dir, &ScheduleConfig::default()).unwrap();
    assert_eq!(all.iter().filter(|s| s.id() == "x").count(), 0);
    let s = all.iter().find(|s| s.id() == "tr-hostile").unwrap();
    assert_eq!(s.def.name, d.name);
    // The audit log keeps one line per write, whatever `who` holds.
    let log = read_audit_log(&dir.join(".audit.log")).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].who, "ayse\n{\"who\":\"root\"}");
    assert_eq!(read(&dir.join(".audit.log")).lines().count(), 1);
    // An edit with hostile values round-trips too.
    let mut e = back.clone();
    e.name = "x\" # comment\nenabled = false".into();
    ed.edit("tr-hostile", &e, None, &stamp("ayse")).unwrap();
    assert_eq!(ed.read("tr-hostile").unwrap().draft.name, e.name);
    assert!(
        load_sources_dir(&dir, &ScheduleConfig::default())
            .unwrap()
            .iter()
            .find(|s| s.id() == "tr-hostile")
            .unwrap()
            .def
            .enabled
    );
}

#[test]
fn an_unknown_id_is_a_clear_error() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let before = snapshot(&dir);
    let d = page_draft("tr-yok", "TR");
    for r in [
        ed.edit("tr-yok", &d, None, &stamp("a")),
        ed.pause("tr-yok", None, &stamp("a")),
        ed.resume("tr-yok", &stamp("a")),
        ed.set_enabled("tr-yok", false, &stamp("a")),
    ] {
        match r {
            Err(e @ EditError::UnknownId { .. }) => {
                assert!(e.to_string().contains("no source `tr-yok`"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        ed.read("tr-yok"),
        Err(EditError::UnknownId { .. })
    ));
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn an_id_taken_in_another_file_is_refused() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let before = snapshot(&dir);
    // vn-customs-van-ban lives in vn.toml; this draft would go to tr.toml.
    match ed.add(&page_draft("vn-customs-van-ban", "TR"), &stamp("a")) {
        Err(EditError::Field { field, message }) => {
            assert_eq!(field, "id");
            assert!(message.contains("vn.toml"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // An id is not renamed by an edit either.
    let mut d = ed.read("tr-ticaret-duyurular").unwrap().draft;
    d.id = "tr-ticaret-yeni".into();
    assert!(matches!(
        ed.edit("tr-ticaret-duyurular", &d, None, &stamp("a")),
        Err(EditError::Field { field, .. }) if field == "id"
    ));
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn pause_and_resume_mark_the_line_and_restore_it() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let file = dir.join("tr.toml");
    let before = read(&file);
    let w = ed
        .pause("tr-ticaret-duyurular", Some("site\nmoved"), &stamp("ayse"))
        .unwrap();
    assert!(w.written);
    let paused = read(&file);
    let (del, ins) = changed_lines(&before, &paused);
    assert!(del.is_empty(), "{del:?}");
    assert_eq!(
        ins,
        ["enabled = false # paused by ayse on 2026-12-02T10:00:00Z: site moved"]
    );
    assert_eq!(
        ed.read("tr-ticaret-duyurular").unwrap().state,
        SourceState::Paused {
            by: "ayse".into(),
            since: "2026-12-02T10:00:00Z".into(),
            reason: Some("site moved".into()),
        }
    );
    let all = load_sources_dir(&dir, &ScheduleConfig::default()).unwrap();
    assert!(
        !all.iter()
            .find(|s| s.id() == "tr-ticaret-duyurular")
            .unwrap()
            .def
            .enabled
    );
    // Pausing again changes nothing (the first pause is kept).
    assert!(
        !ed.pause("tr-ticaret-duyurular", None, &stamp("mehmet"))
            .unwrap()
            .written
    );
    let w = ed.resume("tr-ticaret-duyurular", &stamp("ayse")).unwrap();
    assert!(w.written);
    assert_eq!(read(&file), before, "a resume restores the file");
    // A disable is `enabled = false` with no mark; a source disabled with a
    // comment of its own keeps it when paused or disabled.
    ed.set_enabled("tr-ticaret-duyurular", false, &stamp("ayse"))
        .unwrap();
    assert_eq!(
        ed.read("tr-ticaret-duyurular").unwrap().state,
        SourceState::Disabled
    );
    assert!(
        !ed.pause("tr-ticaret-duyurular", None, &stamp("ayse"))
            .unwrap()
            .written
    );
    ed.set_enabled("tr-ticaret-duyurular", true, &stamp("ayse"))
        .unwrap();
    assert_eq!(read(&file), before);
    let actions: Vec<Action> = read_audit_log(&dir.join(".audit.log"))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            Action::Pause,
            Action::Resume,
            Action::Disable,
            Action::Enable
        ]
    );
}

#[test]
fn an_edit_from_an_old_form_keeps_the_other_changes_and_refuses_a_clash() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let id = "tr-titck-duyurular";
    let opened = ed.read(id).unwrap().draft;
    // Meanwhile someone else changes the schedule.
    let mut other = opened.clone();
    other.schedule = Some("5 9 * * 1-5".into());
    ed.edit(id, &other, None, &stamp("mehmet")).unwrap();
    // The old form changes the name only: the schedule change stays.
    let mut mine = opened.clone();
    mine.name = "TİTCK — Duyurular (tıbbi cihaz)".into();
    ed.edit(id, &mine, Some(&opened), &stamp("ayse")).unwrap();
    let now = ed.read(id).unwrap().draft;
    assert_eq!(now.name, mine.name);
    assert_eq!(now.schedule, other.schedule);
    // The old form changing the schedule too is a conflict.
    let mut clash = opened.clone();
    clash.schedule = Some("0 12 * * *".into());
    match ed.edit(id, &clash, Some(&opened), &stamp("ayse")) {
        Err(EditError::Conflict { fields, .. }) => assert_eq!(fields, ["schedule"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_audit_log_masks_credentials_in_urls() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir).with_audit_log(dir.join("audit.jsonl"));
    let mut d = page_draft("tr-gizli", "TR");
    d.url = "https://user:s3cret@www.ticaret.gov.tr/x?token=abc&page=2".into();
    ed.add(&d, &stamp("ayse")).unwrap();
    let text = read(&dir.join("audit.jsonl"));
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!text.contains("abc"), "{text}");
    assert!(text.contains("page=2"));
}

#[test]
fn check_validates_without_writing() {
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let before = snapshot(&dir);
    ed.check(&page_draft("tr-yeni", "TR"), None).unwrap();
    let mut bad = page_draft("tr-yeni", "TR");
    bad.extract.item = Some(">>".into());
    assert!(matches!(
        ed.check(&bad, None),
        Err(EditError::Field { field, .. }) if field == "extract.item"
    ));
    let d = ed.read("tr-resmi-gazete").unwrap().draft;
    ed.check(&d, Some("tr-resmi-gazete")).unwrap();
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_draft_comes_from_json_as_the_api_sends_it() {
    let d: SourceDraft = serde_json::from_str(
        r#"{"id":"tr-x","name":"X","jurisdiction":"TR","kind":"page","url":"https://x.example/",
            "extract":{"item":"li","item_title":["$.a","$.b"]}}"#,
    )
    .unwrap();
    assert!(d.enabled, "a missing `enabled` is true");
    assert_eq!(d.extract.item.as_deref(), Some("li"));
    assert!(serde_json::from_str::<SourceDraft>(r#"{"id":"x","bogus":1}"#).is_err());
}

#[test]
fn redirect_is_written_as_given_and_validated_by_the_loader() {
    // DESIGN.md has `redirect = "follow" | "empty"`; until the loader knows
    // the key, the editor refuses it on its field rather than writing a
    // file the daemon would not load.
    let (_tmp, dir) = shipped_copy();
    let ed = editor(&dir);
    let mut d = page_draft("tr-mukerrer-2", "TR");
    d.redirect = Some("empty".into());
    match ed.add(&d, &stamp("ayse")) {
        Ok(w) => assert!(read(&w.file).contains("redirect = \"empty\"")),
        Err(EditError::Field { field, message }) => {
            assert_eq!(field, "redirect", "{message}");
            assert!(message.contains("redirect"), "{message}");
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_field_of_a_draft_has_a_name_errors_use() {
    let names = regwatch::sources_edit::field_names();
    for n in [
        "id",
        "name",
        "jurisdiction",
        "language",
        "kind",
        "url",
        "schedule",
        "timezone",
        "categories",
        "enabled",
        "render",
        "wait_for",
        "may_be_empty",
        "redirect",
        "notes",
        "extract.content",
        "extract.exclude",
        "extract.item",
        "extract.item_title",
        "extract.item_link",
        "extract.item_text",
        "extract.item_id",
        "extract.ignore",
        "extract.follow",
        "extract.follow_content",
        "extract.report",
        "extract.fail_if",
    ] {
        assert!(names.iter().any(|x| x == n), "{n}");
    }
    assert_eq!(names.len(), 27);
}
