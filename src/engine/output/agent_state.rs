//! The agent-state record (SPEC §6.1), with the names a supervisor reads joined from the
//! account's config at publish time: the person's name and team (person record) and the
//! names of the actual and the scheduled activity (activity records). Each join is one lookup
//! in a map the account already keeps, so a record costs the same whatever the account's size.

use super::{adherence_label, percent, IdentIntegration, OutTopic, Outputs, RawFacts, Who};
use crate::config::{PersonRec, Rules};
use crate::engine::cursor::{status_offline, StateView, NEVER};
use crate::engine::timeline::NO_STATUS;
use crate::json::{k, Text};
use crate::time::Millis;

/// An activity's display name: null when the activity has no record (or an empty name).
fn activity_name(rules: &Rules, i: u32) -> Option<&Text> {
    let a = rules.activity(i);
    (a.defined && !a.name.is_empty()).then_some(&a.name)
}

/// SPEC §6.1 agent state. `info` is the person's config record, when there is one.
#[allow(clippy::too_many_arguments)]
pub fn agent_state(
    e: &mut Outputs,
    who: Who,
    info: Option<&PersonRec>,
    v: &StateView,
    rules: &Rules,
    idents: &dyn IdentIntegration,
) -> OutTopic {
    who.key(e.begin(OutTopic::AgentStates));
    let mut o = who.fields(e.value());
    o.opt_str(k!("personName"), info.map(|i| i.name.as_str()))
        .opt_str(k!("team"), info.and_then(|i| i.team.as_deref()))
        .time(k!("at"), v.at);
    let status = v.actual.status;
    let offline = status_offline(rules, status);
    let activity = if offline {
        None
    } else {
        Some(
            rules
                .status(status)
                .activity
                .unwrap_or(crate::config::PRESENT),
        )
    };
    // the activity id's bytes in the buffer, when written unescaped (for the views' facts)
    let mut activity_span = None;
    let mut escaped = false;
    {
        let mut a = o.object(k!("actual"));
        match activity {
            Some(i) => {
                let act = rules.activity(i);
                a.text(k!("activity"), &act.id);
                if act.id.plain() {
                    let end = a.written_len() - 1; // before the closing quote
                    let start = end - act.id.len();
                    activity_span = Some((start as u32, end as u32));
                } else {
                    escaped = true;
                }
                a.label(k!("activityType"), act.activity_type.as_str());
            }
            None => {
                a.null(k!("activity")).null(k!("activityType"));
            }
        }
        let (ext, integ) = match status {
            NEVER => (None, None),
            NO_STATUS => (None, idents.ident_integration(v.actual.ident)),
            s => {
                let st = rules.status(s);
                (Some(&st.external), Some(st.integration))
            }
        };
        a.opt_text(k!("externalStatus"), ext);
        a.opt_text(k!("integration"), integ.map(|i| &rules.integration(i).id));
        a.opt_time(k!("since"), (status != NEVER).then_some(v.actual.since));
        a.bool(k!("online"), !offline);
        a.end();
    }
    o.opt_text(
        k!("activityName"),
        activity.and_then(|i| activity_name(rules, i)),
    );
    match &v.segment {
        Some(seg) => {
            let act = rules.activity(seg.activity);
            let mut s = o.object(k!("scheduled"));
            s.text(k!("activity"), &act.id)
                .label(k!("activityType"), act.activity_type.as_str())
                .time(k!("start"), seg.start)
                .time(k!("end"), seg.end);
            s.end();
        }
        None => {
            o.null(k!("scheduled"));
        }
    }
    o.opt_text(
        k!("scheduledActivityName"),
        v.segment.and_then(|s| activity_name(rules, s.activity)),
    );
    o.label(k!("adherence"), adherence_label(v));
    match v.episode.ooo {
        Some(x) => o.label(k!("oooType"), x.as_str()),
        None => o.null(k!("oooType")),
    };
    o.opt_time(k!("oooSince"), v.episode.ooo.map(|_| v.episode.since));
    o.bool(
        k!("inBuffer"),
        v.episode.ooo.is_some() && !v.episode.alerted,
    );
    {
        let d = &v.day;
        let mut t = o.object(k!("today"));
        t.date(k!("date"), d.date)
            .secs(k!("scheduledSeconds"), d.scheduled as Millis)
            .secs(k!("inAdherenceSeconds"), d.in_adherence as Millis)
            .secs(k!("actualSeconds"), d.actual as Millis)
            .percent(k!("adherencePercent"), percent(d.in_adherence, d.scheduled))
            .percent(k!("conformancePercent"), percent(d.actual, d.scheduled));
        t.end();
    }
    o.end();
    if !escaped {
        e.set_facts(RawFacts {
            at: v.at,
            since: (status != NEVER).then_some(v.actual.since),
            activity: activity_span,
            ooo: v.episode.ooo.map(|x| (x.as_str(), v.episode.since)),
        });
    }
    e.finish(true, true)
}
