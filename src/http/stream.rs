//! `GET /api/accounts/{account}/stream`: server-sent events that push an account's changes to
//! the page, so it never polls the full state.
//!
//! Events: `hello` first (the subscription is live: fetch the states now, then apply what
//! follows), then with `?since=N` (the `rta-seq` header of the page's states response, see
//! [`super::api::SEQ_HEADER`]) the current records of the persons changed since that snapshot,
//! so a page can fetch the states and open the stream at once; `states` — an array of changed agent-state records (coalesced per person, at most
//! [`MAX_BATCH`] a message); `summary` — the account summary when it changed (checked every
//! second); `intervals` — today's interval totals when they changed; `queues` — today's queue
//! intervals when they changed (checked every second); `changed` —
//! `{"what":"unmapped"|"directory"}` to refetch those; `resync` — this client fell more than
//! the views' broadcast buffer behind: refetch the states. Memory per client is bounded: the
//! buffer is shared and a lagging client is told to resync instead of being queued for.

use super::api::{bad_request, intervals_json, not_found, params};
use super::AppState;
use crate::service::views::{StateChange, Versions};
use crate::service::LiveViews;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::broadcast::Receiver;

/// Agent states in one `states` message at most.
pub const MAX_BATCH: usize = 2_000;
/// How often the summary and the versions of intervals, unmapped reports and names are checked.
const TICK: Duration = Duration::from_secs(1);
/// A comment line this often keeps proxies and the idle timeout from closing the stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn stream(
    State(s): State<AppState>,
    Path(account): Path<String>,
    q: Query<Vec<(String, String)>>,
) -> Response {
    let since = match params(&q, &["since"]) {
        Ok(p) => match p.first().map(|(_, v)| v.parse::<u64>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                return bad_request("since must be the rta-seq header of a states response")
                    .into_response()
            }
        },
        Err(e) => return e.into_response(),
    };
    if !s.views.has_account(&account) {
        return not_found("this account").into_response();
    }
    // subscribed before `hello`: whatever changes after the page's fetch reaches it
    let rx = s.views.subscribe();
    let hello =
        serde_json::json!({ "account": &account, "buffer": crate::service::views::STREAM_BUFFER });
    let mut pending = VecDeque::from([("hello", hello.to_string())]);
    // subscribed: the changes after the page's snapshot (`since`) that the subscription
    // cannot bring follow `hello` (too many: resync)
    if let Some(since) = since {
        match s.views.states_since(&account, since, MAX_BATCH) {
            Some(json) if json.len() > 2 => {
                pending.push_back(("states", String::from_utf8_lossy(&json).into_owned()))
            }
            Some(_) => {}
            None => pending.push_back(("resync", "{}".into())),
        }
    }
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let st = Subscriber {
        views: s.views.clone(),
        account,
        rx,
        pending,
        tick,
        summary: String::new(),
        queues: Vec::new(),
        versions: None,
    };
    let events = futures_util::stream::unfold(st, |mut st| async move {
        let (name, data) = st.next().await?;
        Some((
            Ok::<_, Infallible>(Event::default().event(name).data(data)),
            st,
        ))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

struct Subscriber {
    views: Arc<LiveViews>,
    account: String,
    rx: Receiver<Arc<StateChange>>,
    /// Events to send: (name, data).
    pending: VecDeque<(&'static str, String)>,
    tick: tokio::time::Interval,
    /// The summary last sent (JSON).
    summary: String,
    /// The queue view last sent (JSON).
    queues: Vec<u8>,
    versions: Option<Versions>,
}

impl Subscriber {
    async fn next(&mut self) -> Option<(&'static str, String)> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            tokio::select! {
                r = self.rx.recv() => match r {
                    Ok(c) => self.collect(c),
                    Err(RecvError::Lagged(_)) => self.resync(),
                    Err(RecvError::Closed) => return None,
                },
                _ = self.tick.tick() => self.poll_views(),
            }
        }
    }

    fn resync(&mut self) {
        self.pending.push_back(("resync", "{}".into()));
    }

    /// One change and those already waiting: one `states` message, latest record per person.
    fn collect(&mut self, first: Arc<StateChange>) {
        let mut batch = Vec::new();
        if *first.account == *self.account {
            batch.push(first);
        }
        while batch.len() < MAX_BATCH {
            match self.rx.try_recv() {
                Ok(c) if *c.account == *self.account => batch.push(c),
                Ok(_) => {}
                Err(TryRecvError::Lagged(_)) => {
                    self.resync();
                    return;
                }
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            return;
        }
        let mut seen = HashSet::with_capacity(batch.len());
        let mut latest: Vec<&StateChange> = batch
            .iter()
            .rev()
            .filter(|c| seen.insert(&*c.person))
            .map(|c| &**c)
            .collect();
        latest.reverse();
        let mut data = String::with_capacity(latest.iter().map(|c| c.json.len() + 1).sum());
        data.push('[');
        for (i, c) in latest.iter().enumerate() {
            if i > 0 {
                data.push(',');
            }
            data.push_str(&String::from_utf8_lossy(&c.json));
        }
        data.push(']');
        self.pending.push_back(("states", data));
    }

    /// What changed in the views since the last tick.
    fn poll_views(&mut self) {
        if let Some(sum) = self.views.summary(&self.account) {
            let text = serde_json::to_string(&sum).unwrap_or_default();
            if text != self.summary {
                self.summary.clone_from(&text);
                self.pending.push_back(("summary", text));
            }
        }
        if let Some(q) = self.views.queues(&self.account) {
            if q != self.queues {
                self.pending
                    .push_back(("queues", String::from_utf8_lossy(&q).into_owned()));
                self.queues = q;
            }
        }
        let Some(now) = self.views.versions(&self.account) else {
            return;
        };
        let before = self.versions.replace(now);
        if before.is_none_or(|b| b.intervals != now.intervals) {
            let at = self.views.account_now(&self.account);
            let iv = self.views.with_account(&self.account, |a| {
                intervals_json(&self.account, a, &[], at).ok()
            });
            if let Some(Some(v)) = iv {
                self.pending.push_back(("intervals", v.to_string()));
            }
        }
        let Some(before) = before else {
            return; // the page fetches the rest itself
        };
        for (what, changed) in [
            ("unmapped", before.unmapped != now.unmapped),
            ("directory", before.directory != now.directory),
        ] {
            if changed {
                let data = format!("{{\"what\":\"{what}\"}}");
                self.pending.push_back(("changed", data));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscriber(views: &Arc<LiveViews>) -> Subscriber {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        tick.reset(); // the first tick is an hour away: only state changes wake it
        Subscriber {
            views: views.clone(),
            account: "acme".into(),
            rx: views.subscribe(),
            pending: VecDeque::new(),
            tick,
            summary: String::new(),
            queues: Vec::new(),
            versions: None,
        }
    }

    fn state(person: &str, n: u32) -> String {
        format!(r#"{{"account":"acme","person":"{person}","n":{n}}}"#)
    }

    #[tokio::test]
    async fn changes_are_batched_per_person_and_filtered_by_account() {
        let views = Arc::new(LiveViews::default());
        let mut sub = subscriber(&views);
        views.put_state("acme/p1", state("p1", 1).as_bytes());
        views.put_state("other/p1", b"{}");
        views.put_state("acme/p2", state("p2", 1).as_bytes());
        views.put_state("acme/p1", state("p1", 2).as_bytes());
        let (name, data) = sub.next().await.unwrap();
        assert_eq!(name, "states");
        let list: Vec<serde_json::Value> = serde_json::from_str(&data).unwrap();
        assert_eq!(list.len(), 2, "{data}");
        assert_eq!(
            (&list[0]["person"], &list[0]["n"]),
            (&"p2".into(), &1.into())
        );
        assert_eq!(
            (&list[1]["person"], &list[1]["n"]),
            (&"p1".into(), &2.into())
        );
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_to_resync() {
        let views = Arc::new(LiveViews::default());
        let mut sub = subscriber(&views);
        for i in 0..crate::service::views::STREAM_BUFFER as u32 + 10 {
            views.put_state("acme/p1", state("p1", i).as_bytes());
        }
        let (name, _) = sub.next().await.unwrap();
        assert_eq!(name, "resync");
        // and then it follows again
        views.put_state("acme/p3", state("p3", 0).as_bytes());
        let mut names = Vec::new();
        while let Ok(Some((n, d))) =
            tokio::time::timeout(Duration::from_millis(200), sub.next()).await
        {
            names.push(n);
            if d.contains("p3") {
                break;
            }
        }
        assert_eq!(names.last(), Some(&"states"), "{names:?}");
    }

    #[tokio::test]
    async fn summaries_and_interval_versions_are_pushed_when_they_change() {
        let views = Arc::new(LiveViews::default());
        views.put_state("acme/p1", state("p1", 0).as_bytes());
        let mut sum = std::collections::BTreeMap::new();
        let s = crate::service::AccountSummary {
            account: "acme".into(),
            persons: 1,
            ..Default::default()
        };
        sum.insert("acme".to_string(), s);
        views.set_shard_summaries(0, sum);
        let mut sub = subscriber(&views);
        sub.poll_views();
        let names: Vec<&str> = sub.pending.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["summary", "intervals"]);
        sub.pending.clear();
        sub.poll_views();
        assert!(sub.pending.is_empty(), "nothing changed");
        views.put_unmapped("acme/8431/identifier/bob", Some(b"{}"));
        sub.poll_views();
        let got: Vec<(&str, &str)> = sub.pending.iter().map(|(n, d)| (*n, d.as_str())).collect();
        assert_eq!(got, [("changed", r#"{"what":"unmapped"}"#)]);
    }
}
