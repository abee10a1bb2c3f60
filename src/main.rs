//! The `switchboard` command: `serve` runs the server; `extension set`
//! provisions SIP credentials.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use switchboard::config::Config;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "A contact-center softswitch")]
struct Cli {
    /// A TOML configuration file; every key has a default.
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server. With no configuration file every key takes its default:
    /// SQLite in ./switchboard.db, SIP on port 5060, HTTP on port 8080.
    Serve,
    /// Manage SIP extensions (the credentials phones register with).
    Extension {
        #[command(subcommand)]
        action: ExtensionAction,
    },
}

#[derive(Subcommand)]
enum ExtensionAction {
    /// Create an extension or set its password; this also unlocks a user
    /// locked after too many failed logins.
    Set {
        username: String,
        #[arg(long)]
        password: String,
    },
    /// Create or update many extensions from a CSV file of `username,password`
    /// lines (a header line `username,password` is skipped).
    Import { file: PathBuf },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = match &cli.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    match cli.command {
        Command::Serve => {
            switchboard::server::init_logging(&config.log);
            runtime.block_on(switchboard::server::run(config))
        }
        Command::Extension {
            action: ExtensionAction::Set { username, password },
        } => {
            runtime.block_on(switchboard::server::set_extension(
                &config, &username, &password,
            ))?;
            println!("extension {username} set");
            Ok(())
        }
        Command::Extension {
            action: ExtensionAction::Import { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let mut pairs = Vec::new();
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || (n == 0 && line.eq_ignore_ascii_case("username,password")) {
                    continue;
                }
                let (user, password) = line.split_once(',').with_context(|| {
                    format!("{}:{}: expected username,password", file.display(), n + 1)
                })?;
                pairs.push((user.trim().to_owned(), password.trim().to_owned()));
            }
            runtime.block_on(switchboard::server::set_extensions(&config, &pairs))?;
            println!("{} extensions set", pairs.len());
            Ok(())
        }
    }
}
