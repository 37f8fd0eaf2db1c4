use super::*;
use crate::admin::ConfigState;

fn state(records: &[(&str, Value)]) -> ConfigState {
    ConfigState {
        records: records
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

fn acme() -> ConfigState {
    state(&[
        (
            "acme/settings",
            json!({"kind":"settings","account":"acme","timeZone":"Europe/Berlin"}),
        ),
        (
            "acme/integration/8431",
            json!({"kind":"integration","account":"acme","id":"8431","vendor":"odigo"}),
        ),
        (
            "acme/activity/7",
            json!({"kind":"activity","account":"acme","id":"7","name":"Lunch","type":"break"}),
        ),
    ])
}

#[test]
fn identifiers_plan_and_errors_name_line_and_field() {
    let ok = "integration,externalId,person,count\n8431,bob.smith,p17,3\n8431, Bob ,p18,\n";
    let p = plan(ImportKind::Identifiers, "acme", ok, &acme()).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].0, "acme/identifier/8431/bob.smith");
    assert_eq!(p[0].1["person"], "p17");
    let bad = "integration,externalId,person\n8431,a,p1\n8431,b,\n9999,c,p3\n8431,a,p4\n";
    let errs = plan(ImportKind::Identifiers, "acme", bad, &acme()).unwrap_err();
    assert!(
        errs.iter().any(|e| e == "line 3, field person: is empty"),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("line 4, field integration")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("line 5: the same acme/identifier/8431/a as line 2")),
        "{errs:?}"
    );
    let no_col = plan(
        ImportKind::Identifiers,
        "acme",
        "integration,person\n1,2\n",
        &acme(),
    )
    .unwrap_err();
    assert!(no_col[0].contains("no column \"externalId\""), "{no_col:?}");
}

#[test]
fn statuses_need_known_activities() {
    let csv =
        "integration,externalStatus,activity\n8431,READY,1\n8431,PAUSE:LUNCH,7\n8431,PAUSE:X,99\n";
    let errs = plan(ImportKind::Statuses, "acme", csv, &acme()).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("line 4, field activity"), "{errs:?}");
}

#[test]
fn schedules_group_by_person_and_day_in_local_time() {
    let csv = "person,date,activity,start,end\np17,2026-11-23,1,09:00,12:00\np17,2026-11-23,7,12:00,12:30\np17,2026-11-23,1,12:30,13:00\np18,2026-11-23,1,22:00,06:00\n";
    let p = plan(ImportKind::Schedules, "acme", csv, &acme()).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].0, "acme/schedule/p17/2026-11-23");
    let segs = p[0].1["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 3);
    // Europe/Berlin is UTC+1 in November
    assert_eq!(segs[0]["start"], "2026-11-23T08:00:00Z");
    assert_eq!(segs[2]["end"], "2026-11-23T12:00:00Z");
    // overnight: the end is on the next day
    assert_eq!(p[1].1["segments"][0]["end"], "2026-11-24T05:00:00Z");
    let overlap = "person,date,activity,start,end\np1,2026-11-23,1,09:00,12:00\np1,2026-11-23,7,11:00,12:30\np1,2026-11-23,1,9am,10:00\n";
    let errs = plan(ImportKind::Schedules, "acme", overlap, &acme()).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e == "line 3, field start: overlaps the segment of line 2"),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.starts_with("line 4, field start")),
        "{errs:?}"
    );
}

#[test]
fn file_import_is_idempotent_and_dry_run_writes_nothing() {
    let path = std::env::temp_dir().join(format!("rta-import-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let t = Target::File(path.clone());
    let people = "id,name,team\np17,Bob Smith,Team A\np18,Ann Lee,\n";
    let dry = run(&t, ImportKind::People, "acme", people, true).unwrap();
    assert!(dry.contains("would add acme/person/p17"), "{dry}");
    assert!(!path.exists(), "a dry run wrote the file");
    let first = run(&t, ImportKind::People, "acme", people, false).unwrap();
    assert!(first.contains("2 added, 0 changed, 0 unchanged"), "{first}");
    let again = run(&t, ImportKind::People, "acme", people, false).unwrap();
    assert!(again.contains("0 added, 0 changed, 2 unchanged"), "{again}");
    let changed = run(
        &t,
        ImportKind::People,
        "acme",
        "id,name,team\np17,Bob Smith,Team B\n",
        false,
    )
    .unwrap();
    assert!(changed.contains("change acme/person/p17"), "{changed}");
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    assert_eq!(lines, 3, "two adds and one change were written");
    // an invalid file writes nothing
    let e = run(
        &t,
        ImportKind::People,
        "acme",
        "id,name,team\n,x,\np20,y,\n",
        false,
    )
    .unwrap_err();
    assert!(e.to_string().contains("line 2, field id: is empty"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    let _ = std::fs::remove_file(&path);
}
