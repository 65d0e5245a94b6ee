//! The `rendition` command line.
//!
//! This file only wires things together: it parses arguments, sets up logging,
//! builds the configuration and hands it to the library. It must never hold
//! logic of its own.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use rendition::app::App;
use rendition::config::ServeConfig;
use rendition::http::AppState;

/// An image server speaking the Scene7 Image Serving URL protocol.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve images and the IPS API over HTTP.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080, or RENDITION_LISTEN].
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Data directory, created if missing [default: ./data, or RENDITION_DATA].
        #[arg(long = "data", value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Do not seed the Demo company into an empty catalog.
        #[arg(long)]
        no_demo: bool,
    },
    /// Render one request without a server, to a file.
    ///
    /// With --input, REQUEST is a query applied to that file; otherwise it is
    /// `Company/name?query`, resolved through the catalog under --data.
    Render {
        /// A loose image file to render instead of a catalog object.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Data directory [default: ./data, or RENDITION_DATA].
        #[arg(long = "data", value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// The request: `wid=300&fmt=png`, or `Company/name?wid=300`.
        request: String,
        /// Where to write the reply image.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Import every image file of a directory as owner images of a company.
    Import {
        /// The company (its IS root id); created if missing.
        #[arg(long)]
        company: String,
        /// Folder inside the company, e.g. `products/shoes/` [default: the root].
        #[arg(long)]
        folder: Option<String>,
        /// Data directory [default: ./data, or RENDITION_DATA].
        #[arg(long = "data", value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// The directory to import.
        dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve {
            listen,
            data_dir,
            no_demo,
        } => {
            let mut config = ServeConfig::from_env();
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if let Some(data_dir) = data_dir {
                config.data_dir = data_dir;
            }
            config.seed_demo &= !no_demo;
            serve(config).await
        }
        Command::Render {
            input,
            data_dir,
            request,
            output,
        } => {
            let mut config = ServeConfig::from_env();
            if let Some(data_dir) = data_dir {
                config.data_dir = data_dir;
            }
            render(&config, input.as_deref(), &request, &output)
        }
        Command::Import {
            company,
            folder,
            data_dir,
            dir,
        } => {
            let mut config = ServeConfig::from_env();
            if let Some(data_dir) = data_dir {
                config.data_dir = data_dir;
            }
            import(&config, &company, folder.as_deref(), &dir)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ServeConfig) -> Result<(), String> {
    let app = App::open(&config.data_dir, config.limits.clone()).map_err(|e| e.to_string())?;
    if let Some((user, password)) = &config.admin {
        if app
            .ensure_admin(user, password)
            .map_err(|e| e.to_string())?
        {
            println!("created IpsAdmin user {user}");
        }
    }
    if config.seed_demo {
        let seeded = app
            .seed_demo(&config.fixtures_dir)
            .map_err(|e| e.to_string())?;
        if !seeded.is_empty() {
            println!("seeded the Demo company: {}", seeded.join(", "));
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    print_urls(&app, addr);
    rendition::http::serve(listener, AppState::new(Arc::new(app)))
        .await
        .map_err(|e| e.to_string())
}

/// Prints a URL for every asset of every company, so there is something to open.
fn print_urls(app: &App, addr: SocketAddr) {
    let Ok(companies) = app.catalog.companies() else {
        return;
    };
    for company in companies {
        let query = rendition::catalog::AssetQuery {
            company_id: company.id,
            limit: 50,
            ..Default::default()
        };
        if let Ok((_, assets)) = app.catalog.search_assets(&query) {
            for asset in assets {
                println!(
                    "  http://{addr}/is/image/{}/{}?wid=400",
                    company.name, asset.name
                );
            }
        }
    }
    println!("  IPS API: http://{addr}/scene7/services/IpsApiService");
}

fn render(
    config: &ServeConfig,
    input: Option<&Path>,
    request: &str,
    output: &Path,
) -> Result<(), String> {
    let encoded = match input {
        Some(file) => {
            let bytes =
                std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let object = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let sources = rendition::protocol::Sources {
                request: request.strip_prefix('?').unwrap_or(request),
                ..Default::default()
            };
            rendition::job::render_file(&bytes, sources, &object, &config.limits)
                .map_err(|e| e.to_string())?
        }
        None => {
            let app =
                App::open(&config.data_dir, config.limits.clone()).map_err(|e| e.to_string())?;
            let (object, query) = request.split_once('?').unwrap_or((request, ""));
            let (company, name) = object
                .split_once('/')
                .ok_or_else(|| format!("'{object}' is not Company/name"))?;
            let resolved = app.resolve(company, name).map_err(|e| e.to_string())?;
            let sources = rendition::protocol::Sources {
                modifier: &resolved.modifier,
                request: query,
                post_modifier: &resolved.post_modifier,
            };
            let resolver = app.resolver(company);
            let ctx = rendition::job::Context {
                resolver: &resolver,
                limits: &config.limits,
                fonts: rendition::render::text::FontSet::shared(),
            };
            rendition::job::render(resolved.bytes.clone(), sources, &resolved.object, &ctx)
                .map_err(|e| e.to_string())?
        }
    };
    std::fs::write(output, &encoded.bytes)
        .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    println!(
        "wrote {} ({}, {} bytes)",
        output.display(),
        encoded.content_type,
        encoded.bytes.len()
    );
    Ok(())
}

fn import(
    config: &ServeConfig,
    company_name: &str,
    folder: Option<&str>,
    dir: &Path,
) -> Result<(), String> {
    let app = App::open(&config.data_dir, config.limits.clone()).map_err(|e| e.to_string())?;
    let company = match app
        .catalog
        .company_by_name(company_name)
        .map_err(|e| e.to_string())?
    {
        Some(c) => c,
        None => app
            .catalog
            .add_company(company_name)
            .map_err(|e| e.to_string())?,
    };
    let folder_path = match folder {
        Some(f) => format!("{}{}", company.root_path, f.trim_matches('/')) + "/",
        None => company.root_path.clone(),
    };
    let folder = match app
        .catalog
        .folder(company.id, &folder_path)
        .map_err(|e| e.to_string())?
    {
        Some(f) => f,
        None => app
            .catalog
            .create_folder(company.id, &folder_path)
            .map_err(|e| e.to_string())?,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (mut stored, mut skipped) = (0, 0);
    for path in &files {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        bar.set_message(file_name.clone());
        let result = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                app.store_image(&company, &folder, &name, &bytes, &file_name, "import")
                    .map_err(|e| e.to_string())
            });
        match result {
            Ok(_) => stored += 1,
            Err(e) => {
                skipped += 1;
                bar.println(format!("skipped {file_name}: {e}"));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "imported {stored} image(s) into {}, skipped {skipped}",
        folder.path
    );
    Ok(())
}
