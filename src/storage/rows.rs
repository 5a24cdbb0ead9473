//! Many rows handed to one statement as parameters, so that a batched statement keeps one text
//! whatever the number of rows: the driver prepares it once per connection (its statement
//! cache is keyed by the text) and the server parses it once, where `IN ($1, $2, …)` lists made
//! a new statement for every batch size and pushed the everyday statements out of the cache.
//!
//! On PostgreSQL each column travels as one array (`unnest`), written as an array literal
//! (`{1,2}`, `{"a",NULL}`) and cast to its type by the statement; on SQLite, which has no
//! arrays, the rows travel as one JSON array of objects (`jsonb_each`). Arrays cost PostgreSQL
//! less than JSON (`json_to_recordset`): a write of a batch ~10 % less, and a read by id
//! (`= ANY`) gets the index plan that a semi join against a set-returning function did not,
//! ~25 % less (`benches/gate_sql/run.sh` measures both forms).
use std::fmt::Write as _;

use sea_orm::{DbBackend, Value};

/// The SQL type of a column of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    BigInt,
    Integer,
    Text,
}

impl ColumnType {
    fn array_sql(self) -> &'static str {
        match self {
            ColumnType::BigInt => "bigint[]",
            ColumnType::Integer => "integer[]",
            ColumnType::Text => "text[]",
        }
    }
}

/// A column: its name (a plain identifier: it is spliced into the statement) and type.
pub type Column = (&'static str, ColumnType);

/// How many parameters the rows of `columns` take (one per column on PostgreSQL, one in all
/// on SQLite).
pub fn params_for(backend: DbBackend, columns: &[Column]) -> usize {
    match backend {
        DbBackend::Postgres => columns.len(),
        _ => 1,
    }
}

/// A `FROM` item aliased `alias` with the given columns plus `n`, the row's position (0-based
/// on SQLite, 1-based on PostgreSQL: use it to order, not to count), reading the rows from the
/// parameters `$first`… ([`params_for`] of them), filled by [`Rows`].
pub fn from(backend: DbBackend, first: usize, alias: &str, columns: &[Column]) -> String {
    match backend {
        DbBackend::Postgres => {
            let arrays: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, (_, ty))| format!("CAST(${} AS {})", first + i, ty.array_sql()))
                .collect();
            let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
            format!(
                "unnest({}) WITH ORDINALITY AS {alias}({}, n)",
                arrays.join(", "),
                names.join(", ")
            )
        }
        _ => {
            let picks: Vec<String> = columns
                .iter()
                .map(|(name, _)| format!(", j.value ->> '{name}' AS {name}"))
                .collect();
            // jsonb_each hands each row over in SQLite's binary JSON, so picking a column
            // does not parse the row's text again (json_each made every `->>` re-parse it).
            format!(
                "(SELECT j.key AS n{} FROM jsonb_each(${first}) AS j) AS {alias}",
                picks.concat()
            )
        }
    }
}

/// `expr` is one of the values of the one-column rows in `$param` (a `WHERE` condition):
/// `= ANY` on PostgreSQL, whose planner then reads by index, `IN` over [`from`] on SQLite.
///
/// On PostgreSQL the array is cast in a sub-select of its own, which runs once: cast in place,
/// a plan that scans the table (a fresh table without statistics) parsed the whole array
/// again for every row it looked at.
pub fn any_of(backend: DbBackend, expr: &str, param: usize, column: Column) -> String {
    match backend {
        DbBackend::Postgres => {
            // (The outer cast keeps the sub-select an expression: `ANY (SELECT …)` would
            // compare with each row of it.)
            let array = column.1.array_sql();
            format!("{expr} = ANY(CAST((SELECT CAST(${param} AS {array})) AS {array}))")
        }
        _ => format!(
            "{expr} IN (SELECT d.{name} FROM {})",
            from(backend, param, "d", &[column]),
            name = column.0
        ),
    }
}

/// The parameters for [`from`]: push each row's cells in column order, then
/// [`Rows::into_values`].
pub struct Rows {
    columns: &'static [Column],
    /// PostgreSQL: one array literal per column, so far.
    arrays: Vec<String>,
    /// SQLite: the JSON text so far.
    json: String,
    postgres: bool,
    /// The next cell's column.
    at: usize,
}

impl Rows {
    pub fn new(backend: DbBackend, columns: &'static [Column], capacity: usize) -> Self {
        let postgres = backend == DbBackend::Postgres;
        Self {
            columns,
            arrays: if postgres {
                columns
                    .iter()
                    .map(|_| {
                        let mut array = String::with_capacity(2 + capacity * 12);
                        array.push('{');
                        array
                    })
                    .collect()
            } else {
                Vec::new()
            },
            json: if postgres {
                String::new()
            } else {
                let mut json = String::with_capacity(2 + capacity * 16 * columns.len());
                json.push('[');
                json
            },
            postgres,
            at: 0,
        }
    }

    /// Starts a cell of the next column; returns where to write it.
    fn cell(&mut self, ty: ColumnType) -> &mut String {
        let (name, expected) = self.columns[self.at];
        assert_eq!(expected, ty, "column {name} is {expected:?}, not {ty:?}");
        if self.postgres {
            let array = &mut self.arrays[self.at];
            if array.len() > 1 {
                array.push(',');
            }
            array
        } else {
            if self.at == 0 {
                if self.json.len() > 1 {
                    self.json.push(',');
                }
                self.json.push('{');
            } else {
                self.json.push(',');
            }
            // Names are plain identifiers: nothing to escape.
            let _ = write!(self.json, "\"{name}\":");
            &mut self.json
        }
    }

    fn next(&mut self) {
        self.at += 1;
        if self.at == self.columns.len() {
            self.at = 0;
            if !self.postgres {
                self.json.push('}');
            }
        }
    }

    pub fn big_int(&mut self, value: i64) -> &mut Self {
        let _ = write!(self.cell(ColumnType::BigInt), "{value}");
        self.next();
        self
    }

    pub fn integer(&mut self, value: i32) -> &mut Self {
        let _ = write!(self.cell(ColumnType::Integer), "{value}");
        self.next();
        self
    }

    pub fn text(&mut self, value: Option<&str>) -> &mut Self {
        let postgres = self.postgres;
        let out = self.cell(ColumnType::Text);
        match value {
            // An array literal's element: always quoted (so `NULL` or `a,b` are text), with
            // quotes and backslashes escaped by a backslash.
            Some(text) if postgres => {
                out.reserve(text.len() + 2);
                out.push('"');
                for c in text.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
            None if postgres => out.push_str("NULL"),
            // serde_json's escaping: quotes, backslashes, control characters.
            Some(text) => {
                out.push_str(&serde_json::to_string(text).expect("a string always serializes"))
            }
            None => out.push_str("null"),
        }
        self.next();
        self
    }

    /// The parameters, in the order [`from`] numbers them.
    pub fn into_values(self) -> Vec<Value> {
        assert_eq!(self.at, 0, "the last row is missing cells");
        if self.postgres {
            self.arrays
                .into_iter()
                .map(|mut array| {
                    array.push('}');
                    array.into()
                })
                .collect()
        } else {
            let mut json = self.json;
            json.push(']');
            vec![json.into()]
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;
    use tollgate_testkit::ScratchDatabase;

    use crate::storage::{self, Db};

    const COLUMNS: &[Column] = &[
        ("id", ColumnType::BigInt),
        ("small", ColumnType::Integer),
        ("label", ColumnType::Text),
    ];

    const LABELS: [Option<&str>; 5] = [
        Some("plain"),
        Some("quote \" backslash \\ comma , braces {} null NULL"),
        Some("line\nbreak\ttab \u{1} control, emoji 🎉, кириллица"),
        None,
        Some(""),
    ];

    /// Every row comes back as pushed, in order, on either backend; so does an empty set.
    async fn rows_round_trip(db: &Db) {
        let backend = db.get_database_backend();
        let mut rows = Rows::new(backend, COLUMNS, LABELS.len());
        for (i, label) in LABELS.iter().enumerate() {
            rows.big_int(i64::MAX - i as i64)
                .integer(i32::MIN + i as i32)
                .text(*label);
        }
        let query = format!(
            "SELECT d.id, d.small, d.label FROM {} ORDER BY d.n",
            from(backend, 1, "d", COLUMNS)
        );
        let got = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                storage::sql(backend, &query),
                rows.into_values(),
            ))
            .await
            .unwrap();
        assert_eq!(got.len(), LABELS.len());
        for (i, (row, label)) in got.iter().zip(LABELS).enumerate() {
            assert_eq!(row.try_get::<i64>("", "id").unwrap(), i64::MAX - i as i64);
            assert_eq!(
                row.try_get::<i32>("", "small").unwrap(),
                i32::MIN + i as i32
            );
            assert_eq!(
                row.try_get::<Option<String>>("", "label")
                    .unwrap()
                    .as_deref(),
                label
            );
        }

        let empty = Rows::new(backend, COLUMNS, 0);
        let got = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                storage::sql(backend, &query),
                empty.into_values(),
            ))
            .await
            .unwrap();
        assert!(got.is_empty());

        // `any_of` picks exactly the listed values.
        let mut ids = Rows::new(backend, &COLUMNS[..1], 2);
        ids.big_int(2).big_int(4);
        let query = format!(
            "SELECT v.x FROM (SELECT CAST(1 AS BIGINT) AS x UNION ALL SELECT 2 UNION ALL SELECT 3 \
             UNION ALL SELECT 4) AS v WHERE {} ORDER BY v.x",
            any_of(backend, "v.x", 1, COLUMNS[0])
        );
        let got: Vec<i64> = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                storage::sql(backend, &query),
                ids.into_values(),
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<i64>("", "x").unwrap())
            .collect();
        assert_eq!(got, [2, 4]);
    }

    #[tokio::test]
    async fn rows_round_trip_on_sqlite() {
        let db = storage::connect("sqlite::memory:").await.unwrap();
        rows_round_trip(&db).await;
    }

    #[tokio::test]
    async fn rows_round_trip_on_postgres() {
        let Ok(server) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("rows_round_trip_on_postgres: skipped (TEST_DATABASE_URL is not set)");
            return;
        };
        let scratch = ScratchDatabase::create(&server, "tollgate_rows")
            .await
            .unwrap();
        let db = storage::connect(&scratch.url).await.unwrap();
        rows_round_trip(&db).await;
        db.close().await.unwrap();
        scratch.drop_now().await.unwrap();
    }

    #[test]
    #[should_panic(expected = "column small is Integer, not Text")]
    fn a_cell_of_the_wrong_type_is_a_bug_caught_at_once() {
        let mut rows = Rows::new(DbBackend::Sqlite, COLUMNS, 1);
        rows.big_int(1).text(Some("x"));
    }

    #[test]
    fn postgres_rows_are_one_array_literal_a_column() {
        let mut rows = Rows::new(DbBackend::Postgres, COLUMNS, 2);
        rows.big_int(1).integer(-2).text(Some("a\"b\\c,NULL"));
        rows.big_int(3).integer(4).text(None);
        let values: Vec<Value> = rows.into_values();
        let expected: Vec<Value> = vec![
            "{1,3}".into(),
            "{-2,4}".into(),
            r#"{"a\"b\\c,NULL",NULL}"#.into(),
        ];
        assert_eq!(values, expected);
    }

    #[test]
    fn sqlite_rows_are_one_json_array() {
        let mut rows = Rows::new(DbBackend::Sqlite, COLUMNS, 2);
        rows.big_int(1).integer(2).text(Some("a\"b"));
        rows.big_int(3).integer(4).text(None);
        let values = rows.into_values();
        assert_eq!(values.len(), 1);
        let Value::String(Some(json)) = &values[0] else {
            panic!("one JSON text: {values:?}");
        };
        let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([
                {"id": 1, "small": 2, "label": "a\"b"},
                {"id": 3, "small": 4, "label": null},
            ])
        );
    }
}
