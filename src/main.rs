//! The `candor` command: parse, load settings, hand over.

use std::io::Write;
use std::net::TcpListener;
use std::process::ExitCode;

use candor::auth::model::{check_password, parse_email, Role};
use candor::auth::{password, store};
use candor::config::{AdminCommand, Cli, Command, MailCommand, Settings, TokenCommand};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    candor::privacy::init_logging();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say_err(&format!("candor: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// A line on standard error that never panics: if the stream is gone there is nobody to tell.
fn say_err(line: &str) {
    let mut err = std::io::stderr().lock();
    if writeln!(err, "{line}").is_err() {
        // Nothing else can be done: the operator's own output stream is broken.
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::from_args(&cli.settings)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let state = candor::build_state(settings)?;
            println!("migrations applied; database on {:?}", state.db.backend());
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::Create { email },
        } => admin_create(settings, &email),
        Command::Token {
            command: TokenCommand::Create { email, label },
        } => token_create(settings, &email, &label),
        Command::Copy { to } => {
            use std::io::IsTerminal;
            let progress = std::io::stderr().is_terminal();
            let report = candor::grow::copy::copy(
                &settings.database,
                &to,
                settings.secret.is_some(),
                progress,
            )?;
            println!("{report}");
            Ok(())
        }
        Command::Backup {
            to,
            during_open_rounds,
        } => {
            let done = candor::grow::backup::backup(&settings.database, &to, during_open_rounds)?;
            print_outcome("backup", &done);
            Ok(())
        }
        Command::Restore { from } => {
            let done = candor::grow::backup::restore(&settings.database, &from)?;
            print_outcome("restored", &done);
            Ok(())
        }
        Command::Mail {
            command: MailCommand::Test { to },
        } => mail_test(&settings, &to),
        Command::Demo { months } => {
            let state = candor::build_state(settings)?;
            let base = state.settings.base_url.clone();
            let made = candor::demo::fill(&state, months).map_err(|e| e.to_string())?;
            println!(
                "demo data: {} teams, {} closed rounds, {} answers, the group \"Engineering (demo)\", {} reviews with {} accounts and {} follow-ups",
                made.teams, made.rounds, made.answers, made.reviews, made.accounts, made.followups
            );
            println!("Start the server (`candor serve`) and open {base}/metrics");
            match made.login {
                candor::demo::Login::Created { email, password } => {
                    println!("Sign in as {email} with the password {password} (shown only now)")
                }
                candor::demo::Login::Existing { email } => {
                    println!("Sign in as {email}, the existing administrator")
                }
            }
            Ok(())
        }
    }
}

fn print_outcome(what: &str, done: &candor::grow::backup::Outcome) {
    use candor::grow::backup::Outcome;
    match done {
        Outcome::Written {
            path,
            bytes,
            open_rounds,
            open_reviews,
        } => {
            println!("{what}: {} ({bytes} bytes)", path.display());
            if open_rounds + open_reviews > 0 {
                println!(
                    "It holds {open_rounds} open round(s) and {open_reviews} open review(s), with who has taken a token so far: replace it with a backup taken after they close."
                );
            }
        }
        Outcome::Postgres(steps) => println!("{steps}"),
    }
}

fn serve(settings: Settings) -> Result<(), String> {
    let bind = settings.bind;
    let base = settings.base_url.clone();
    let state = candor::build_state(settings)?;
    if let Some(code) = candor::auth::routes::prepare_setup(&state).map_err(|e| e.to_string())? {
        // Printed, never logged: whoever reads the server's output owns the instance. Written
        // without `eprintln!`, which panics when standard error cannot be written: the server
        // must start even with its output going nowhere.
        say_err(&format!("\nCandor has no administrator yet. Open {base}/setup and enter this setup code: {code}\n(or run `candor admin create --email you@example.com`)\n"));
    }
    let listener = TcpListener::bind(bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    tracing::info!(target: "candor", %bind, backend = ?state.db.backend(), "serving");
    actix_web::rt::System::new().block_on(async move {
        candor::server(state, listener)
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())
    })
}

fn read_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("CANDOR_ADMIN_PASSWORD") {
        return Ok(p);
    }
    print!("Password for the new admin: ");
    let _ = std::io::stdout().flush();
    let first = rpassword::read_password().map_err(|e| format!("cannot read the password: {e}"))?;
    print!("Again: ");
    let _ = std::io::stdout().flush();
    let second =
        rpassword::read_password().map_err(|e| format!("cannot read the password: {e}"))?;
    if first != second {
        return Err("the two passwords differ".into());
    }
    Ok(first)
}

fn admin_create(settings: Settings, email: &str) -> Result<(), String> {
    let email = parse_email(email).map_err(|e| e.message)?;
    let password = read_password()?;
    if let Some(e) = check_password(&password, None).into_iter().next() {
        return Err(e.message);
    }
    let state = candor::build_state(settings)?;
    let hash = password::hash_now(&password).map_err(|e| e.to_string())?;
    let mut conn = state.db.get_write().map_err(|e| e.to_string())?;
    let id = store::insert_staff(&mut conn, &email, Some(&hash), Role::Admin).map_err(|e| {
        if candor::db::is_unique_violation(&e) {
            format!("{email} already has an account")
        } else {
            e.to_string()
        }
    })?;
    store::audit(&mut conn, None, "staff.admin_created_cli", &email).map_err(|e| e.to_string())?;
    store::delete_setting(&mut conn, "setup_code").map_err(|e| e.to_string())?;
    println!("admin {email} created ({id})");
    Ok(())
}

fn token_create(settings: Settings, email: &str, label: &str) -> Result<(), String> {
    let email = parse_email(email).map_err(|e| e.message)?;
    let state = candor::build_state(settings)?;
    let mut conn = state.db.get_write().map_err(|e| e.to_string())?;
    let row = store::find_staff_by_email(&mut conn, &email)
        .map_err(|e| e.to_string())?
        .filter(|r| r.active)
        .ok_or_else(|| format!("no active staff user has the email {email}"))?;
    let token = candor::auth::routes::create_token(&mut conn, &state.keys, &row.user(), label)
        .map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}

/// Sends one message straight through the configured SMTP server (not the outbox) and prints
/// the server's answer, so an operator sees at once whether the settings work.
fn mail_test(settings: &Settings, to: &str) -> Result<(), String> {
    let mail = settings.mail.as_ref().ok_or(
        "email is not configured: set CANDOR_SMTP_URL and CANDOR_MAIL_FROM (docs/operations.md)",
    )?;
    actix_web::rt::System::new().block_on(async move {
        let mailer = candor::delivery::send::Mailer::new(mail)?;
        let answer = mailer
            .send_text(
                to,
                "Candor test message",
                "This is a test message from Candor: email delivery works.\n",
            )
            .await
            .map_err(|(permanent, e)| {
                let kind = if permanent {
                    "refused"
                } else {
                    "failed (temporary)"
                };
                format!("sending to {to} {kind}: {e}")
            })?;
        println!("sent to {to}; the server answered: {answer}");
        Ok(())
    })
}
