//! `robocarb`: run, inspect and explain the study's data-build graph.
//!
//! This crate only parses arguments, calls the `pipeline` and `dag` crates, and prints. It holds
//! no logic of its own beyond that (and parquet export, which needs polars). The whole program is
//! [`main`]: the `robocarb` binary calls it, and so does the end-to-end tests' copy of the binary
//! (`tests/`), which is how those tests get an up-to-date executable without a build step of their own.

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
    /// Bring a multiverse's nodes into the graph (repeatable; `all` for every one); the report
    /// then shows the first one. A plain run leaves multiverses out.
    #[arg(long, global = true)]
    multiverse: Vec<String>,
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
        /// Print `{"executed": [...], "cached": [...]}` (with `--executor slurm`, also what was
        /// asked of the scheduler under `"slurm"`).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        cluster: ClusterArgs,
    },
    /// Run one element of a Slurm job array: its tasks, against the shared store (what each job
    /// of `run --executor slurm` calls on a compute node).
    #[command(hide = true)]
    Worker {
        /// The array's task list (written by the coordinator).
        #[arg(long)]
        tasks: PathBuf,
        /// The element (`$SLURM_ARRAY_TASK_ID`).
        #[arg(long)]
        element: usize,
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
    /// Estimate a formula on a node's table and print a regression table (nothing is stored).
    /// FORMULA is fixest syntax, `dep ~ regressors | fixed effects | endogenous ~ instruments`,
    /// with the pipeline file's sets and aliases (docs/specifications.md).
    Fit {
        formula: String,
        /// The node whose `table` output is the data.
        #[arg(long, default_value = "panel")]
        data: String,
        /// `iid`, `hetero`, `cluster:VAR` or `cluster:VAR1+VAR2`.
        #[arg(long)]
        vcov: Option<String>,
        /// `ols`, `iv_2sls`, `fgls(panels=hetero, corr=ar1)`, `pcse(pairwise)`, ...
        #[arg(long)]
        estimator: Option<String>,
        /// A filter over the data's columns, e.g. `resource_based == 1 and year >= 2010`.
        #[arg(long)]
        sample: Option<String>,
        /// Years A..B (inclusive).
        #[arg(long)]
        years: Option<String>,
        /// Print the column JSON (an array when the formula expands to several models).
        #[arg(long)]
        json: bool,
    },
    /// Run a multiverse (`[multiverses.NAME]`): every specification, the joint inference and the
    /// report, then print the summary; files in out/multiverse/NAME/. With --list, print its
    /// dimensions, options and number of specifications and run nothing.
    Multiverse {
        name: String,
        /// Print the dimensions, options and the number of specifications; run nothing.
        #[arg(long)]
        list: bool,
        /// With --list: the specifications as JSON (labels and model of each).
        #[arg(long)]
        json: bool,
        /// Parallel tasks.
        #[arg(long, short = 'j', default_value_t = default_jobs())]
        jobs: usize,
        #[command(flatten)]
        cluster: ClusterArgs,
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
        /// Scale of every path from ROBOT to CO2 (default 1; 0 = robots have no effect on CO2,
        /// ROBOT's coefficient is zero in every two-way FE specification; docs/twin.md).
        #[arg(long)]
        robot_effect: Option<f64>,
        /// The process under which every estimator of the paper is correctly specified
        /// (rho_eps 0, one slope); the explicit options above override it.
        #[arg(long)]
        well_specified: bool,
    },
}

/// Where `run` executes tasks, and the cluster's options (docs/cluster.md).
#[derive(clap::Args)]
pub struct ClusterArgs {
    /// `local` (threads of this process) or `slurm` (job arrays on a Slurm cluster; the store must
    /// be on a filesystem every node sees).
    #[arg(long, value_enum, default_value_t = ExecutorKind::Local, env = "ROBOCARB_EXECUTOR")]
    pub executor: ExecutorKind,
    /// Slurm config file (TOML: partition, account, opts, prelude, throttle, resources...); the
    /// options below override it.
    #[arg(long, env = "ROBOCARB_SLURM_CONFIG")]
    pub slurm_config: Option<PathBuf>,
    /// Slurm partition (`sbatch --partition`).
    #[arg(long)]
    pub slurm_partition: Option<String>,
    /// Slurm account (`sbatch --account`).
    #[arg(long)]
    pub slurm_account: Option<String>,
    /// More sbatch options, e.g. `--slurm-opt '--qos=short --constraint=avx2'` (repeatable).
    #[arg(long, allow_hyphen_values = true)]
    pub slurm_opt: Vec<String>,
    /// Array elements of one array running at once (`--array=0-N%K`).
    #[arg(long)]
    pub slurm_throttle: Option<usize>,
    /// Tasks per array element (0: automatic).
    #[arg(long)]
    pub slurm_tasks_per_job: Option<usize>,
    /// Seconds before the first status query; it backs off to `poll_max_seconds`.
    #[arg(long)]
    pub slurm_poll: Option<f64>,
    /// Name of every job of the run (default robocarb-<unix time>-<pid>).
    #[arg(long)]
    pub slurm_run_id: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExecutorKind {
    Local,
    Slurm,
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
    /// The output's bytes as stored (any output, e.g. a specification's `null.f64`).
    Raw,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Parses the command line, runs the command, and exits with its status (2 on error).
pub fn main() {
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
        robot_effect,
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
        if let Some(e) = robot_effect {
            process.robot_effect = *e;
        }
        return commands::synth(*seed, out, *cities, years.as_deref(), process);
    }
    // Before loading the graph: a sources file naming a missing file is reported, not refused.
    if let Command::Check { json } = &cli.command {
        return commands::check(cli.pipeline.as_deref(), cli.sources.as_deref(), *json);
    }
    if let Command::Multiverse {
        name,
        list: true,
        json,
        ..
    } = &cli.command
    {
        return commands::multiverse_list(cli.pipeline.as_deref(), name, *json);
    }
    let mut wanted = cli.multiverse.clone();
    if let Command::Multiverse { name, .. } = &cli.command {
        wanted.push(name.clone());
    }
    let selection = match &cli.command {
        // A worker runs whatever task it is handed, multiverse specifications included.
        Command::Worker { .. } => robocarb_pipeline::MultiverseSelection::All,
        _ if wanted.is_empty() => robocarb_pipeline::MultiverseSelection::None,
        _ if wanted.iter().any(|w| w == "all") => robocarb_pipeline::MultiverseSelection::All,
        _ => robocarb_pipeline::MultiverseSelection::Named(wanted),
    };
    let ctx = commands::Context::open(
        cli.pipeline.as_deref(),
        cli.sources.as_deref(),
        cli.cache.as_deref(),
        cli.out.as_deref(),
        &selection,
    )
    .context("loading the pipeline")?;
    let sources = cli.sources.clone();
    match cli.command {
        Command::Run {
            nodes,
            force,
            dry_run,
            jobs,
            json,
            cluster,
        } => match cluster.executor {
            ExecutorKind::Local => ctx.run(&nodes, &force, dry_run, jobs, json),
            ExecutorKind::Slurm => {
                let executor = commands::slurm_executor(&ctx, sources.as_deref(), &cluster)?;
                ctx.run_on_slurm(&nodes, &force, dry_run, json, &executor)
            }
        },
        Command::Worker { tasks, element } => ctx.worker(&tasks, element),
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
                ExportFormat::Raw => "raw",
            },
        ),
        Command::Fit {
            formula,
            data,
            vcov,
            estimator,
            sample,
            years,
            json,
        } => ctx.fit(&commands::FitArgs {
            formula: &formula,
            data: &data,
            vcov: vcov.as_deref(),
            estimator: estimator.as_deref(),
            sample: sample.as_deref(),
            years: years.as_deref(),
            json,
        }),
        Command::Multiverse {
            name,
            jobs,
            cluster,
            ..
        } => {
            let targets = ctx.multiverse_targets(&name);
            let code = match cluster.executor {
                ExecutorKind::Local => ctx.run(&targets, &[], false, jobs, false)?,
                ExecutorKind::Slurm => {
                    let executor = commands::slurm_executor(&ctx, sources.as_deref(), &cluster)?;
                    ctx.run_on_slurm(&targets, &[], false, false, &executor)?
                }
            };
            ctx.print_multiverse_summary(&name)?;
            Ok(code)
        }
        Command::Cache {
            action: CacheAction::Gc { dry_run },
        } => ctx.gc(dry_run),
        Command::Cache {
            action: CacheAction::Verify,
        } => ctx.verify(),
        Command::Synth { .. } | Command::Check { .. } => unreachable!("handled above"),
    }
}
