//! The `switchboard` command: `serve` runs the server.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use switchboard::config::Config;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "A contact-center softswitch")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server. With no configuration file every key takes its default:
    /// SQLite in ./switchboard.db, SIP on port 5060, HTTP on port 8080.
    Serve {
        /// A TOML configuration file.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { config } => {
            let config = match config {
                Some(path) => Config::from_file(&path)?,
                None => Config::default(),
            };
            switchboard::server::init_logging(&config.log);
            let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
            runtime.block_on(switchboard::server::run(config))
        }
    }
}
