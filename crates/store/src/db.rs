//! One connection over the two engines the store runs on: a SQLite file (the bench's own
//! database) or a PostgreSQL server (the shop's, shared by its benches).
//!
//! The store writes its SQL once, in the part of SQL both engines read the same way:
//! placeholders are SQLite's `?N` (and `?`), rewritten to PostgreSQL's `$N`; new ids come back
//! with `RETURNING id`; integers are 64-bit on both (BIGINT columns on the server); booleans are
//! stored as 0/1. Where the engines differ (a date format, a row lock), the caller asks
//! [`Conn::engine`]. Values cross as [`Value`] and rows come back as [`Row`], so nothing above
//! this module names either driver.

use std::cell::RefCell;

/// The server's notification channel: its payload is the number of the ticket that changed
/// (0: many).
pub const CHANGES: &str = "hashbench_changes";

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A value passed to or read from either engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Real(_) => "a real number",
            Value::Text(_) => "text",
            Value::Blob(_) => "bytes",
        }
    }
}

/// Saturating: counts and indices beyond i64 do not occur in a shop's records.
fn int<T: TryInto<i64>>(v: T) -> Value {
    Value::Int(v.try_into().unwrap_or(i64::MAX))
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                int(v)
            }
        }
    )*};
}
from_int!(i64, i32, u8, u16, u32, u64, usize);

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Real(f64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Blob(v.to_vec())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Value {
        v.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()))
    }
}

/// The arguments of one statement, in placeholder order.
macro_rules! args {
    () => { &[][..] };
    ($($v:expr),+ $(,)?) => { &[$($crate::db::Value::from($v)),+][..] };
}
pub(crate) use args;

/// What went wrong below the store, before it is named for the user.
#[derive(Debug)]
pub(crate) enum DbError {
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
    /// A column held another type than the store reads there.
    Column {
        index: usize,
        wanted: &'static str,
        found: String,
    },
    /// A server column of a type the store never writes.
    ServerType {
        index: usize,
        ty: String,
    },
    /// A statement that returns a row returned none.
    NoRow,
    /// The connection was asked for while in use (never happens: every call finishes first).
    InUse,
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        DbError::Sqlite(e)
    }
}
impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> DbError {
        DbError::Postgres(e)
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Sqlite(e) => write!(f, "{e}"),
            DbError::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "{} ({})", db.message(), db.code().code()),
                None => write!(f, "{e}"),
            },
            DbError::Column {
                index,
                wanted,
                found,
            } => write!(f, "column {index} holds {found}, not {wanted}"),
            DbError::ServerType { index, ty } => {
                write!(
                    f,
                    "column {index} has the server type {ty}, which Hashbench never writes"
                )
            }
            DbError::NoRow => write!(f, "the statement returned no row"),
            DbError::InUse => write!(f, "the database connection is already in use"),
        }
    }
}

/// One row as read, columns in the order selected.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(Vec<Value>);

impl Row {
    /// Column `index` as a `T`; a NULL, a missing column or another type is an error naming it.
    pub(crate) fn get<T: FromValue>(&self, index: usize) -> Result<T, DbError> {
        let value = self.0.get(index).unwrap_or(&Value::Null);
        T::from_value(value).ok_or_else(|| DbError::Column {
            index,
            wanted: T::WHAT,
            found: match value {
                Value::Int(n) => format!("the integer {n}"),
                other => other.kind().to_owned(),
            },
        })
    }

    /// The raw value of column `index` (NULL past the end).
    pub(crate) fn value(&self, index: usize) -> &Value {
        self.0.get(index).unwrap_or(&Value::Null)
    }
}

/// A Rust type a column can be read as.
pub(crate) trait FromValue: Sized {
    const WHAT: &'static str;
    fn from_value(v: &Value) -> Option<Self>;
}

macro_rules! from_value_int {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            const WHAT: &'static str = concat!("an integer that fits ", stringify!($t));
            fn from_value(v: &Value) -> Option<$t> {
                match v {
                    Value::Int(n) => <$t>::try_from(*n).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
from_value_int!(i64, u8, u16, u32, u64, usize);

impl FromValue for bool {
    const WHAT: &'static str = "0 or 1";
    fn from_value(v: &Value) -> Option<bool> {
        match v {
            Value::Int(0) => Some(false),
            Value::Int(1) => Some(true),
            _ => None,
        }
    }
}
impl FromValue for f64 {
    const WHAT: &'static str = "a number";
    fn from_value(v: &Value) -> Option<f64> {
        match v {
            Value::Real(x) => Some(*x),
            #[allow(clippy::cast_precision_loss)] // a whole number stored in a REAL column
            Value::Int(n) => Some(*n as f64),
            _ => None,
        }
    }
}
impl FromValue for f32 {
    const WHAT: &'static str = "a number";
    fn from_value(v: &Value) -> Option<f32> {
        #[allow(clippy::cast_possible_truncation)] // written from an f32
        f64::from_value(v).map(|x| x as f32)
    }
}
impl FromValue for String {
    const WHAT: &'static str = "text";
    fn from_value(v: &Value) -> Option<String> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl FromValue for Vec<u8> {
    const WHAT: &'static str = "bytes";
    fn from_value(v: &Value) -> Option<Vec<u8>> {
        match v {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    const WHAT: &'static str = T::WHAT;
    fn from_value(v: &Value) -> Option<Option<T>> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A connection to either engine.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<Server>),
}

/// A connection to the shop server that comes back by itself: a call after the server was
/// lost (restarted, network down) connects again first.
pub(crate) struct Server {
    /// The client needs `&mut` for every call; the store's reads take `&self`.
    client: RefCell<postgres::Client>,
    config: postgres::Config,
    tls: postgres_native_tls::MakeTlsConnector,
    /// Session settings run on every new connection.
    setup: String,
    /// Statements prepared on this connection, by their text (one round trip saved per call;
    /// forgotten when the connection is made again).
    prepared: RefCell<std::collections::HashMap<String, postgres::Statement>>,
    /// A call failed because the connection went (the server ended it, the socket broke):
    /// the next call connects again, even before the client has noticed it is closed.
    lost: std::cell::Cell<bool>,
}

impl Server {
    /// Connect with `config`, then run `setup` (session settings).
    pub(crate) fn connect(
        config: postgres::Config,
        tls: postgres_native_tls::MakeTlsConnector,
        setup: String,
    ) -> Result<Server, DbError> {
        let mut client = config.connect(tls.clone())?;
        client.batch_execute(&setup)?;
        Ok(Server {
            client: RefCell::new(client),
            config,
            tls,
            setup,
            prepared: RefCell::default(),
            lost: std::cell::Cell::new(false),
        })
    }

    /// The client, connected again first if the last connection was lost.
    fn client(&self) -> Result<std::cell::RefMut<'_, postgres::Client>, DbError> {
        let mut client = self.client.try_borrow_mut().map_err(|_| DbError::InUse)?;
        if self.lost.replace(false) || client.is_closed() {
            let mut fresh = self.config.connect(self.tls.clone())?;
            fresh.batch_execute(&self.setup)?;
            *client = fresh;
            self.prepared
                .try_borrow_mut()
                .map_err(|_| DbError::InUse)?
                .clear();
        }
        Ok(client)
    }

    /// `result`, remembering when its error means the connection is gone: the client closed,
    /// SQLSTATE class 08 (connection exception) or 57 (the server ended the session, as
    /// `pg_terminate_backend` and a shutdown do), or the socket's own I/O error.
    fn watch<T>(&self, result: Result<T, postgres::Error>) -> Result<T, DbError> {
        result.map_err(|e| {
            let class = e.code().map(|c| &c.code()[..2]);
            let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
            if e.is_closed() || matches!(class, Some("08" | "57")) || io {
                self.lost.set(true);
            }
            DbError::Postgres(e)
        })
    }

    /// `sql` (in PostgreSQL's placeholders) prepared on `client`, from the cache when it was
    /// prepared before.
    fn statement(
        &self,
        client: &mut postgres::Client,
        sql: &str,
    ) -> Result<postgres::Statement, DbError> {
        let mut prepared = self.prepared.try_borrow_mut().map_err(|_| DbError::InUse)?;
        if let Some(statement) = prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.watch(client.prepare(sql))?;
        prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// A second connection with the same settings and TLS (a listener for changes).
    pub(crate) fn connect_again(&self) -> Result<postgres::Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }

    /// What [`Server::connect_again`] needs, for a thread of its own.
    pub(crate) fn settings(&self) -> (postgres::Config, postgres_native_tls::MakeTlsConnector) {
        (self.config.clone(), self.tls.clone())
    }
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Sqlite(_) => "Conn::Sqlite",
            Conn::Postgres(_) => "Conn::Postgres",
        })
    }
}

impl Conn {
    /// The engine behind this connection.
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// Call `each` with every row of `sql`, in order, without holding them all.
    pub(crate) fn for_each<E: From<DbError>>(
        &self,
        sql: &str,
        args: &[Value],
        mut each: impl FnMut(&Row) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql).map_err(DbError::from)?;
                let columns = stmt.column_count();
                let mut rows = stmt
                    .query(rusqlite::params_from_iter(args.iter().map(SqliteArg)))
                    .map_err(DbError::from)?;
                while let Some(r) = rows.next().map_err(DbError::from)? {
                    let mut values = Vec::with_capacity(columns);
                    for i in 0..columns {
                        values.push(sqlite_value(r.get_ref(i).map_err(DbError::from)?));
                    }
                    each(&Row(values))?;
                }
                Ok(())
            }
            Conn::Postgres(c) => {
                let mut client = c.client()?;
                let statement = c.statement(&mut client, &postgres_sql(sql))?;
                let mut rows = c.watch(client.query_raw(&statement, args.iter().map(PgArg)))?;
                use postgres::fallible_iterator::FallibleIterator as _;
                while let Some(r) = c.watch(rows.next())? {
                    each(&postgres_row(&r)?)?;
                }
                Ok(())
            }
        }
    }

    /// Every row of `sql`.
    pub(crate) fn query(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>, DbError> {
        let mut rows = Vec::new();
        self.for_each(sql, args, |r| {
            rows.push(r.clone());
            Ok::<_, DbError>(())
        })?;
        Ok(rows)
    }

    /// The first row of `sql`, if any.
    pub(crate) fn query_opt(&self, sql: &str, args: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The first row of `sql`, which must return one (an aggregate, say).
    pub(crate) fn query_one(&self, sql: &str, args: &[Value]) -> Result<Row, DbError> {
        self.query_opt(sql, args)?.ok_or(DbError::NoRow)
    }

    /// Run one statement; the number of rows it changed.
    pub(crate) fn execute(&self, sql: &str, args: &[Value]) -> Result<u64, DbError> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.execute(rusqlite::params_from_iter(args.iter().map(SqliteArg)))?;
                Ok(u64::try_from(n).unwrap_or(u64::MAX))
            }
            Conn::Postgres(c) => {
                let mut client = c.client()?;
                let params: Vec<PgArg<'_>> = args.iter().map(PgArg).collect();
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|p| p as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                let statement = c.statement(&mut client, &postgres_sql(sql))?;
                c.watch(client.execute(&statement, &refs))
            }
        }
    }

    /// Run an `INSERT` and return the new row's `id` (the statement gets `RETURNING id`).
    pub(crate) fn insert(&self, sql: &str, args: &[Value]) -> Result<i64, DbError> {
        self.query_one(&format!("{sql} RETURNING id"), args)?.get(0)
    }

    /// Run statements without arguments (schema, transaction control).
    pub(crate) fn batch(&self, sql: &str) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => {
                let result = c.client()?.batch_execute(sql);
                c.watch(result)
            }
        }
    }

    /// Start a write transaction: SQLite takes the file's write lock at once (`IMMEDIATE`, so a
    /// second writer waits instead of failing half-way); the server's rows are locked as the
    /// statements touch them (with [`Conn::lock_rows`] where a row is read before it is
    /// written). Dropped without [`Tx::commit`], it rolls back.
    pub(crate) fn begin(&self) -> Result<Tx<'_>, DbError> {
        self.batch(match self.engine() {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        })?;
        Ok(Tx {
            conn: self,
            open: true,
        })
    }

    /// Tell the other benches that ticket `ticket` changed (0: the list as a whole). On the
    /// server this is a `NOTIFY` on [`CHANGES`], delivered when the transaction it is part of
    /// commits (at once outside one); a file has no one to tell.
    pub(crate) fn changed(&self, ticket: i64) -> Result<(), DbError> {
        match self.engine() {
            Engine::Sqlite => Ok(()),
            Engine::Postgres => self
                .execute(
                    &format!("SELECT pg_notify('{CHANGES}', ?1)"),
                    args![ticket.to_string()],
                )
                .map(|_| ()),
        }
    }

    /// The id of the row of `table` that came from `origin` (see the schema's version 5), if
    /// it is here.
    pub(crate) fn id_by_origin(&self, table: &str, origin: &str) -> Result<Option<i64>, DbError> {
        self.query_opt(
            &format!("SELECT id FROM {table} WHERE origin = ?1"),
            args![origin],
        )?
        .map(|r| r.get(0))
        .transpose()
    }

    /// What ends a `SELECT` that reads rows the transaction will then change: `FOR UPDATE` on
    /// the server, nothing on SQLite (whose transaction already holds the file).
    pub(crate) fn lock_rows(&self) -> &'static str {
        match self.engine() {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE",
        }
    }

    /// The server connection, for what only a server has (listening for changes).
    pub(crate) fn server(&self) -> Option<&Server> {
        match self {
            Conn::Sqlite(_) => None,
            Conn::Postgres(s) => Some(s),
        }
    }

    /// The SQLite connection, for what only a file has (pragmas, `VACUUM INTO`).
    pub(crate) fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }
}

/// An open write transaction; see [`Conn::begin`].
#[derive(Debug)]
pub(crate) struct Tx<'a> {
    conn: &'a Conn,
    open: bool,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Tx<'_> {
    /// Make every change of the transaction durable.
    pub(crate) fn commit(mut self) -> Result<(), DbError> {
        self.open = false;
        self.conn.batch("COMMIT")
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing of it was committed; a failed rollback leaves the engine to discard it
            // (SQLite at the next statement, the server when the connection closes).
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}

/// The environment variable naming a PEM file with the shop's own CA certificate, trusted for
/// the server's certificate besides the system's roots (a shop server with a certificate of
/// its own making).
pub const CA_ENV: &str = "HASHBENCH_DB_CA";

/// TLS to the server: used whenever the server offers it (`sslmode=prefer`, the default) and
/// required with `sslmode=require`; the certificate and host name are always checked, against
/// the system's roots and the CA in [`CA_ENV`].
pub(crate) fn tls() -> Result<postgres_native_tls::MakeTlsConnector, String> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = std::env::var_os(CA_ENV).filter(|p| !p.is_empty()) {
        let pem = std::fs::read(&path).map_err(|e| {
            format!(
                "{CA_ENV}={}: the CA certificate cannot be read: {e}",
                std::path::Path::new(&path).display()
            )
        })?;
        let ca = native_tls::Certificate::from_pem(&pem).map_err(|e| {
            format!(
                "{CA_ENV}={}: not a PEM certificate: {e}",
                std::path::Path::new(&path).display()
            )
        })?;
        builder.add_root_certificate(ca);
    }
    let connector = builder
        .build()
        .map_err(|e| format!("TLS cannot be set up on this system: {e}"))?;
    Ok(postgres_native_tls::MakeTlsConnector::new(connector))
}

/// Whether `e` failed in the TLS handshake (an untrusted certificate, say) rather than in
/// reaching the server.
pub(crate) fn is_tls_failure(e: &postgres::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<native_tls::Error>().is_some() {
            return true;
        }
        source = s.source();
    }
    e.to_string().contains("TLS")
}

/// `?N` and `?` placeholders (outside quoted text) as PostgreSQL's `$N`.
pub(crate) fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quoted: Option<char> = None;
    let mut next = 0u32;
    while let Some(c) = chars.next() {
        match quoted {
            Some(q) => {
                out.push(c);
                if c == q {
                    quoted = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quoted = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    next += 1;
                    out.push_str(&next.to_string());
                }
            }
            None => out.push(c),
        }
    }
    out
}

struct SqliteArg<'a>(&'a Value);

impl rusqlite::ToSql for SqliteArg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Int(n) => ValueRef::Integer(*n),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// A value bound to a server placeholder: written as the type the server inferred for it.
#[derive(Debug)]
struct PgArg<'a>(&'a Value);

impl postgres::types::ToSql for PgArg<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        let mismatch = || -> Box<dyn std::error::Error + Sync + Send> {
            format!(
                "{} cannot be written as the server type {ty}",
                self.0.kind()
            )
            .into()
        };
        match (self.0, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(n), &Type::INT8) => n.to_sql(ty, out),
            (Value::Int(n), &Type::INT4) => i32::try_from(*n)?.to_sql(ty, out),
            (Value::Int(n), &Type::INT2) => i16::try_from(*n)?.to_sql(ty, out),
            (Value::Int(n), &Type::BOOL) => (*n != 0).to_sql(ty, out),
            #[allow(clippy::cast_precision_loss)] // a whole number into a REAL column
            (Value::Int(n), &Type::FLOAT8) => (*n as f64).to_sql(ty, out),
            (Value::Real(x), &Type::FLOAT8) => x.to_sql(ty, out),
            #[allow(clippy::cast_possible_truncation)]
            (Value::Real(x), &Type::FLOAT4) => (*x as f32).to_sql(ty, out),
            (Value::Text(s), &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME) => {
                s.as_str().to_sql(ty, out)
            }
            (Value::Blob(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            _ => Err(mismatch()),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn postgres_row(r: &postgres::Row) -> Result<Row, DbError> {
    use postgres::types::Type;
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let ty = column.type_();
        let v = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?
                .map(|n| Value::Int(i64::from(n)))
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?
                .map(|n| Value::Int(i64::from(n)))
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?
                .map(|b| Value::Int(i64::from(b)))
        } else if *ty == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)?.map(Value::Real)
        } else if *ty == Type::FLOAT4 {
            r.try_get::<_, Option<f32>>(i)?
                .map(|x| Value::Real(f64::from(x)))
        } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty) {
            r.try_get::<_, Option<String>>(i)?.map(Value::Text)
        } else if *ty == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob)
        } else {
            return Err(DbError::ServerType {
                index: i,
                ty: ty.to_string(),
            });
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollar_numbers_outside_quoted_text() {
        assert_eq!(
            postgres_sql("SELECT a FROM t WHERE b = ?2 AND c = ?1 AND d LIKE '?x' ESCAPE '\\'"),
            "SELECT a FROM t WHERE b = $2 AND c = $1 AND d LIKE '?x' ESCAPE '\\'"
        );
        assert_eq!(postgres_sql("LIMIT ? OFFSET ?"), "LIMIT $1 OFFSET $2");
    }

    #[test]
    fn a_column_of_another_type_is_named_not_guessed() {
        let row = Row(vec![Value::Text("x".into()), Value::Int(-1), Value::Null]);
        assert_eq!(row.get::<String>(0).ok(), Some("x".to_owned()));
        let err = row.get::<u32>(1).map(|_| ()).unwrap_err().to_string();
        assert_eq!(
            err,
            "column 1 holds the integer -1, not an integer that fits u32"
        );
        assert_eq!(row.get::<Option<i64>>(2).ok(), Some(None));
        assert!(row.get::<i64>(2).is_err());
    }
}
