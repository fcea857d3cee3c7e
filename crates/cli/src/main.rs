//! `robocarb`: run, inspect and explain the study's data-build graph.
//!
//! This binary only parses arguments, calls the `pipeline` and `dag` crates, and prints. It holds
//! no logic of its own beyond that (and parquet export, which needs polars).

mod commands;
mod export;
mod printing;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "robocarb",
    version,
    about = "Reproduce the robots-and-CO2 study end to end, from raw sources to every table"
)]
struct Cli {
    /// Pipeline file (default: pipelines/paper.toml, searched upward from the current folder).
    #[arg(long, global = true, env = "ROBOCARB_PIPELINE")]
    pipeline: Option<PathBuf>,
    /// Sources file that points sources at your own files (see README).
    #[arg(long, global = true, env = "ROBOCARB_SOURCES")]
    sources: Option<PathBuf>,
    /// Store folder (default: cache/ beside pipelines/).
    #[arg(long, global = true, env = "ROBOCARB_CACHE")]
    cache: Option<PathBuf>,
    /// Output folder for published tables and the report (default: out/ beside pipelines/).
    #[arg(long, global = true, env = "ROBOCARB_OUT")]
    out: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the named nodes and everything they need (all nodes when none is named).
    Run {
        nodes: Vec<String>,
        /// Re-execute this node even if it is cached (repeatable).
        #[arg(long)]
        force: Vec<String>,
        /// Show what would execute, execute nothing.
        #[arg(long)]
        dry_run: bool,
        /// Parallel tasks.
        #[arg(long, short = 'j', default_value_t = default_jobs())]
        jobs: usize,
        /// Print `{"executed": [...], "cached": [...]}`.
        #[arg(long)]
        json: bool,
    },
    /// Every node: fresh, stale or missing, with the reason. Executes nothing.
    Status {
        nodes: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Why a node is not fresh: each changed part, old -> new, down to the root cause.
    Why { node: String },
    /// The graph, coloured by state.
    Dag {
        #[arg(long, value_enum, default_value_t = DagFormat::Text)]
        format: DagFormat,
    },
    /// Print a node's artifact (the first rows of a table).
    Show {
        node: String,
        /// Output name (default: the node's main output).
        #[arg(long)]
        output: Option<String>,
        #[arg(long, default_value_t = 20)]
        rows: usize,
    },
    /// Write a node's artifact to a file.
    Export {
        node: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        #[arg(long)]
        output: Option<String>,
    },
    /// Maintain the store.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Validate every source (schema, types, encoding, sheet, city names) without running the
    /// graph, and report coverage: cities x years per source, study cities missing, crosswalk
    /// matches and replacements, city-years with every variable each table needs. Exit 1 when a
    /// source is invalid, 0 otherwise. Uses the global --sources FILE.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Generate the synthetic twin's raw files.
    Synth {
        #[arg(long, default_value_t = 20240401)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        cities: Option<usize>,
        /// Years as A..B (inclusive), e.g. 2006..2019.
        #[arg(long)]
        years: Option<String>,
        /// AR(1) coefficient of the CO2 equation's error (default 0.4).
        #[arg(long, allow_hyphen_values = true)]
        rho_eps: Option<f64>,
        /// Scale of the group differences in the city slopes of ROBOT (default 1; 0 = one slope).
        #[arg(long)]
        slope_heterogeneity: Option<f64>,
        /// The process under which every estimator of the paper is correctly specified
        /// (rho_eps 0, one slope); the explicit options above override it.
        #[arg(long)]
        well_specified: bool,
    },
}

#[derive(Subcommand)]
enum CacheAction {
    /// Remove blobs and entries no node's last build refers to.
    Gc {
        #[arg(long)]
        dry_run: bool,
    },
    /// Re-hash every blob and check every entry; exit 1 on any problem.
    Verify,
}

#[derive(Clone, Copy, ValueEnum)]
enum DagFormat {
    Dot,
    Mermaid,
    Text,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum ExportFormat {
    Csv,
    Parquet,
    Json,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RUST_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            std::process::exit(2);
        }
    }
}

/// The error and its causes joined by `: `, skipping a cause whose text its wrapper already
/// shows (errors whose message embeds their `source` would otherwise print it twice).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn dispatch(cli: Cli) -> Result<i32> {
    if let Command::Synth {
        seed,
        out,
        cities,
        years,
        rho_eps,
        slope_heterogeneity,
        well_specified,
    } = &cli.command
    {
        let mut process = if *well_specified {
            robocarb_synth::TwinProcess::well_specified()
        } else {
            robocarb_synth::TwinProcess::default()
        };
        if let Some(r) = rho_eps {
            process.rho_eps = *r;
        }
        if let Some(h) = slope_heterogeneity {
            process.slope_heterogeneity = *h;
        }
        return commands::synth(*seed, out, *cities, years.as_deref(), process);
    }
    // Before loading the graph: a sources file naming a missing file is reported, not refused.
    if let Command::Check { json } = &cli.command {
        return commands::check(cli.pipeline.as_deref(), cli.sources.as_deref(), *json);
    }
    let ctx = commands::Context::open(
        cli.pipeline.as_deref(),
        cli.sources.as_deref(),
        cli.cache.as_deref(),
        cli.out.as_deref(),
    )
    .context("loading the pipeline")?;
    match cli.command {
        Command::Run {
            nodes,
            force,
            dry_run,
            jobs,
            json,
        } => ctx.run(&nodes, &force, dry_run, jobs, json),
        Command::Status { nodes, json } => ctx.status(&nodes, json),
        Command::Why { node } => ctx.why(&node),
        Command::Dag { format } => ctx.dag(match format {
            DagFormat::Dot => "dot",
            DagFormat::Mermaid => "mermaid",
            DagFormat::Text => "text",
        }),
        Command::Show { node, output, rows } => ctx.show(&node, output.as_deref(), rows),
        Command::Export {
            node,
            out,
            format,
            output,
        } => ctx.export(
            &node,
            output.as_deref(),
            &out,
            match format {
                ExportFormat::Csv => "csv",
                ExportFormat::Parquet => "parquet",
                ExportFormat::Json => "json",
            },
        ),
        Command::Cache {
            action: CacheAction::Gc { dry_run },
        } => ctx.gc(dry_run),
        Command::Cache {
            action: CacheAction::Verify,
        } => ctx.verify(),
        Command::Synth { .. } | Command::Check { .. } => unreachable!("handled above"),
    }
}
