//! The journal under `--state` (SQLite, `respond.sqlite`): each run with the state it recorded
//! and its plan, each step written before it runs and after; and the append-only audit log
//! (`respond-audit.jsonl`): every call, result and error, one JSON object per line.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use crate::RespondError;
use crate::call::Call;

/// A step's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Planned, not started.
    Planned,
    /// Started: the call may or may not have taken effect (the process stopped, or it failed).
    Started,
    /// Done.
    Done,
}

impl StepStatus {
    fn as_str(self) -> &'static str {
        match self {
            StepStatus::Planned => "planned",
            StepStatus::Started => "started",
            StepStatus::Done => "done",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "done" => StepStatus::Done,
            "started" => StepStatus::Started,
            _ => StepStatus::Planned,
        }
    }
}

/// A run as the journal holds it.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its id.
    pub id: i64,
    /// `contain`, `release`, `revoke`, `unrevoke`.
    pub command: String,
    /// Instance id or role name.
    pub target: String,
    /// What was recorded before it (an instance's [`crate::state::Recorded`], a user's
    /// [`crate::user::UserRecorded`]), as stored.
    pub recorded: Option<serde_json::Value>,
    /// When it finished (epoch ms), if it did.
    pub finished_ms: Option<i64>,
    /// `running`, `done`, `released`.
    pub status: String,
    /// Its steps, in order.
    pub steps: Vec<(Call, StepStatus)>,
}

impl Run {
    /// The recorded state as `T`.
    pub fn recorded_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, RespondError> {
        let value = self.recorded.clone().ok_or_else(|| {
            RespondError::Journal(format!("run {} has no recorded state", self.id))
        })?;
        serde_json::from_value(value).map_err(|e| {
            RespondError::Journal(format!("run {}: recorded state unreadable: {e}", self.id))
        })
    }
}

/// The journal and the audit log.
pub struct Journal {
    connection: Connection,
    audit: PathBuf,
}

fn store(path: &Path, e: impl std::fmt::Display) -> RespondError {
    RespondError::Journal(format!("{}: {e}", path.display()))
}

impl Journal {
    /// Opens (creating) the journal under `state`.
    pub fn open(state: &Path) -> Result<Self, RespondError> {
        std::fs::create_dir_all(state).map_err(|e| store(state, e))?;
        let path = state.join("respond.sqlite");
        let connection = Connection::open(&path).map_err(|e| store(&path, e))?;
        connection
            .execute_batch(
                "PRAGMA journal_mode=WAL;
                 CREATE TABLE IF NOT EXISTS runs(
                     id INTEGER PRIMARY KEY, command TEXT NOT NULL, target TEXT NOT NULL,
                     incident TEXT, recorded TEXT, status TEXT NOT NULL,
                     started_ms INTEGER NOT NULL, finished_ms INTEGER);
                 CREATE TABLE IF NOT EXISTS steps(
                     run INTEGER NOT NULL, seq INTEGER NOT NULL, call TEXT NOT NULL,
                     status TEXT NOT NULL, result TEXT, PRIMARY KEY(run, seq));",
            )
            .map_err(|e| store(&path, e))?;
        Ok(Self {
            connection,
            audit: state.join("respond-audit.jsonl"),
        })
    }

    fn error(&self, e: impl std::fmt::Display) -> RespondError {
        RespondError::Journal(format!("respond.sqlite: {e}"))
    }

    /// Appends one line to the audit log (never rewritten).
    pub fn audit(&self, entry: serde_json::Value) -> Result<(), RespondError> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.audit)
            .map_err(|e| store(&self.audit, e))?;
        let mut line = entry.to_string();
        line.push('\n');
        file.write_all(line.as_bytes())
            .and_then(|_| file.sync_data())
            .map_err(|e| store(&self.audit, e))
    }

    /// Records a new run with its plan, before any step runs.
    pub fn begin(
        &mut self,
        command: &str,
        target: &str,
        incident: Option<&str>,
        recorded: Option<&serde_json::Value>,
        plan: &[Call],
        now_ms: i64,
    ) -> Result<i64, RespondError> {
        let recorded = recorded.map(|r| r.to_string());
        let tx = self
            .connection
            .transaction()
            .map_err(|e| RespondError::Journal(e.to_string()))?;
        tx.execute(
            "INSERT INTO runs(command, target, incident, recorded, status, started_ms) VALUES (?1, ?2, ?3, ?4, 'running', ?5)",
            params![command, target, incident, recorded, now_ms],
        )
        .map_err(|e| RespondError::Journal(e.to_string()))?;
        let id = tx.last_insert_rowid();
        for (seq, call) in plan.iter().enumerate() {
            let text =
                serde_json::to_string(call).map_err(|e| RespondError::Journal(e.to_string()))?;
            tx.execute(
                "INSERT INTO steps(run, seq, call, status) VALUES (?1, ?2, ?3, 'planned')",
                params![id, seq as i64, text],
            )
            .map_err(|e| RespondError::Journal(e.to_string()))?;
        }
        tx.commit()
            .map_err(|e| RespondError::Journal(e.to_string()))?;
        self.audit(json!({"time_ms": now_ms, "run": id, "event": "plan", "command": command, "target": target, "steps": plan.len()}))?;
        Ok(id)
    }

    /// Marks a step.
    pub fn step(
        &self,
        run: i64,
        seq: usize,
        status: StepStatus,
        result: Option<&str>,
    ) -> Result<(), RespondError> {
        self.connection
            .execute(
                "UPDATE steps SET status = ?1, result = ?2 WHERE run = ?3 AND seq = ?4",
                params![status.as_str(), result, run, seq as i64],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// Sets a run's status (`done`, `released`, ...).
    pub fn finish(&self, run: i64, status: &str, now_ms: i64) -> Result<(), RespondError> {
        self.connection
            .execute(
                "UPDATE runs SET status = ?1, finished_ms = ?2 WHERE id = ?3",
                params![status, now_ms, run],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The latest run of `commands` for `target`.
    pub fn latest(&self, commands: &[&str], target: &str) -> Result<Option<Run>, RespondError> {
        // id, command, status, recorded state, finished.
        type Row = (i64, String, String, Option<String>, Option<i64>);
        let mut found: Option<Row> = None;
        for command in commands {
            let row = self
                .connection
                .query_row(
                    "SELECT id, command, status, recorded, finished_ms FROM runs WHERE command = ?1 AND target = ?2 ORDER BY id DESC LIMIT 1",
                    params![command, target],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()
                .map_err(|e| self.error(e))?;
            if let Some(row) = row
                && found.as_ref().is_none_or(|f| f.0 < row.0)
            {
                found = Some(row);
            }
        }
        let Some((id, command, status, recorded, finished_ms)) = found else {
            return Ok(None);
        };
        let recorded = recorded
            .map(|r| serde_json::from_str(&r))
            .transpose()
            .map_err(|e| self.error(format!("run {id}: recorded state unreadable: {e}")))?;
        let mut statement = self
            .connection
            .prepare("SELECT call, status FROM steps WHERE run = ?1 ORDER BY seq")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(params![id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.error(e))?;
        let mut steps = Vec::new();
        for row in rows {
            let (call, status) = row.map_err(|e| self.error(e))?;
            let call: Call = serde_json::from_str(&call)
                .map_err(|e| self.error(format!("run {id}: step unreadable: {e}")))?;
            steps.push((call, StepStatus::parse(&status)));
        }
        Ok(Some(Run {
            id,
            command,
            target: target.to_string(),
            recorded,
            finished_ms,
            status,
            steps,
        }))
    }
}
