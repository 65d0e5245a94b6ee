//! The `rendition` command line.
//!
//! This file only wires things together: it parses arguments, sets up logging,
//! builds the configuration and hands it to the library. It must never hold
//! logic of its own.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use rendition::app::App;
use rendition::config::{CommonFlags, LogFormat, Overrides, ServeConfig, ServeFlags};
use rendition::http::AppState;
use tracing_subscriber::EnvFilter;

/// An image server speaking the Scene7 Image Serving URL protocol.
///
/// Every setting is read from its flag, else its RENDITION_* environment
/// variable, else the TOML file of --config (or RENDITION_CONFIG), else its
/// default; see the README's Configuration section.
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
        #[command(flatten)]
        flags: ServeFlags,
    },
    /// Render one request without a server, to a file.
    ///
    /// With --input, REQUEST is a query applied to that file; otherwise it is
    /// `Company/name?query`, resolved through the catalog under --data.
    Render {
        /// A loose image file to render instead of a catalog object.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// The request: `wid=300&fmt=png`, or `Company/name?wid=300`.
        request: String,
        /// Where to write the reply image.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        flags: CommonFlags,
    },
    /// Import every image file of a directory as owner images of a company.
    Import {
        /// The company (its IS root id); created if missing.
        #[arg(long)]
        company: String,
        /// Folder inside the company, e.g. `products/shoes/` [default: the root].
        #[arg(long)]
        folder: Option<String>,
        /// The directory to import.
        dir: PathBuf,
        #[command(flatten)]
        flags: CommonFlags,
    },
    /// Make the pyramid levels that stored JPEG originals lack: those stored
    /// with --pyramid=false, or by a build with the other JPEG decoder.
    Pyramid {
        #[command(flatten)]
        flags: CommonFlags,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = match &cli.command {
        Command::Serve { flags } => Overrides::from(flags.clone()),
        Command::Render { flags, .. }
        | Command::Import { flags, .. }
        | Command::Pyramid { flags } => Overrides::from(flags.clone()),
    };
    let config = match ServeConfig::load(&overrides) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(message) = init_logging(&config) {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }
    let malloc = rendition::allocator::tune(rendition::config::environment_tunes_malloc());
    tracing::debug!(?malloc, "C allocator tuning");
    let result = match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Render {
            input,
            request,
            output,
            ..
        } => render(&config, input.as_deref(), &request, &output),
        Command::Import {
            company,
            folder,
            dir,
            ..
        } => import(&config, &company, folder.as_deref(), &dir),
        Command::Pyramid { .. } => make_pyramid(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stdout in the configured format, filtered by `RUST_LOG`; colours
/// only on a terminal.
fn init_logging(config: &ServeConfig) -> Result<(), String> {
    let filter = EnvFilter::try_new(&config.log_filter)
        .map_err(|e| format!("RUST_LOG={:?}: {e}", config.log_filter))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    let installed = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|e| format!("cannot set up logging: {e}"))
}

async fn serve(config: ServeConfig) -> Result<(), String> {
    let mut app = App::open(&config.data_dir, config.limits.clone()).map_err(|e| e.to_string())?;
    app.pyramid = config.pyramid;
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
    let serving = &config.serving;
    let settings = rendition::serve::Settings {
        cache_bytes: serving.cache_bytes,
        source_cache_bytes: serving.source_cache_bytes,
        workers: serving.workers,
        queue: serving.queue,
        expiration: serving.expiration(),
        non_img_expiration: serving.non_img_expiration(),
        request_timeout: serving.request_timeout(),
        prerender: serving.prerender,
        ..rendition::serve::Settings::default()
    };
    let state = AppState::with_settings(Arc::new(app), settings);
    rendition::http::serve(listener, state)
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
            let mut app =
                App::open(&config.data_dir, config.limits.clone()).map_err(|e| e.to_string())?;
            app.pyramid = config.pyramid;
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
                decoded: None,
            };
            let bytes = app.load(&resolved).map_err(|e| e.to_string())?;
            rendition::job::render(bytes, sources, &resolved.object, &ctx)
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
    let mut app = App::open(&config.data_dir, config.limits.clone()).map_err(|e| e.to_string())?;
    app.pyramid = config.pyramid;
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

/// `rendition pyramid`: the missing levels of every stored original.
fn make_pyramid(config: &ServeConfig) -> Result<(), String> {
    let app = App::open(&config.data_dir, config.limits.clone()).map_err(|e| e.to_string())?;
    let addresses = app.blobs.addresses().map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(addresses.len() as u64);
    let (mut originals, mut levels) = (0, 0);
    for address in &addresses {
        // A blob deleted meanwhile by a running server is skipped.
        let bytes = match app.blobs.get(address) {
            Ok(bytes) => bytes,
            Err(e) => {
                bar.println(format!("skipped {address}: {e}"));
                bar.inc(1);
                continue;
            }
        };
        let made = app.ensure_levels(address, &bytes);
        originals += usize::from(made > 0);
        levels += made;
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "made {levels} level(s) for {originals} of {} stored original(s)",
        addresses.len()
    );
    Ok(())
}
