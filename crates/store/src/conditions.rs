//! Conditions (seed 003's `condition`): a call reaching one goes to
//! `match_destination` when it holds and to `nomatch_destination` when not.
//!
//! * `time`: the local time in `time_zone` (an IANA name such as
//!   `America/New_York`, so daylight saving is followed) is in
//!   `start_time..end_time` (`HH:MM`, end excluded; a window whose end is
//!   earlier than its start runs past midnight and belongs to the day it
//!   starts; equal times mean the whole day), on one of `weekdays`
//!   (`mon,tue,…`; '' = every day).
//! * `callerid`: the caller's digits equal one of the comma-separated
//!   `callerid_pattern`s, or start with it when it ends in `*`.
//!
//! `matches` evaluates a condition, so the switch and the API agree on
//! what the fields mean.

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, clock};

/// What a condition tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionKind {
    Time,
    CallerId,
}

impl ConditionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionKind::Time => "time",
            ConditionKind::CallerId => "callerid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "time" => Some(ConditionKind::Time),
            "callerid" => Some(ConditionKind::CallerId),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionRow {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub kind: ConditionKind,
    pub time_zone: String,
    pub weekdays: String,
    pub start_time: String,
    pub end_time: String,
    pub callerid_pattern: String,
    pub match_destination: String,
    pub nomatch_destination: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A condition to create, or the whole new content of one.
#[derive(Debug, Clone)]
pub struct NewCondition {
    pub name: String,
    pub kind: ConditionKind,
    pub time_zone: String,
    pub weekdays: String,
    pub start_time: String,
    pub end_time: String,
    pub callerid_pattern: String,
    pub match_destination: String,
    pub nomatch_destination: String,
}

/// The time zone named `name` (IANA, case as in the database: `Europe/Paris`, `UTC`).
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// `mon,tue,…` (any order, no repeats) as weekdays; `Some(vec![])` for ''
/// (every day); `None` when malformed.
pub fn parse_weekdays(list: &str) -> Option<Vec<Weekday>> {
    if list.is_empty() {
        return Some(Vec::new());
    }
    let mut days = Vec::new();
    for part in list.split(',') {
        let day = match part {
            "mon" => Weekday::Mon,
            "tue" => Weekday::Tue,
            "wed" => Weekday::Wed,
            "thu" => Weekday::Thu,
            "fri" => Weekday::Fri,
            "sat" => Weekday::Sat,
            "sun" => Weekday::Sun,
            _ => return None,
        };
        if days.contains(&day) {
            return None;
        }
        days.push(day);
    }
    Some(days)
}

/// `HH:MM` on a 24-hour clock, two digits each.
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// Whether `pattern` is a comma-separated list of 1 to 32 digits, each
/// optionally ending in `*`.
pub fn valid_callerid_pattern(pattern: &str) -> bool {
    !pattern.is_empty()
        && pattern.split(',').all(|p| {
            let digits = p.strip_suffix('*').unwrap_or(p);
            (1..=32).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        })
}

impl ConditionRow {
    /// Whether the condition holds for a call from `caller` at `now`. A
    /// condition whose fields do not parse never holds.
    pub fn matches(&self, now: DateTime<Utc>, caller: &str) -> bool {
        match self.kind {
            ConditionKind::Time => self.time_matches(now),
            ConditionKind::CallerId => {
                let digits: String = caller.chars().filter(char::is_ascii_digit).collect();
                !digits.is_empty()
                    && self.callerid_pattern.split(',').any(|p| match p.strip_suffix('*') {
                        Some(prefix) => !prefix.is_empty() && digits.starts_with(prefix),
                        None => !p.is_empty() && digits == p,
                    })
            }
        }
    }

    fn time_matches(&self, now: DateTime<Utc>) -> bool {
        let (Some(tz), Some(days), Some(start), Some(end)) = (
            parse_time_zone(&self.time_zone),
            parse_weekdays(&self.weekdays),
            parse_hhmm(&self.start_time),
            parse_hhmm(&self.end_time),
        ) else {
            return false;
        };
        let local = now.with_timezone(&tz);
        let t = NaiveTime::from_hms_opt(local.hour(), local.minute(), local.second()).unwrap_or_default();
        let today = local.weekday();
        let on = |day: Weekday| days.is_empty() || days.contains(&day);
        if start == end {
            on(today)
        } else if start < end {
            start <= t && t < end && on(today)
        } else {
            // Past midnight: the early hours belong to yesterday's window.
            (t >= start && on(today)) || (t < end && on(today.pred()))
        }
    }
}

const SELECT: &str = "SELECT id, tenant_id, name, kind, time_zone, weekdays, start_time, end_time, callerid_pattern, \
     match_destination, nomatch_destination, created_at, updated_at FROM conditions";

fn condition(row: &AnyRow) -> Result<ConditionRow, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(ConditionRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        kind: ConditionKind::parse(&kind).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(format!("unknown condition kind {kind:?}").into()))
        })?,
        time_zone: row.try_get("time_zone")?,
        weekdays: row.try_get("weekdays")?,
        start_time: row.try_get("start_time")?,
        end_time: row.try_get("end_time")?,
        callerid_pattern: row.try_get("callerid_pattern")?,
        match_destination: row.try_get("match_destination")?,
        nomatch_destination: row.try_get("nomatch_destination")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    pub async fn create_condition(&self, tenant_id: i64, new: &NewCondition) -> Result<ConditionRow, StoreError> {
        let now = clock::now();
        let row = sqlx::query(
            "INSERT INTO conditions (tenant_id, name, kind, time_zone, weekdays, start_time, end_time, \
             callerid_pattern, match_destination, nomatch_destination, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(tenant_id)
        .bind(&new.name)
        .bind(new.kind.as_str())
        .bind(&new.time_zone)
        .bind(&new.weekdays)
        .bind(&new.start_time)
        .bind(&new.end_time)
        .bind(&new.callerid_pattern)
        .bind(&new.match_destination)
        .bind(&new.nomatch_destination)
        .bind(&now)
        .bind(&now)
        .fetch_one(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        let id: i64 = row.try_get("id")?;
        self.condition(tenant_id, id).await?.ok_or(StoreError::Conflict)
    }

    /// One condition of `tenant_id`.
    pub async fn condition(&self, tenant_id: i64, id: i64) -> Result<Option<ConditionRow>, StoreError> {
        Ok(self.condition_any_tenant(id).await?.filter(|c| c.tenant_id == tenant_id))
    }

    /// One condition, whatever its tenant.
    pub async fn condition_any_tenant(&self, id: i64) -> Result<Option<ConditionRow>, StoreError> {
        let row =
            sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(condition).transpose()
    }

    /// The conditions of `tenant_id`, by id.
    pub async fn conditions(&self, tenant_id: i64) -> Result<Vec<ConditionRow>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE tenant_id = $1 ORDER BY id")))
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(condition).collect()
    }

    /// Replaces a condition; `None` when the tenant has no such condition.
    pub async fn update_condition(
        &self,
        tenant_id: i64,
        id: i64,
        new: &NewCondition,
    ) -> Result<Option<ConditionRow>, StoreError> {
        let done = sqlx::query(
            "UPDATE conditions SET name = $1, kind = $2, time_zone = $3, weekdays = $4, start_time = $5, \
             end_time = $6, callerid_pattern = $7, match_destination = $8, nomatch_destination = $9, \
             updated_at = $10 WHERE id = $11 AND tenant_id = $12",
        )
        .bind(&new.name)
        .bind(new.kind.as_str())
        .bind(&new.time_zone)
        .bind(&new.weekdays)
        .bind(&new.start_time)
        .bind(&new.end_time)
        .bind(&new.callerid_pattern)
        .bind(&new.match_destination)
        .bind(&new.nomatch_destination)
        .bind(clock::now())
        .bind(id)
        .bind(tenant_id)
        .execute(self.pool())
        .await
        .map_err(StoreError::from_write)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.condition(tenant_id, id).await
    }

    /// Deletes a condition; whether it existed in the tenant.
    pub async fn delete_condition(&self, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM conditions WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn time_condition(tz: &str, weekdays: &str, start: &str, end: &str) -> ConditionRow {
        ConditionRow {
            id: 1,
            tenant_id: 1,
            name: "office hours".into(),
            kind: ConditionKind::Time,
            time_zone: tz.into(),
            weekdays: weekdays.into(),
            start_time: start.into(),
            end_time: end.into(),
            callerid_pattern: String::new(),
            match_destination: "extension:1".into(),
            nomatch_destination: "voicemail:1".into(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn office_hours_follow_the_local_clock_and_daylight_saving() {
        let c = time_condition("America/New_York", "mon,tue,wed,thu,fri", "09:00", "17:00");
        // Monday 2026-01-05, EST (UTC-5): 09:00 local is 14:00 UTC.
        assert!(!c.matches(utc(2026, 1, 5, 13, 59), ""));
        assert!(c.matches(utc(2026, 1, 5, 14, 0), ""));
        assert!(c.matches(utc(2026, 1, 5, 21, 59), ""));
        assert!(!c.matches(utc(2026, 1, 5, 22, 0), ""), "17:00 is outside");
        // Monday 2026-07-06, EDT (UTC-4): 09:00 local is 13:00 UTC.
        assert!(c.matches(utc(2026, 7, 6, 13, 0), ""));
        // Saturday 2026-01-10 at noon local.
        assert!(!c.matches(utc(2026, 1, 10, 17, 0), ""));
    }

    #[test]
    fn a_night_window_runs_past_midnight_on_the_day_it_starts() {
        let c = time_condition("UTC", "fri", "22:00", "06:00");
        // Friday 2026-01-09 23:00 and Saturday 05:59 are in; Saturday 22:00 is not.
        assert!(c.matches(utc(2026, 1, 9, 23, 0), ""));
        assert!(c.matches(utc(2026, 1, 10, 5, 59), ""));
        assert!(!c.matches(utc(2026, 1, 10, 6, 0), ""));
        assert!(!c.matches(utc(2026, 1, 10, 22, 0), ""));
        assert!(!c.matches(utc(2026, 1, 9, 5, 0), ""), "Friday's early hours belong to Thursday");
        let all_day = time_condition("Europe/Paris", "", "00:00", "00:00");
        assert!(all_day.matches(utc(2026, 3, 1, 12, 0), ""));
    }

    #[test]
    fn caller_id_patterns_match_exactly_or_by_prefix() {
        let mut c = time_condition("UTC", "", "", "");
        c.kind = ConditionKind::CallerId;
        c.callerid_pattern = "5146349955,1514*".into();
        assert!(c.matches(utc(2026, 1, 1, 0, 0), "5146349955"));
        assert!(c.matches(utc(2026, 1, 1, 0, 0), "+1 (514) 555-0000"));
        assert!(!c.matches(utc(2026, 1, 1, 0, 0), "51463499551"));
        assert!(!c.matches(utc(2026, 1, 1, 0, 0), "anonymous"));
    }

    #[test]
    fn malformed_fields_are_refused_and_never_match() {
        assert!(parse_time_zone("America/New_York").is_some());
        assert!(parse_time_zone("Mars/Olympus").is_none());
        assert_eq!(parse_weekdays("mon,fri"), Some(vec![Weekday::Mon, Weekday::Fri]));
        for bad in ["mon,mon", "monday", "mon,", " mon"] {
            assert_eq!(parse_weekdays(bad), None, "{bad:?}");
        }
        assert!(parse_hhmm("23:59").is_some());
        for bad in ["24:00", "9:00", "09:60", "0900", "09:00:00"] {
            assert!(parse_hhmm(bad).is_none(), "{bad:?}");
        }
        assert!(valid_callerid_pattern("514*,5551234"));
        for bad in ["", "*", "514**", "51a", "514,"] {
            assert!(!valid_callerid_pattern(bad), "{bad:?}");
        }
        assert!(!time_condition("Nowhere", "", "09:00", "17:00").matches(utc(2026, 1, 5, 12, 0), ""));
    }
}
