//! What `instrument` takes: the options of `@socket.io/admin-ui`'s `instrument(io, opts)`
//! (and python-socketio's `Server.instrument`), validated once here for every face.
use std::time::Duration;

/// Which details the admin namespace sends (`mode` in the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdminMode {
    /// Every socket's details, rooms and events, live (the reference's default).
    #[default]
    Development,
    /// Server statistics only.
    Production,
}

impl AdminMode {
    /// The reference's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminMode::Development => "development",
            AdminMode::Production => "production",
        }
    }
}

impl std::str::FromStr for AdminMode {
    type Err = AdminError;

    fn from_str(s: &str) -> Result<Self, AdminError> {
        match s {
            "development" => Ok(AdminMode::Development),
            "production" => Ok(AdminMode::Production),
            other => {
                Err(AdminError::InvalidOption(format!("mode must be \"development\" or \"production\", not {other:?}")))
            }
        }
    }
}

/// How the UI's password is checked.
#[derive(Clone, PartialEq, Eq)]
pub enum AdminPassword {
    /// A bcrypt hash (`$2a$`/`$2b$`/`$2y$`), as `@socket.io/admin-ui` takes it.
    Bcrypt(String),
    /// The password itself, as python-socketio takes it.
    Plain(String),
}

impl std::fmt::Debug for AdminPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret.
        f.write_str(match self {
            AdminPassword::Bcrypt(_) => "Bcrypt(..)",
            AdminPassword::Plain(_) => "Plain(..)",
        })
    }
}

/// Basic authentication of the admin UI (`auth: { type: "basic", username, password }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAuth {
    /// The expected user name.
    pub username: String,
    /// The expected password.
    pub password: AdminPassword,
}

/// Options of [`super::instrument`].
#[derive(Debug, Clone)]
pub struct AdminOptions {
    /// `None`: no authentication (the reference's `auth: false`).
    pub auth: Option<AdminAuth>,
    /// The admin namespace (`namespaceName`, default `/admin`).
    pub namespace: String,
    /// No commands from the UI (`readonly`): statistics and details only.
    pub read_only: bool,
    /// The id the UI shows for this server (default: the host name).
    pub server_id: Option<String>,
    /// Development (everything) or production (statistics only).
    pub mode: AdminMode,
    /// How often `server_stats` is sent (2 s in both references).
    pub server_stats_interval: Duration,
    /// Events of one socket relayed to the UI per second in development mode; the rest
    /// of that second is dropped, so a chatty socket cannot flood the admin sockets.
    pub max_relayed_events_per_socket: u32,
    /// Admin sessions remembered (the UI reconnects with a session id instead of
    /// credentials); the oldest is forgotten past it.
    pub max_sessions: usize,
    /// How long an admin session is honoured (a day, as the reference's Redis store).
    pub session_ttl: Duration,
}

impl Default for AdminOptions {
    fn default() -> Self {
        AdminOptions {
            auth: None,
            namespace: "/admin".into(),
            read_only: false,
            server_id: None,
            mode: AdminMode::Development,
            server_stats_interval: Duration::from_secs(2),
            max_relayed_events_per_socket: 100,
            max_sessions: 1000,
            session_ttl: Duration::from_secs(86_400),
        }
    }
}

/// Why `instrument` refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// An option is out of range or malformed.
    #[error("invalid admin option: {0}")]
    InvalidOption(String),
    /// The server is instrumented already.
    #[error("the server is already instrumented")]
    AlreadyInstrumented,
    /// `instrument` was called outside the server's tokio runtime.
    #[error("instrument must be called inside a tokio runtime")]
    NoRuntime,
}

impl AdminOptions {
    /// Checks every option; the faces report the message as is.
    pub fn validate(&self) -> Result<(), AdminError> {
        let bad = |m: &str| Err(AdminError::InvalidOption(m.to_owned()));
        if self.namespace.is_empty() || self.namespace == "/" {
            return bad("namespace must be a name other than \"/\" (default \"/admin\")");
        }
        if self.server_stats_interval.is_zero() || self.server_stats_interval > Duration::from_secs(86_400) {
            return bad("server_stats_interval must be above 0 and at most a day");
        }
        if self.max_relayed_events_per_socket == 0 {
            return bad("max_relayed_events_per_socket must be at least 1");
        }
        if self.max_sessions == 0 {
            return bad("max_sessions must be at least 1");
        }
        if let Some(auth) = &self.auth {
            if auth.username.is_empty() {
                return bad("auth username must not be empty");
            }
            match &auth.password {
                AdminPassword::Bcrypt(hash) => {
                    if hash.parse::<bcrypt::HashParts>().is_err() {
                        return bad("the `password` field must be a valid bcrypt hash");
                    }
                }
                AdminPassword::Plain(p) if p.is_empty() => return bad("auth password must not be empty"),
                AdminPassword::Plain(_) => {}
            }
        }
        Ok(())
    }
}
