//! The `rendition` command line.
//!
//! This file only wires things together: it parses arguments, sets up logging,
//! builds the configuration and hands it to the library. It must never hold
//! logic of its own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rendition::config::ServeConfig;

/// An image server speaking the Scene7 Image Serving URL protocol.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve images over HTTP.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Data directory, created if missing [default: ./data].
        #[arg(long = "data", value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { listen, data_dir } => {
            let mut config = ServeConfig::default();
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if let Some(data_dir) = data_dir {
                config.data_dir = data_dir;
            }
            if let Err(err) = std::fs::create_dir_all(&config.data_dir) {
                eprintln!(
                    "error: cannot create data directory {}: {err}",
                    config.data_dir.display()
                );
                return ExitCode::FAILURE;
            }
            if let Err(err) = rendition::http::serve(config).await {
                eprintln!("error: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
