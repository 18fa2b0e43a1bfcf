//! Settings: typed, with defaults that run on a fresh machine (a SQLite file in `./data`),
//! each overridable by a flag or an environment variable (names fixed by API.md).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::db::DbUrl;

/// Declared beside `Threshold`, the type that enforces it, so that type (which every round,
/// review, metric and notice uses) needs nothing from the settings.
pub use crate::teams::model::ABSOLUTE_THRESHOLD_FLOOR;

#[derive(Parser, Debug)]
#[command(
    name = "candor",
    version,
    about = "Anonymous pre-review accounts and team pulse surveys"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Fill this instance with demo teams, a group and a year of monthly pulse rounds.
    Demo {
        /// Rounds per team, one a month.
        #[arg(long, default_value_t = 12)]
        months: u32,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Copy this SQLite instance into an empty PostgreSQL database, then check every table.
    Copy {
        /// The target, postgres://... (or CANDOR_COPY_TO, which keeps a password out of the
        /// process list).
        #[arg(long, env = "CANDOR_COPY_TO", hide_env_values = true)]
        to: String,
    },
    /// Back up this SQLite instance into a new file while it runs (online backup).
    Backup {
        #[arg(long)]
        to: PathBuf,
        /// Back up even while a round or review is open: the file then holds who has taken a
        /// token so far.
        #[arg(long)]
        during_open_rounds: bool,
    },
    /// Restore a backup into an empty data directory.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Check email delivery (CANDOR_SMTP_URL, CANDOR_MAIL_FROM).
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Send one test message and print the mail server's answer.
    Test {
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an admin. The password comes from CANDOR_ADMIN_PASSWORD or a prompt, never an argument.
    Create {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Print a new API token for a staff user.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct SettingsArgs {
    /// Database URL: sqlite://PATH or postgres://... (default: candor.db in the data directory).
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Address to listen on.
    #[arg(
        long,
        env = "CANDOR_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,
    /// Directory for the SQLite file.
    #[arg(long, env = "CANDOR_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Public base URL used in invite links; an https URL makes cookies `Secure`.
    #[arg(long, env = "CANDOR_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Smallest team or review threshold anyone may set (never below 3).
    #[arg(long, env = "CANDOR_THRESHOLD_FLOOR", default_value_t = ABSOLUTE_THRESHOLD_FLOOR, global = true)]
    pub threshold_floor: u16,
    /// Instance secret (base64url, at least 32 bytes); generated and stored in the database when unset.
    #[arg(long, env = "CANDOR_SECRET", hide_env_values = true, global = true)]
    pub secret: Option<String>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "CANDOR_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Database connections per pool.
    #[arg(
        long,
        env = "CANDOR_DB_CONNECTIONS",
        default_value_t = 8,
        global = true
    )]
    pub db_connections: u32,
    /// SMTP server for invites and reminders: smtps://user:pass@host:465 (implicit TLS),
    /// smtp://user:pass@host:587 (STARTTLS required), smtp://host:25?tls=none (plain, for a
    /// relay on the same machine). Unset: no email; links are handed out by staff as before.
    #[arg(long, env = "CANDOR_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,
    /// The From address of every message, e.g. "Candor <candor@example.org>".
    #[arg(long, env = "CANDOR_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
}

/// Checked settings handed from main to the app.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DbUrl,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub base_url: String,
    pub secure_cookies: bool,
    pub threshold_floor: u16,
    pub secret: Option<String>,
    pub workers: usize,
    pub db_connections: u32,
    /// Email delivery, when configured (`delivery::model::MailSettings` checks both parts).
    pub mail: Option<crate::delivery::model::MailSettings>,
}

impl Settings {
    pub fn from_args(args: &SettingsArgs) -> Result<Self, String> {
        let database = match &args.database_url {
            Some(url) if !url.trim().is_empty() => DbUrl::parse(url.trim())?,
            _ => DbUrl::Sqlite(
                args.data_dir
                    .join("candor.db")
                    .to_string_lossy()
                    .into_owned(),
            ),
        };
        if args.threshold_floor < ABSOLUTE_THRESHOLD_FLOOR {
            return Err(format!(
                "CANDOR_THRESHOLD_FLOOR must be at least {ABSOLUTE_THRESHOLD_FLOOR}"
            ));
        }
        let base_url = match &args.base_url {
            Some(u) if !u.trim().is_empty() => {
                let u = u.trim().trim_end_matches('/').to_owned();
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err("CANDOR_BASE_URL must start with http:// or https://".into());
                }
                u
            }
            _ => format!("http://{}", args.bind),
        };
        Ok(Self {
            secure_cookies: base_url.starts_with("https://"),
            database,
            bind: args.bind,
            data_dir: args.data_dir.clone(),
            base_url,
            threshold_floor: args.threshold_floor,
            secret: args.secret.clone(),
            workers: args.workers.unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
            }),
            db_connections: args.db_connections.max(2),
            mail: crate::delivery::model::MailSettings::from_parts(
                args.smtp_url.as_deref(),
                args.mail_from.as_deref(),
            )?,
        })
    }

    /// Settings for tests and benchmarks: everything default except the database and port.
    pub fn for_database(database: DbUrl, data_dir: PathBuf) -> Self {
        Self {
            database,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            base_url: "http://127.0.0.1".into(),
            secure_cookies: false,
            threshold_floor: ABSOLUTE_THRESHOLD_FLOOR,
            secret: None,
            workers: 2,
            db_connections: 4,
            mail: None,
        }
    }
}
