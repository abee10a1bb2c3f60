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
    }
}
