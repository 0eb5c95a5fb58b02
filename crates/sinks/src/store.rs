//! The state's store of findings (`<state>/eastwest.sqlite`): what was reported, when, and how
//! often, so that a repeat is reported as an OCSF `Update` of the same uid instead of a new
//! alert.
//!
//! SQLite in WAL mode, so that a reader (the web UI, `sqlite3`) does not block a run; the schema
//! version is `PRAGMA user_version`, and a store written by a newer eastwest is refused rather
//! than misread.

use std::path::{Path, PathBuf};
use std::time::Duration;

use eastwest_model::{Finding, Severity, Status};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

/// The store's file name inside the state directory.
pub const FILE_NAME: &str = "eastwest.sqlite";

/// The schema this eastwest writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 3;

/// How long a run waits for another process's write to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Schema version 1.
const SCHEMA_V1: &str = "
CREATE TABLE findings (
    uid TEXT PRIMARY KEY NOT NULL,
    analytic TEXT NOT NULL,
    severity_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    first_reported_ms INTEGER NOT NULL,
    last_reported_ms INTEGER NOT NULL,
    times_reported INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX findings_last_seen ON findings (last_seen_ms DESC);
";

/// Schema version 2: incidents, each as its last OCSF Incident Finding.
const SCHEMA_V2: &str = "
CREATE TABLE incidents (
    uid TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    severity_id INTEGER NOT NULL,
    score INTEGER NOT NULL,
    patient_zero TEXT,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    first_reported_ms INTEGER NOT NULL,
    last_reported_ms INTEGER NOT NULL,
    times_reported INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX incidents_last_seen ON incidents (last_seen_ms DESC);
";

/// Schema version 3: suppressed findings, each with why, so that none is dropped unseen.
const SCHEMA_V3: &str = "
CREATE TABLE suppressed (
    uid TEXT PRIMARY KEY NOT NULL,
    analytic TEXT NOT NULL,
    title TEXT NOT NULL,
    reason TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    last_reported_ms INTEGER NOT NULL,
    times_suppressed INTEGER NOT NULL,
    json TEXT NOT NULL
);
";

/// What went wrong with the store. The underlying I/O or SQLite error is the `source()`, not
/// repeated in the message, so that a chain printer (`anyhow`'s `{:#}`) shows it once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The state directory could not be created.
    #[error("cannot create the state directory {path}")]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is there but is not a SQLite database (or is damaged).
    #[error(
        "{path} is not a readable eastwest store (not a SQLite database, or damaged): move it away and run again"
    )]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// SQLite's own words.
        source: rusqlite::Error,
    },
    /// The store was written by a newer eastwest.
    #[error(
        "{path} has schema version {found}; this eastwest reads up to {supported}: upgrade eastwest or use another --state"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest this build reads.
        supported: i64,
    },
    /// A row holds what this schema does not allow (edited by hand, say).
    #[error("{path}: finding {uid}: {what}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// The finding's uid.
        uid: String,
        /// What is wrong.
        what: String,
    },
    /// Any other SQLite failure (locked beyond the timeout, disk full, read-only).
    #[error("cannot use the store {path}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

/// What [`Store::record`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordSummary {
    /// Findings reported for the first time.
    pub new: u64,
    /// Findings reported before, now marked [`Status::Update`].
    pub updated: u64,
}

/// One finding as the store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// Its stable uid.
    pub uid: String,
    /// The detector or check.
    pub analytic: String,
    /// Its severity when last reported.
    pub severity: Severity,
    /// Its title when last reported.
    pub title: String,
    /// Earliest evidence over every report, epoch ms.
    pub first_seen_ms: i64,
    /// Latest evidence over every report, epoch ms.
    pub last_seen_ms: i64,
    /// When it was first reported, epoch ms.
    pub first_reported_ms: i64,
    /// When it was last reported, epoch ms.
    pub last_reported_ms: i64,
    /// How many runs reported it.
    pub times_reported: u64,
    /// Its last report as an OCSF event (JSON text).
    pub json: String,
}

/// A suppressed finding as the store lists it: uid, detector, title, reason, last seen (epoch
/// ms), how many runs suppressed it.
pub type SuppressedRow = (String, String, String, String, i64, i64);

/// One incident as the store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIncident {
    /// Its stable uid.
    pub uid: String,
    /// Its title when last reported.
    pub title: String,
    /// OCSF severity id, 1-5.
    pub severity_id: i64,
    /// Score, 0-100.
    pub score: i64,
    /// Patient zero's key, when known.
    pub patient_zero: Option<String>,
    /// Earliest evidence over every report, epoch ms.
    pub first_seen_ms: i64,
    /// Latest evidence over every report, epoch ms.
    pub last_seen_ms: i64,
    /// How many runs reported it.
    pub times_reported: i64,
    /// Its last report as an OCSF Incident Finding (JSON text).
    pub json: String,
}

/// The state's store of findings.
#[derive(Debug)]
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens `<state_dir>/eastwest.sqlite`, creating the directory and the store when they are
    /// missing and bringing an older schema up to date.
    pub fn open(state_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(state_dir).map_err(|source| StoreError::CreateDirectory {
            path: state_dir.to_path_buf(),
            source,
        })?;
        let path = state_dir.join(FILE_NAME);
        let connection = Connection::open(&path).map_err(|e| classify(&path, e))?;
        let mut store = Store { connection, path };
        store.prepare()?;
        Ok(store)
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Settings and schema. SQLite reads the file lazily, so a file that is not a database is
    /// found here, by the first statement.
    fn prepare(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let fail = |e| classify(&path, e);
        self.connection.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        let version: i64 = self
            .connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(fail)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path,
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        // WAL lets readers go on while a run writes; the mode is kept in the file.
        let _mode: String = self
            .connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(fail)?;
        if version < SCHEMA_VERSION {
            let transaction = self.connection.transaction().map_err(fail)?;
            if version < 1 {
                transaction.execute_batch(SCHEMA_V1).map_err(fail)?;
            }
            if version < 2 {
                transaction.execute_batch(SCHEMA_V2).map_err(fail)?;
            }
            if version < 3 {
                transaction.execute_batch(SCHEMA_V3).map_err(fail)?;
            }
            transaction
                .pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(fail)?;
            transaction.commit().map_err(fail)?;
        }
        Ok(())
    }

    /// Records one run's findings, in one transaction. A finding whose uid is already stored
    /// becomes [`Status::Update`], and its first and last seen times widen to cover every
    /// report (on the finding too, so that what is written shows the whole span); a new one
    /// stays [`Status::New`]. `now_ms` is the report's time.
    pub fn record(
        &mut self,
        findings: &mut [Finding],
        now_ms: i64,
    ) -> Result<RecordSummary, StoreError> {
        let path = self.path.clone();
        let fail = |e| classify(&path, e);
        let mut summary = RecordSummary::default();
        let transaction = self.connection.transaction().map_err(fail)?;
        {
            let mut select = transaction
                .prepare_cached("SELECT first_seen_ms, last_seen_ms FROM findings WHERE uid = ?1")
                .map_err(fail)?;
            let mut insert = transaction
                .prepare_cached(
                    "INSERT INTO findings (uid, analytic, severity_id, title, first_seen_ms, \
                     last_seen_ms, first_reported_ms, last_reported_ms, times_reported, json) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1, ?8)",
                )
                .map_err(fail)?;
            let mut update = transaction
                .prepare_cached(
                    "UPDATE findings SET analytic = ?2, severity_id = ?3, title = ?4, \
                     first_seen_ms = ?5, last_seen_ms = ?6, last_reported_ms = ?7, \
                     times_reported = times_reported + 1, json = ?8 WHERE uid = ?1",
                )
                .map_err(fail)?;
            for finding in findings.iter_mut() {
                let known: Option<(i64, i64)> = select
                    .query_row(params![finding.uid], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
                    .map_err(fail)?;
                let statement = match known {
                    Some((first, last)) => {
                        finding.status = Status::Update;
                        finding.first_seen_ms = finding.first_seen_ms.min(first);
                        finding.last_seen_ms = finding.last_seen_ms.max(last);
                        summary.updated += 1;
                        &mut update
                    }
                    None => {
                        finding.status = Status::New;
                        summary.new += 1;
                        &mut insert
                    }
                };
                let json = crate::ocsf::ocsf(finding, now_ms).to_string();
                statement
                    .execute(params![
                        finding.uid,
                        finding.analytic,
                        finding.severity.id(),
                        finding.title,
                        finding.first_seen_ms,
                        finding.last_seen_ms,
                        now_ms,
                        json,
                    ])
                    .map_err(fail)?;
            }
        }
        transaction.commit().map_err(fail)?;
        Ok(summary)
    }

    /// Records one run's incidents as OCSF Incident Findings (`members`: the run's findings),
    /// in one transaction; returns each incident's status (an uid stored before is an update).
    pub fn record_incidents(
        &mut self,
        incidents: &[eastwest_correlate::Incident],
        members: &[Finding],
        now_ms: i64,
    ) -> Result<Vec<Status>, StoreError> {
        let path = self.path.clone();
        let fail = |e| classify(&path, e);
        let mut statuses = Vec::with_capacity(incidents.len());
        let transaction = self.connection.transaction().map_err(fail)?;
        {
            let mut select = transaction
                .prepare_cached("SELECT first_seen_ms FROM incidents WHERE uid = ?1")
                .map_err(fail)?;
            let mut upsert = transaction
                .prepare_cached(
                    "INSERT INTO incidents (uid, title, severity_id, score, patient_zero, \
                     first_seen_ms, last_seen_ms, first_reported_ms, last_reported_ms, \
                     times_reported, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 1, ?9) \
                     ON CONFLICT(uid) DO UPDATE SET title = ?2, severity_id = ?3, score = ?4, \
                     patient_zero = ?5, first_seen_ms = min(first_seen_ms, ?6), \
                     last_seen_ms = max(last_seen_ms, ?7), last_reported_ms = ?8, \
                     times_reported = times_reported + 1, json = ?9",
                )
                .map_err(fail)?;
            for incident in incidents {
                let known: Option<i64> = select
                    .query_row(params![incident.uid], |row| row.get(0))
                    .optional()
                    .map_err(fail)?;
                let status = if known.is_some() {
                    Status::Update
                } else {
                    Status::New
                };
                let json = crate::ocsf::incident(incident, members, status, now_ms).to_string();
                upsert
                    .execute(params![
                        incident.uid,
                        incident.title,
                        incident.severity.id(),
                        incident.score,
                        incident.patient_zero,
                        incident.first_seen_ms,
                        incident.last_seen_ms,
                        now_ms,
                        json,
                    ])
                    .map_err(fail)?;
                statuses.push(status);
            }
        }
        transaction.commit().map_err(fail)?;
        Ok(statuses)
    }

    /// Records the findings a run suppressed, each with its reason (a repeat counts again).
    pub fn record_suppressed(
        &mut self,
        suppressed: &[(&Finding, &str)],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let fail = |e| classify(&path, e);
        let transaction = self.connection.transaction().map_err(fail)?;
        {
            let mut upsert = transaction
                .prepare_cached(
                    "INSERT INTO suppressed (uid, analytic, title, reason, first_seen_ms, \
                     last_seen_ms, last_reported_ms, times_suppressed, json) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8) \
                     ON CONFLICT(uid) DO UPDATE SET title = ?3, reason = ?4, \
                     first_seen_ms = min(first_seen_ms, ?5), last_seen_ms = max(last_seen_ms, ?6), \
                     last_reported_ms = ?7, times_suppressed = times_suppressed + 1, json = ?8",
                )
                .map_err(fail)?;
            for (finding, reason) in suppressed {
                let json = crate::ocsf::ocsf(finding, now_ms).to_string();
                upsert
                    .execute(params![
                        finding.uid,
                        finding.analytic,
                        finding.title,
                        reason,
                        finding.first_seen_ms,
                        finding.last_seen_ms,
                        now_ms,
                        json,
                    ])
                    .map_err(fail)?;
            }
        }
        transaction.commit().map_err(fail)
    }

    /// Every suppressed finding as (uid, detector, title, reason, last seen ms, times), the most
    /// recent first.
    pub fn suppressed(&self) -> Result<Vec<SuppressedRow>, StoreError> {
        let fail = |e| classify(&self.path, e);
        let mut statement = self
            .connection
            .prepare(
                "SELECT uid, analytic, title, reason, last_seen_ms, times_suppressed \
                 FROM suppressed ORDER BY last_seen_ms DESC, uid",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                ))
            })
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    /// Every stored incident as (uid, title, times reported, its last OCSF Incident Finding as
    /// JSON text), the highest score first, then the most recent.
    pub fn incidents(&self) -> Result<Vec<StoredIncident>, StoreError> {
        let fail = |e| classify(&self.path, e);
        let mut statement = self
            .connection
            .prepare(
                "SELECT uid, title, severity_id, score, patient_zero, first_seen_ms, \
                 last_seen_ms, times_reported, json FROM incidents \
                 ORDER BY score DESC, last_seen_ms DESC, uid",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                Ok(StoredIncident {
                    uid: row.get(0)?,
                    title: row.get(1)?,
                    severity_id: row.get(2)?,
                    score: row.get(3)?,
                    patient_zero: row.get(4)?,
                    first_seen_ms: row.get(5)?,
                    last_seen_ms: row.get(6)?,
                    times_reported: row.get(7)?,
                    json: row.get(8)?,
                })
            })
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    /// Every stored finding, the most recently seen first.
    pub fn findings(&self) -> Result<Vec<StoredFinding>, StoreError> {
        let fail = |e| classify(&self.path, e);
        let mut statement = self
            .connection
            .prepare(
                "SELECT uid, analytic, severity_id, title, first_seen_ms, last_seen_ms, \
                 first_reported_ms, last_reported_ms, times_reported, json FROM findings \
                 ORDER BY last_seen_ms DESC, uid",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    [row.get::<_, i64>(4)?, row.get(5)?, row.get(6)?, row.get(7)?],
                    row.get::<_, i64>(8)?,
                    row.get::<_, String>(9)?,
                ))
            })
            .map_err(fail)?;
        let mut out = Vec::new();
        for row in rows {
            let (uid, analytic, severity_id, title, times, reported, json) = row.map_err(fail)?;
            let bad = |what: String| StoreError::BadRow {
                path: self.path.clone(),
                uid: uid.clone(),
                what,
            };
            let severity = Severity::parse(&severity_id.to_string())
                .ok_or_else(|| bad(format!("severity_id {severity_id} is not 1-5")))?;
            let times_reported = u64::try_from(reported)
                .map_err(|_| bad(format!("times_reported {reported} is negative")))?;
            let [
                first_seen_ms,
                last_seen_ms,
                first_reported_ms,
                last_reported_ms,
            ] = times;
            out.push(StoredFinding {
                uid,
                analytic,
                severity,
                title,
                first_seen_ms,
                last_seen_ms,
                first_reported_ms,
                last_reported_ms,
                times_reported,
                json,
            });
        }
        Ok(out)
    }
}

/// A SQLite error as a store error: "not a database" and "damaged" are told apart from the rest
/// because the user's fix differs.
fn classify(path: &Path, error: rusqlite::Error) -> StoreError {
    let code = match &error {
        rusqlite::Error::SqliteFailure(e, _) => Some(e.code),
        _ => None,
    };
    match code {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::NotAStore {
            path: path.to_path_buf(),
            source: error,
        },
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            source: error,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{compliance_finding, detection_finding};

    #[test]
    fn a_repeat_is_an_update_with_the_widened_span() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = dir.path().join("state/nested");
        let mut store = Store::open(&state).expect("opens");
        assert!(state.join(FILE_NAME).is_file());
        let mut first = vec![detection_finding(), compliance_finding()];
        let summary = store.record(&mut first, 1_000).expect("recorded");
        assert_eq!(summary, RecordSummary { new: 2, updated: 0 });
        assert!(first.iter().all(|f| f.status == Status::New));

        let mut again = detection_finding();
        again.first_seen_ms += 10_000;
        again.last_seen_ms += 10_000;
        let mut second = vec![again];
        let summary = store.record(&mut second, 2_000).expect("recorded");
        assert_eq!(summary, RecordSummary { new: 0, updated: 1 });
        assert_eq!(second[0].status, Status::Update);
        assert_eq!(second[0].first_seen_ms, 1_700_000_000_000, "widened");
        assert_eq!(second[0].last_seen_ms, 1_700_000_010_400);

        let stored = store.findings().expect("read");
        assert_eq!(stored.len(), 2);
        let scan = &stored[0];
        assert_eq!(
            scan.uid, "0123456789abcdef0123456789abcdef",
            "last seen first"
        );
        assert_eq!(scan.times_reported, 2);
        assert_eq!(scan.first_reported_ms, 1_000);
        assert_eq!(scan.last_reported_ms, 2_000);
        assert_eq!(scan.severity, Severity::High);
        let json: serde_json::Value = serde_json::from_str(&scan.json).expect("json");
        assert_eq!(json["type_uid"], 200402);
        assert_eq!(stored[1].times_reported, 1);
    }

    #[test]
    fn reopening_keeps_what_was_recorded() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let mut store = Store::open(dir.path()).expect("opens");
            store
                .record(&mut [compliance_finding()], 5)
                .expect("recorded");
        }
        let mut store = Store::open(dir.path()).expect("reopens");
        assert_eq!(store.findings().expect("read").len(), 1);
        let mut repeat = [compliance_finding()];
        store.record(&mut repeat, 6).expect("recorded");
        assert_eq!(repeat[0].status, Status::Update);
        let mode: String = store
            .connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
    }

    #[test]
    fn the_same_uid_twice_in_one_run_is_new_then_update() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(dir.path()).expect("opens");
        let mut run = [detection_finding(), detection_finding()];
        let summary = store.record(&mut run, 1).expect("recorded");
        assert_eq!(summary, RecordSummary { new: 1, updated: 1 });
        assert_eq!(store.findings().expect("read")[0].times_reported, 2);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(FILE_NAME),
            b"these are not the bytes of SQLite\n".repeat(200),
        )
        .expect("written");
        let error = Store::open(dir.path()).expect_err("refused");
        assert!(matches!(error, StoreError::NotAStore { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains("eastwest.sqlite") && message.contains("move it away"),
            "{message}"
        );
    }

    #[test]
    fn a_newer_schema_is_refused_and_a_bad_row_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("opens");
        store
            .connection
            .execute(
                "INSERT INTO findings VALUES ('u', 'a', 9, 't', 0, 0, 0, 0, 1, '{}')",
                [],
            )
            .expect("inserted");
        let error = store.findings().expect_err("bad severity");
        assert!(error.to_string().contains("severity_id 9"), "{error}");
        store
            .connection
            .pragma_update(None, "user_version", 7)
            .expect("set");
        drop(store);
        let error = Store::open(dir.path()).expect_err("newer");
        assert!(
            matches!(
                error,
                StoreError::NewerSchema {
                    found: 7,
                    supported: SCHEMA_VERSION,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_state_path_that_is_a_file_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("plain");
        std::fs::write(&file, b"x").expect("written");
        let error = Store::open(&file).expect_err("not a directory");
        assert!(
            matches!(error, StoreError::CreateDirectory { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_version_1_store_gains_incidents_and_an_incident_is_updated_not_renewed() {
        let dir = tempfile::tempdir().expect("dir");
        {
            let connection = Connection::open(dir.path().join(FILE_NAME)).expect("db");
            connection.execute_batch(SCHEMA_V1).expect("v1");
            connection
                .pragma_update(None, "user_version", 1)
                .expect("version");
        }
        let mut store = Store::open(dir.path()).expect("upgraded");
        let incident = eastwest_correlate::Incident {
            uid: "inc-1".into(),
            title: "Intrusion from web-1".into(),
            patient_zero: Some("i-web".into()),
            hosts: Vec::new(),
            hops: Vec::new(),
            members: Vec::new(),
            first_seen_ms: 10,
            last_seen_ms: 20,
            severity: Severity::High,
            confidence: 80,
            score: 60,
            stages: vec!["reconnaissance".into()],
            attacks: Vec::new(),
            contain: vec!["i-web".into()],
            revoke: Vec::new(),
            commands: Vec::new(),
            story: Vec::new(),
        };
        let first = store
            .record_incidents(std::slice::from_ref(&incident), &[], 100)
            .expect("recorded");
        assert_eq!(first, [Status::New]);
        let later = eastwest_correlate::Incident {
            last_seen_ms: 30,
            ..incident
        };
        let second = store
            .record_incidents(std::slice::from_ref(&later), &[], 200)
            .expect("recorded");
        assert_eq!(second, [Status::Update]);
        let stored = store.incidents().expect("read");
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].times_reported, 2);
        assert_eq!((stored[0].first_seen_ms, stored[0].last_seen_ms), (10, 30));
        let json: serde_json::Value = serde_json::from_str(&stored[0].json).expect("json");
        assert_eq!(json["class_uid"], 2005);
        assert_eq!(json["activity_id"], 2);
    }
}
