//! The per-account rule set the engine evaluates against: settings and local grid,
//! activities, integrations, external-status mappings and match records. Cheap to clone, so a
//! config change can re-evaluate affected persons under the old and the new rules side by side.

use super::record::{IntegrationRec, MatchRec, OdigoFields, SettingsRec, Vendor};
use crate::json::Text;
use crate::time::{Grid, Millis};
use ahash::AHashMap;
use smallvec::SmallVec;

/// Activity index of the built-in activity `1` "Present" (type presence).
pub const PRESENT: u32 = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ActivityType {
    Presence,
    Break,
    Meeting,
    Illness,
    Vacation,
    Absence,
}

impl ActivityType {
    pub fn parse(s: &str) -> Option<ActivityType> {
        Some(match s {
            "presence" => ActivityType::Presence,
            "break" => ActivityType::Break,
            "meeting" => ActivityType::Meeting,
            "illness" => ActivityType::Illness,
            "vacation" => ActivityType::Vacation,
            "absence" => ActivityType::Absence,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityType::Presence => "presence",
            ActivityType::Break => "break",
            ActivityType::Meeting => "meeting",
            ActivityType::Illness => "illness",
            ActivityType::Vacation => "vacation",
            ActivityType::Absence => "absence",
        }
    }

    /// Working types count towards scheduled and actual time.
    pub fn is_working(self) -> bool {
        matches!(
            self,
            ActivityType::Presence | ActivityType::Break | ActivityType::Meeting
        )
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

#[derive(Clone, Debug)]
pub struct ActivitySlot {
    pub id: Text,
    pub name: Text,
    pub activity_type: ActivityType,
    /// False for an id referenced (by a status or schedule) before its record arrived: it is
    /// treated as type presence until then.
    pub defined: bool,
}

/// An interned external status of one integration.
#[derive(Clone, Debug)]
pub struct StatusInfo {
    pub integration: u32,
    pub external: Text,
    /// Mapped activity; `None` = unmapped (evaluated as activity 1 and reported).
    pub activity: Option<u32>,
    /// The status means "offline" (Odigo LOGOUT).
    pub offline: bool,
}

/// Merged match records of one scheduled activity.
#[derive(Clone, Debug, Default)]
pub struct MatchRule {
    pub actual: SmallVec<[u32; 4]>,
    pub offline: bool,
    types: u8,
}

impl MatchRule {
    pub fn accepts_type(&self, t: ActivityType) -> bool {
        self.types & t.bit() != 0
    }
}

#[derive(Clone, Debug)]
pub struct IntegrationSlot {
    pub id: Text,
    pub vendor: Vendor,
    pub name: Box<str>,
    pub paused: bool,
    pub detailed_breaks: bool,
    pub fields: Option<OdigoFields>,
    /// Known and not deleted.
    pub active: bool,
}

/// Everything adherence evaluation reads, for one account.
#[derive(Clone, Debug)]
pub struct Rules {
    pub settings: SettingsRec,
    pub grid: Grid,
    activities: Vec<ActivitySlot>,
    activity_index: AHashMap<Box<str>, u32>,
    integrations: Vec<IntegrationSlot>,
    integration_index: AHashMap<Box<str>, u32>,
    statuses: Vec<StatusInfo>,
    /// Per integration index: external status → status index.
    status_index: Vec<AHashMap<Box<str>, u32>>,
    /// Mapped statuses by hash of (integration, normalized external status): near-miss
    /// suggestions are one hash lookup instead of a scan of every status (verified on lookup).
    status_near: AHashMap<u64, SmallVec<[u32; 1]>>,
    match_records: AHashMap<Box<str>, (u32, MatchRule)>,
    matches: AHashMap<u32, MatchRule>,
}

impl Default for Rules {
    fn default() -> Self {
        let mut r = Rules {
            settings: SettingsRec::default(),
            grid: Grid::utc(15),
            activities: Vec::new(),
            activity_index: AHashMap::new(),
            integrations: Vec::new(),
            integration_index: AHashMap::new(),
            statuses: Vec::new(),
            status_index: Vec::new(),
            status_near: AHashMap::new(),
            match_records: AHashMap::new(),
            matches: AHashMap::new(),
        };
        r.activities.push(ActivitySlot {
            id: "1".into(),
            name: "Present".into(),
            activity_type: ActivityType::Presence,
            defined: true,
        });
        r.activity_index.insert("1".into(), PRESENT);
        r
    }
}

impl Rules {
    // ---- settings -------------------------------------------------------------------------

    /// Apply settings; returns whether the local grid (zone or interval) changed.
    pub fn set_settings(&mut self, s: SettingsRec) -> Result<bool, String> {
        let grid = Grid::new(&s.time_zone, s.interval_minutes)?;
        let grid_changed = s.time_zone != self.settings.time_zone
            || s.interval_minutes != self.settings.interval_minutes;
        self.settings = s;
        self.grid = grid;
        Ok(grid_changed)
    }

    /// Buffer of an out-of-adherence type, in ms.
    #[inline]
    pub fn buffer(&self, ooo: usize) -> Millis {
        self.settings.buffers[ooo]
    }

    // ---- activities -----------------------------------------------------------------------

    /// Index of an activity id, interning an undefined placeholder if needed.
    pub fn intern_activity(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.activity_index.get(id) {
            return i;
        }
        let i = self.activities.len() as u32;
        self.activities.push(ActivitySlot {
            id: id.into(),
            name: Text::default(),
            activity_type: ActivityType::Presence,
            defined: false,
        });
        self.activity_index.insert(id.into(), i);
        i
    }

    pub fn activity_idx(&self, id: &str) -> Option<u32> {
        self.activity_index.get(id).copied()
    }

    pub fn define_activity(&mut self, id: &str, name: &str, t: ActivityType) -> u32 {
        let i = self.intern_activity(id);
        let slot = &mut self.activities[i as usize];
        slot.name = name.into();
        slot.activity_type = t;
        slot.defined = true;
        i
    }

    /// Deleting an activity record returns it to an undefined placeholder (activity 1 stays).
    pub fn undefine_activity(&mut self, id: &str) {
        if let Some(&i) = self.activity_index.get(id) {
            if i != PRESENT {
                let slot = &mut self.activities[i as usize];
                slot.defined = false;
                slot.activity_type = ActivityType::Presence;
            }
        }
    }

    #[inline]
    pub fn activity(&self, i: u32) -> &ActivitySlot {
        &self.activities[i as usize]
    }

    #[inline]
    pub fn activity_type(&self, i: u32) -> ActivityType {
        self.activities[i as usize].activity_type
    }

    // ---- integrations ---------------------------------------------------------------------

    pub fn integration_idx(&self, id: &str) -> Option<u32> {
        self.integration_index.get(id).copied()
    }

    pub fn integration(&self, i: u32) -> &IntegrationSlot {
        &self.integrations[i as usize]
    }

    /// Insert or update an integration; returns its index.
    pub fn upsert_integration(&mut self, rec: &IntegrationRec) -> u32 {
        let slot = IntegrationSlot {
            id: rec.id.as_str().into(),
            vendor: rec.vendor,
            name: rec.name.as_str().into(),
            paused: rec.paused,
            detailed_breaks: rec.detailed_breaks,
            fields: rec.fields.clone(),
            active: true,
        };
        if let Some(&i) = self.integration_index.get(rec.id.as_str()) {
            self.integrations[i as usize] = slot;
            return i;
        }
        let i = self.integrations.len() as u32;
        self.integrations.push(slot);
        self.integration_index.insert(rec.id.as_str().into(), i);
        self.status_index.push(AHashMap::new());
        i
    }

    /// Intern an integration id that is referenced (by a status or identifier record) before
    /// its own record arrives; inactive until then.
    pub fn intern_integration(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.integration_index.get(id) {
            return i;
        }
        let i = self.integrations.len() as u32;
        self.integrations.push(IntegrationSlot {
            id: id.into(),
            vendor: Vendor::Odigo,
            name: Box::from(""),
            paused: false,
            detailed_breaks: false,
            fields: None,
            active: false,
        });
        self.integration_index.insert(id.into(), i);
        self.status_index.push(AHashMap::new());
        i
    }

    pub fn deactivate_integration(&mut self, id: &str) -> Option<u32> {
        let i = *self.integration_index.get(id)?;
        self.integrations[i as usize].active = false;
        self.integrations[i as usize].paused = false;
        Some(i)
    }

    // ---- statuses -------------------------------------------------------------------------

    pub fn status_idx(&self, integration: u32, external: &str) -> Option<u32> {
        self.status_index[integration as usize]
            .get(external)
            .copied()
    }

    /// Status index for an external status seen in an event, interning it (unmapped) if new.
    pub fn intern_status(&mut self, integration: u32, external: &str, offline: bool) -> u32 {
        if let Some(&i) = self.status_index[integration as usize].get(external) {
            return i;
        }
        let i = self.statuses.len() as u32;
        self.statuses.push(StatusInfo {
            integration,
            external: external.into(),
            activity: None,
            offline,
        });
        self.status_index[integration as usize].insert(external.into(), i);
        i
    }

    /// A status named by a restored snapshot, interned (unmapped) if new, with the offline
    /// flag it had where the snapshot was written (fixed when a status is first seen, so it
    /// follows that engine's history).
    pub fn restore_status(&mut self, integration: u32, external: &str, offline: bool) -> u32 {
        let i = self.intern_status(integration, external, offline);
        self.statuses[i as usize].offline = offline;
        i
    }

    /// Map (or with `None`, unmap) an external status; returns its index.
    pub fn map_status(&mut self, integration: u32, external: &str, activity: Option<u32>) -> u32 {
        let offline =
            self.integrations[integration as usize].vendor == Vendor::Odigo && external == "LOGOUT";
        let i = self.intern_status(integration, external, offline);
        let was = self.statuses[i as usize].activity;
        self.statuses[i as usize].activity = activity;
        let key = near_key(integration, external);
        match (was.is_some(), activity.is_some()) {
            (false, true) => self.status_near.entry(key).or_default().push(i),
            (true, false) => {
                if let Some(v) = self.status_near.get_mut(&key) {
                    v.retain(|x| *x != i);
                }
            }
            _ => {}
        }
        i
    }

    /// Set a status's activity without touching the suggestion index; returns the previous
    /// one. For a recomputation's temporary restore of an old mapping (set back at once).
    pub fn set_status_activity(&mut self, i: u32, activity: Option<u32>) -> Option<u32> {
        std::mem::replace(&mut self.statuses[i as usize].activity, activity)
    }

    #[inline]
    pub fn status(&self, i: u32) -> &StatusInfo {
        &self.statuses[i as usize]
    }

    /// Mapped external statuses of an integration equal to `value` ignoring case and
    /// surrounding spaces (near-miss suggestions for an unmapped status).
    pub fn status_near_misses(&self, integration: u32, value: &str) -> Vec<String> {
        let norm = normalize(value);
        let mut out: Vec<String> = self
            .status_near
            .get(&near_key(integration, value))
            .map(|v| {
                v.iter()
                    .map(|i| &self.statuses[*i as usize])
                    .filter(|s| {
                        s.integration == integration
                            && s.activity.is_some()
                            && *s.external != *value
                            && normalize(&s.external) == norm
                    })
                    .map(|s| s.external.to_string())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    // ---- matches --------------------------------------------------------------------------

    pub fn upsert_match(&mut self, rec: &MatchRec) -> u32 {
        let scheduled = self.intern_activity(&rec.scheduled);
        let mut rule = MatchRule {
            actual: SmallVec::new(),
            offline: rec.offline,
            types: 0,
        };
        for a in &rec.actual {
            let i = self.intern_activity(a);
            rule.actual.push(i);
        }
        for t in &rec.types {
            rule.types |= t.bit();
        }
        if let Some((old, _)) = self
            .match_records
            .insert(rec.id.as_str().into(), (scheduled, rule))
        {
            self.rebuild_match(old);
        }
        self.rebuild_match(scheduled);
        scheduled
    }

    /// Remove a match record; returns the scheduled activity it was for.
    pub fn delete_match(&mut self, id: &str) -> Option<u32> {
        let (scheduled, _) = self.match_records.remove(id)?;
        self.rebuild_match(scheduled);
        Some(scheduled)
    }

    pub fn match_scheduled(&self, id: &str) -> Option<u32> {
        self.match_records.get(id).map(|(s, _)| *s)
    }

    fn rebuild_match(&mut self, scheduled: u32) {
        let mut merged: Option<MatchRule> = None;
        let mut ids: Vec<&Box<str>> = self
            .match_records
            .iter()
            .filter(|(_, (s, _))| *s == scheduled)
            .map(|(k, _)| k)
            .collect();
        ids.sort();
        for id in ids {
            let (_, r) = &self.match_records[id];
            let m = merged.get_or_insert_with(MatchRule::default);
            m.offline |= r.offline;
            m.types |= r.types;
            for a in &r.actual {
                if !m.actual.contains(a) {
                    m.actual.push(*a);
                }
            }
        }
        match merged {
            Some(m) => {
                self.matches.insert(scheduled, m);
            }
            None => {
                self.matches.remove(&scheduled);
            }
        }
    }

    #[inline]
    pub fn match_rule(&self, scheduled: u32) -> Option<&MatchRule> {
        if self.matches.is_empty() {
            return None;
        }
        self.matches.get(&scheduled)
    }
}

fn near_key(integration: u32, external: &str) -> u64 {
    crate::decode::stable_hash(&[&integration.to_le_bytes(), normalize(external).as_bytes()])
}

/// Case- and surrounding-space-insensitive form used for near-miss suggestions.
pub fn normalize(s: &str) -> String {
    s.trim().to_lowercase()
}
