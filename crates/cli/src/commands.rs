//! The subcommands: each loads what it needs, calls the engine, and prints.

use crate::printing::Printer;
use anyhow::{bail, Context as _, Result};
use robocarb_dag::{
    Binding, Engine, EngineError, LocalExecutor, LocalStore, NodeState, Outcome, RunOptions, Store,
    StoreLock,
};
use robocarb_pipeline::Pipeline;
use robocarb_slurm::{SlurmConfig, SlurmExecutor};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where `run` sends its tasks.
#[derive(Clone, Copy)]
enum Runner<'a> {
    Local(usize),
    Slurm(&'a SlurmExecutor),
}

pub struct Context {
    pub pipeline: Pipeline,
    pub store: LocalStore,
    pub cache_dir: PathBuf,
    pub out_dir: PathBuf,
}

fn find_pipeline() -> Result<PathBuf> {
    let mut dir = std::env::current_dir().context("current folder")?;
    loop {
        let candidate = dir.join("pipelines").join("paper.toml");
        if candidate.exists() {
            return Ok(candidate);
        }
        if !dir.pop() {
            bail!("no pipelines/paper.toml in this folder or above it; run inside the robocarb repository or pass --pipeline FILE");
        }
    }
}

/// `robocarb multiverse NAME --list`: the dimensions, options and number of specifications,
/// from the declarations alone (nothing is read or run).
pub fn multiverse_list(pipeline: Option<&Path>, name: &str, json: bool) -> Result<i32> {
    let file = match pipeline {
        Some(p) => p.to_path_buf(),
        None => find_pipeline()?,
    };
    let all = robocarb_pipeline::declared_multiverses(&file)?;
    let Some(mv) = all.iter().find(|m| m.name == name) else {
        let known: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
        bail!(
            "no multiverse `{name}` in {}; declared: {}",
            file.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    };
    let specs = mv.specifications();
    if json {
        let rows: Vec<serde_json::Value> = specs
            .iter()
            .map(|s| {
                serde_json::json!({
                    "node": mv.spec_node(&s.labels),
                    "labels": mv.dimensions.iter().map(|d| d.name.clone()).zip(s.labels.iter().cloned()).collect::<std::collections::BTreeMap<_, _>>(),
                    "formula": s.choice.formula(),
                    "vcov": s.choice.vcov,
                    "sample": s.choice.sample,
                    "years": s.choice.years,
                    "upstream": s.choice.variant_tag(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(0);
    }
    println!("multiverse `{}` (data: {})", mv.name, mv.data);
    let total: usize = mv.dimensions.iter().map(|d| d.options.len()).product();
    for d in &mv.dimensions {
        let labels: Vec<&str> = d.options.iter().map(|o| o.label.as_str()).collect();
        println!(
            "  {:<10} {} options: {}",
            d.name,
            labels.len(),
            labels.join(", ")
        );
    }
    let variants: BTreeSet<String> = specs
        .iter()
        .map(|s| s.choice.variant_tag())
        .filter(|t| !t.is_empty())
        .collect();
    println!(
        "{} specifications ({total} combinations, {} excluded); {} upstream variant(s); joint inference: {} draws, seed {}",
        specs.len(),
        total - specs.len(),
        variants.len(),
        mv.bootstrap_reps,
        mv.seed
    );
    Ok(0)
}

/// `robocarb check`: print the check of every source; exit 1 when one is invalid.
pub fn check(pipeline: Option<&Path>, sources: Option<&Path>, json: bool) -> Result<i32> {
    let file = match pipeline {
        Some(p) => p.to_path_buf(),
        None => find_pipeline()?,
    };
    let report = robocarb_pipeline::check_sources(&file, sources)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(report.exit_code())
}

impl Context {
    pub fn open(
        pipeline: Option<&Path>,
        sources: Option<&Path>,
        cache: Option<&Path>,
        out: Option<&Path>,
        multiverses: &robocarb_pipeline::MultiverseSelection,
    ) -> Result<Self> {
        let file = match pipeline {
            Some(p) => p.to_path_buf(),
            None => find_pipeline()?,
        };
        let registry = robocarb_pipeline::registry();
        let pipeline = robocarb_pipeline::load_with(&file, sources, &registry, multiverses)?;
        let cache_dir = cache
            .map(Path::to_path_buf)
            .unwrap_or_else(|| pipeline.root.join("cache"));
        let out_dir = out
            .map(Path::to_path_buf)
            .unwrap_or_else(|| pipeline.root.join("out"));
        let store = LocalStore::open(&cache_dir)
            .with_context(|| format!("opening the store at {}", cache_dir.display()))?;
        Ok(Context {
            pipeline,
            store,
            cache_dir,
            out_dir,
        })
    }

    fn engine(&self) -> Engine<'_> {
        Engine::new(&self.pipeline.graph, &self.store)
    }

    fn check_nodes(&self, nodes: &[String]) -> Result<()> {
        for n in nodes {
            if self.pipeline.graph.node(n).is_none() {
                let names: Vec<&str> = self
                    .pipeline
                    .graph
                    .nodes()
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect();
                bail!("unknown node `{n}`; nodes: {}", names.join(", "));
            }
        }
        Ok(())
    }

    /// What `robocarb multiverse NAME` runs: the multiverse's summary and the report (which then
    /// shows it).
    pub fn multiverse_targets(&self, name: &str) -> Vec<String> {
        let mut t = vec![name.to_string()];
        if self.pipeline.graph.node("report").is_some() {
            t.push("report".into());
        }
        t
    }

    /// Print the multiverse's one-screen summary (`summary.md` of its node).
    pub fn print_multiverse_summary(&self, name: &str) -> Result<()> {
        let engine = self.engine();
        let Some(outputs) = engine.current_outputs(name)? else {
            bail!("the multiverse `{name}` has no results for the current inputs");
        };
        let Some(hash) = outputs.get("summary.md") else {
            bail!("the multiverse node `{name}` has no summary.md");
        };
        let Some(bytes) = self.store.get_blob(hash)? else {
            bail!("summary.md of `{name}` is missing from the store");
        };
        println!("\n{}", String::from_utf8_lossy(&bytes));
        println!(
            "files: {}",
            self.out_dir.join("multiverse").join(name).display()
        );
        Ok(())
    }

    pub fn run(
        &self,
        nodes: &[String],
        force: &[String],
        dry_run: bool,
        jobs: usize,
        json: bool,
    ) -> Result<i32> {
        self.run_with(nodes, force, dry_run, json, Runner::Local(jobs.max(1)))
    }

    /// `run --executor slurm`: the same run, each wave's tasks submitted as job arrays.
    pub fn run_on_slurm(
        &self,
        nodes: &[String],
        force: &[String],
        dry_run: bool,
        json: bool,
        executor: &SlurmExecutor,
    ) -> Result<i32> {
        let code = self.run_with(nodes, force, dry_run, json, Runner::Slurm(executor))?;
        executor
            .finish()
            .with_context(|| format!("removing the run folder {}", executor.run_dir().display()))?;
        Ok(code)
    }

    fn run_with(
        &self,
        nodes: &[String],
        force: &[String],
        dry_run: bool,
        json: bool,
        runner: Runner<'_>,
    ) -> Result<i32> {
        self.check_nodes(nodes)?;
        self.check_nodes(force)?;
        let _lock = if dry_run {
            None
        } else {
            match StoreLock::try_exclusive(&self.cache_dir)? {
                Some(l) => Some(l),
                None => {
                    eprintln!(
                        "waiting for another robocarb run on {} to finish...",
                        self.cache_dir.display()
                    );
                    Some(StoreLock::exclusive(&self.cache_dir)?)
                }
            }
        };
        let mut groups: std::collections::BTreeMap<String, u64> = Default::default();
        for n in self.pipeline.graph.nodes() {
            if n.op.name() == "multiverse_spec" {
                if let Some((g, _)) = n.name.split_once('[') {
                    *groups.entry(g.to_string()).or_default() += 1;
                }
            }
        }
        let printer = Printer::new(!json).with_groups(groups);
        let opts = RunOptions {
            targets: nodes.to_vec(),
            force: force.iter().cloned().collect(),
            dry_run,
        };
        let start = std::time::Instant::now();
        let result = match runner {
            Runner::Local(threads) => {
                self.engine()
                    .run(&opts, &LocalExecutor { threads }, &printer)
            }
            Runner::Slurm(executor) => self.engine().run_remote(&opts, executor, &printer),
        };
        printer.finish();
        let slurm_stats = match runner {
            Runner::Slurm(executor) => Some(executor.stats()),
            Runner::Local(_) => None,
        };
        let report = match result {
            Ok(r) => r,
            Err(EngineError::Failed { failures, report }) => {
                // What did complete is published (the report shows the failed tables).
                if !dry_run {
                    self.publish(&report)?;
                }
                if json {
                    println!("{}", run_json(&report, slurm_stats.as_ref())?);
                }
                let mut msg = String::from("the run failed:\n");
                for (node, m) in failures {
                    match self.pipeline.declared_at.get(&node) {
                        Some((file, line)) => msg.push_str(&format!(
                            "  {node} (declared at {}:{line}): {m}\n",
                            file.display()
                        )),
                        None => msg.push_str(&format!("  {node}: {m}\n")),
                    }
                }
                msg.push_str("nothing was written to the store for the failed nodes; fix the input and run again");
                bail!(msg);
            }
            Err(e) => return Err(e.into()),
        };
        if !dry_run {
            self.publish(&report)?;
        }
        if json {
            println!("{}", run_json(&report, slurm_stats.as_ref())?);
        } else {
            let executed = report.executed().len();
            let cached = report.cached().len();
            let would = report
                .nodes
                .iter()
                .filter(|n| n.outcome == Outcome::WouldExecute)
                .count();
            if dry_run {
                println!("dry run: {would} node(s) would execute, {cached} cached");
            } else if executed == 0 {
                println!(
                    "nothing to do: all {cached} node(s) cached ({:.0} ms)",
                    start.elapsed().as_secs_f64() * 1e3
                );
            } else {
                println!(
                    "{executed} executed, {cached} cached in {:.2} s; tables in {}",
                    start.elapsed().as_secs_f64(),
                    self.out_dir.display()
                );
            }
        }
        Ok(0)
    }

    /// Write the outputs of every node with a `publish` folder under the output directory (only
    /// files whose content changed are rewritten).
    fn publish(&self, report: &robocarb_dag::RunReport) -> Result<()> {
        let engine = self.engine();
        // Only nodes that completed in this run; a failed node's last build may be from other inputs.
        let ran: BTreeSet<&str> = report
            .nodes
            .iter()
            .filter(|n| matches!(n.outcome, Outcome::Executed | Outcome::Cached))
            .map(|n| n.node.as_str())
            .collect();
        let not_produced: BTreeSet<&str> = report
            .nodes
            .iter()
            .filter(|n| matches!(n.outcome, Outcome::Failed | Outcome::Skipped))
            .map(|n| n.node.as_str())
            .collect();
        let anything_executed = !report.executed().is_empty();
        // out/.robocarb-published.json: published path -> what it was made from, so a no-op run
        // neither re-reads every artifact nor rewrites the report.
        let manifest_path = self.out_dir.join(".robocarb-published.json");
        let before: std::collections::BTreeMap<String, String> = std::fs::read(&manifest_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let mut published = before.clone();
        for node in self.pipeline.graph.nodes() {
            let Some(dir) = &node.publish else { continue };
            if not_produced.contains(node.name.as_str()) {
                // Files published from an earlier run of a node that failed now are removed, so
                // that out/ never shows a table the current inputs did not produce.
                let prefix = format!("{dir}/");
                let stale: Vec<String> = published
                    .keys()
                    .filter(|rel| rel.starts_with(&prefix))
                    .filter(|rel| {
                        engine
                            .last_outputs(&node.name)
                            .ok()
                            .flatten()
                            .is_some_and(|o| o.contains_key(&rel[prefix.len()..]))
                    })
                    .cloned()
                    .collect();
                for rel in stale {
                    let _ = std::fs::remove_file(self.out_dir.join(&rel));
                    published.remove(&rel);
                }
                continue;
            }
            if !ran.contains(node.name.as_str()) {
                continue;
            }
            let Some(outputs) = engine.last_outputs(&node.name)? else {
                continue;
            };
            let target = self.out_dir.join(dir);
            std::fs::create_dir_all(&target)
                .with_context(|| format!("creating {}", target.display()))?;
            for (name, hash) in &outputs {
                if name == "report_input.json" {
                    continue;
                }
                // A table output `X.frame` is published as `X.parquet` (the store's encoding is
                // not for readers; the CLI is the one place that writes parquet).
                let file_name = match name.strip_suffix(".frame") {
                    Some(stem) => format!("{stem}.parquet"),
                    None => name.clone(),
                };
                let path = target.join(&file_name);
                let rel = format!("{dir}/{file_name}");
                let is_report = name == "report.html" && outputs.contains_key("report_input.json");
                // What the published file was made from: the blob, or for the live report its input
                // (it is regenerated whenever anything executed, to show this run's states and times).
                let origin = match (is_report, outputs.get("report_input.json")) {
                    (true, Some(h)) => format!("report:{h}"),
                    _ => hash.to_string(),
                };
                let unchanged = published.get(&rel) == Some(&origin) && path.exists();
                if unchanged && (!is_report || !anything_executed) {
                    continue;
                }
                let Some(mut bytes) = self.store.get_blob(hash)? else {
                    bail!("output {name} of {} is missing from the store", node.name)
                };
                if name.ends_with(".frame") {
                    let frame = robocarb_panel::Frame::decode(&bytes)
                        .with_context(|| format!("output {name} of {}", node.name))?;
                    bytes = crate::export::parquet(&frame)?;
                }
                if is_report {
                    if let Some(h) = outputs.get("report_input.json") {
                        if let Some(input) = self.store.get_blob(h)? {
                            bytes = crate::printing::live_report(&input, self, report)?;
                        }
                    }
                }
                if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
                    if let Some(p) = path.parent() {
                        std::fs::create_dir_all(p)?;
                    }
                    let tmp = path.with_extension("robocarb-tmp");
                    std::fs::write(&tmp, &bytes)
                        .with_context(|| format!("writing {}", tmp.display()))?;
                    std::fs::rename(&tmp, &path)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                published.insert(rel, origin);
            }
        }
        if published != before {
            std::fs::create_dir_all(&self.out_dir)?;
            let tmp = manifest_path.with_extension("tmp");
            std::fs::write(&tmp, serde_json::to_vec_pretty(&published)?)?;
            std::fs::rename(&tmp, &manifest_path)?;
        }
        Ok(())
    }

    pub fn status(&self, nodes: &[String], json: bool) -> Result<i32> {
        self.check_nodes(nodes)?;
        let st = self.engine().status(nodes)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&st)?);
            return Ok(0);
        }
        let width = st.iter().map(|s| s.node.len()).max().unwrap_or(4);
        for s in &st {
            let state = match (s.state, s.direct) {
                (NodeState::Fresh, _) => "fresh",
                (NodeState::Missing, _) => "missing",
                (NodeState::Stale, true) => "stale",
                (NodeState::Stale, false) => "stale (upstream)",
            };
            println!("{:<width$}  {state}", s.node);
            for r in &s.reasons {
                println!("{:<width$}    {r}", "");
            }
        }
        let fresh = st.iter().filter(|s| s.state == NodeState::Fresh).count();
        println!("{fresh} of {} node(s) fresh", st.len());
        Ok(0)
    }

    pub fn why(&self, node: &str) -> Result<i32> {
        self.check_nodes(&[node.to_string()])?;
        let chain = self.engine().why(node)?;
        match chain.first() {
            Some(s) if s.state == NodeState::Fresh => {
                println!("{node} is fresh: nothing it depends on has changed since its last build");
                return Ok(0);
            }
            None => return Ok(0),
            _ => {}
        }
        for s in &chain {
            let state = match s.state {
                NodeState::Fresh => "fresh",
                NodeState::Stale => "stale",
                NodeState::Missing => "missing",
            };
            println!(
                "{} ({state}{})",
                s.node,
                if s.direct {
                    ""
                } else {
                    ", because of upstream"
                }
            );
            for r in &s.reasons {
                println!("  {r}");
            }
        }
        Ok(0)
    }

    pub fn dag(&self, format: &str) -> Result<i32> {
        let st = self.engine().status(&[])?;
        let state = |n: &str| {
            st.iter()
                .find(|s| s.node == n)
                .map(|s| s.state)
                .unwrap_or(NodeState::Missing)
        };
        let g = &self.pipeline.graph;
        let mut out = String::new();
        match format {
            "dot" => {
                out.push_str(
                    "digraph robocarb {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
                );
                for name in g.sources.keys() {
                    out.push_str(&format!(
                        "  \"source:{name}\" [shape=note, label=\"{name}\"];\n"
                    ));
                }
                for n in g.nodes() {
                    let color = match state(&n.name) {
                        NodeState::Fresh => "palegreen",
                        NodeState::Stale => "gold",
                        NodeState::Missing => "lightgrey",
                    };
                    out.push_str(&format!(
                        "  \"{}\" [shape=box, style=filled, fillcolor={color}, label=\"{}\\n{}\"];\n",
                        n.name,
                        n.name,
                        n.op.name()
                    ));
                }
                for n in g.nodes() {
                    for b in n.inputs.values() {
                        let from = match b {
                            Binding::Source(s) => format!("source:{s}"),
                            Binding::Node(t) => t.clone(),
                        };
                        out.push_str(&format!("  \"{from}\" -> \"{}\";\n", n.name));
                    }
                }
                out.push_str("}\n");
            }
            "mermaid" => {
                out.push_str("graph LR\n");
                for n in g.nodes() {
                    let class = match state(&n.name) {
                        NodeState::Fresh => "fresh",
                        NodeState::Stale => "stale",
                        NodeState::Missing => "missing",
                    };
                    out.push_str(&format!(
                        "  {}[\"{}<br/>{}\"]:::{class}\n",
                        n.name,
                        n.name,
                        n.op.name()
                    ));
                }
                for n in g.nodes() {
                    for b in n.inputs.values() {
                        match b {
                            Binding::Source(s) => {
                                out.push_str(&format!("  src_{s}[/\"{s}\"/] --> {}\n", n.name))
                            }
                            Binding::Node(t) => out.push_str(&format!("  {t} --> {}\n", n.name)),
                        }
                    }
                }
                out.push_str("  classDef fresh fill:#cfc;\n  classDef stale fill:#fd6;\n  classDef missing fill:#ddd;\n");
            }
            _ => {
                for n in g.nodes() {
                    let s = match state(&n.name) {
                        NodeState::Fresh => "fresh",
                        NodeState::Stale => "stale",
                        NodeState::Missing => "missing",
                    };
                    let inputs: Vec<String> = n
                        .inputs
                        .iter()
                        .map(|(slot, b)| match b {
                            Binding::Source(s) => format!("{slot}=source:{s}"),
                            Binding::Node(t) => format!("{slot}={t}"),
                        })
                        .collect();
                    out.push_str(&format!(
                        "{} [{}] ({s}) <- {}\n",
                        n.name,
                        n.op.name(),
                        inputs.join(", ")
                    ));
                }
            }
        }
        print!("{out}");
        Ok(0)
    }

    /// The chosen output of a node's last build: its name, bytes, and the names of all the
    /// node's outputs.
    fn artifact(&self, node: &str, output: Option<&str>) -> Result<(String, Vec<u8>, Vec<String>)> {
        self.check_nodes(&[node.to_string()])?;
        let engine = self.engine();
        // The build for the current sources and pipeline, wherever it sits in the store's history;
        // only when there is none, the last build, said so (it was made from other inputs).
        let outputs = match engine.current_outputs(node)? {
            Some(outputs) => outputs,
            None => match engine.last_outputs(node)? {
                Some(outputs) => {
                    eprintln!(
                        "warning: `{node}` is not up to date with the current sources and pipeline; \
                         this is its last build (`robocarb why {node}` says what changed, \
                         `robocarb run {node}` rebuilds it)"
                    );
                    outputs
                }
                None => {
                    bail!("node `{node}` has not been built yet; run `robocarb run {node}` first")
                }
            },
        };
        let name = match output {
            Some(o) => o.to_string(),
            None => robocarb_pipeline::main_output(&outputs.keys().cloned().collect::<Vec<_>>())
                .ok_or_else(|| anyhow::anyhow!("node `{node}` has no outputs"))?,
        };
        let Some(hash) = outputs.get(&name) else {
            bail!(
                "node `{node}` has no output `{name}`; outputs: {}",
                outputs.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        };
        let Some(bytes) = self.store.get_blob(hash)? else {
            bail!("output `{name}` of `{node}` is missing or corrupted in the store; run `robocarb run {node}` to recompute it");
        };
        Ok((name, bytes, outputs.keys().cloned().collect()))
    }

    pub fn show(&self, node: &str, output: Option<&str>, rows: usize) -> Result<i32> {
        let (name, bytes, outputs) = self.artifact(node, output)?;
        println!(
            "{node}: output `{name}` ({} bytes); outputs: {}",
            bytes.len(),
            outputs.join(", ")
        );
        match robocarb_panel::Frame::decode(&bytes) {
            Ok(frame) => print!("{}", crate::printing::frame_preview(&frame, rows)),
            Err(_) => {
                let text = String::from_utf8_lossy(&bytes);
                for line in text.lines().take(rows.max(40)) {
                    println!("{line}");
                }
            }
        }
        Ok(0)
    }

    pub fn export(
        &self,
        node: &str,
        output: Option<&str>,
        out: &Path,
        format: &str,
    ) -> Result<i32> {
        let (name, bytes, _) = self.artifact(node, output)?;
        let data = match robocarb_panel::Frame::decode(&bytes) {
            // Any output, table or not, as stored (e.g. a specification's `null.f64`).
            _ if format == "raw" => bytes,
            Ok(frame) => match format {
                "csv" => frame.to_csv().into_bytes(),
                "json" => frame.to_json().into_bytes(),
                _ => crate::export::parquet(&frame)?,
            },
            Err(_) => {
                // Not a table (a rendered table or report): export the bytes as they are for csv/json
                // when they already are that format.
                let is_json = name.ends_with(".json");
                let is_csv = name.ends_with(".csv");
                match format {
                    "json" if is_json => bytes,
                    "csv" if is_csv => bytes,
                    "json" => serde_json::to_vec_pretty(&String::from_utf8_lossy(&bytes))?,
                    _ => bail!("output `{name}` of `{node}` is not a table; export it with --format json, or pick a table output with --output"),
                }
            }
        };
        if let Some(p) = out.parent() {
            if !p.as_os_str().is_empty() {
                std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
            }
        }
        std::fs::write(out, data).with_context(|| format!("writing {}", out.display()))?;
        println!("wrote {} ({node}/{name}, {format})", out.display());
        Ok(0)
    }

    pub fn gc(&self, dry_run: bool) -> Result<i32> {
        let _lock = StoreLock::exclusive(&self.cache_dir)?;
        let mut keep_actions = BTreeSet::new();
        let mut keep_blobs = BTreeSet::new();
        for (_, record) in self.store.list_records()? {
            for key in record.tasks.values() {
                keep_actions.insert(*key);
                if let Some(entry) = self.store.get_action(key)? {
                    keep_blobs.extend(entry.outputs.values().copied());
                }
            }
        }
        let mut removed_actions = 0;
        let mut removed_blobs = 0;
        let mut bytes = 0u64;
        for (path, entry) in self.store.list_actions()? {
            if entry
                .map(|e| keep_actions.contains(&e.key))
                .unwrap_or(false)
            {
                continue;
            }
            removed_actions += 1;
            if !dry_run {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        }
        for h in self.store.list_blobs()? {
            if keep_blobs.contains(&h) {
                continue;
            }
            removed_blobs += 1;
            bytes += std::fs::metadata(self.store.blob_file(&h))
                .map(|m| m.len())
                .unwrap_or(0);
            if !dry_run {
                self.store.remove_blob(&h)?;
            }
        }
        let tmp = self.store.list_tmp()?;
        if !dry_run {
            for t in &tmp {
                let _ = std::fs::remove_file(t);
            }
        }
        println!(
            "{}{removed_actions} action entr{}, {removed_blobs} blob(s) ({:.1} KiB), {} temp file(s){}",
            if dry_run { "would remove " } else { "removed " },
            if removed_actions == 1 { "y" } else { "ies" },
            bytes as f64 / 1024.0,
            tmp.len(),
            if dry_run { " (dry run)" } else { "" }
        );
        Ok(0)
    }

    pub fn verify(&self) -> Result<i32> {
        let mut problems = Vec::new();
        let blobs = self.store.list_blobs()?;
        for h in &blobs {
            if !self.store.has_valid_blob(h)? {
                problems.push(format!(
                    "blob {} does not match its hash (corrupted or truncated)",
                    h.short()
                ));
            }
        }
        let actions = self.store.list_actions()?;
        for (path, entry) in &actions {
            match entry {
                None => problems.push(format!("action entry {} is damaged", path.display())),
                Some(e) => {
                    if e.manifest.key() != e.key {
                        problems.push(format!(
                            "action entry {} does not match its manifest",
                            path.display()
                        ));
                    }
                    for (name, h) in &e.outputs {
                        if !blobs.contains(h) {
                            problems.push(format!(
                                "action {} output `{name}` refers to missing blob {}",
                                e.key.short(),
                                h.short()
                            ));
                        }
                    }
                }
            }
        }
        for (node, record) in self.store.list_records()? {
            for (p, key) in &record.tasks {
                if self.store.get_action(key)?.is_none() {
                    problems.push(format!(
                        "node {node}{} refers to missing action {}",
                        if p.is_empty() {
                            String::new()
                        } else {
                            format!("@{p}")
                        },
                        key.short()
                    ));
                }
            }
        }
        let tmp = self.store.list_tmp()?;
        println!(
            "checked {} blob(s), {} action entr{}; {} leftover temp file(s) (harmless; `cache gc` removes them)",
            blobs.len(),
            actions.len(),
            if actions.len() == 1 { "y" } else { "ies" },
            tmp.len()
        );
        if problems.is_empty() {
            println!("store is valid");
            Ok(0)
        } else {
            for p in &problems {
                println!("problem: {p}");
            }
            println!(
                "{} problem(s); `robocarb run` recomputes whatever is damaged",
                problems.len()
            );
            Ok(1)
        }
    }
}

fn run_json(
    report: &robocarb_dag::RunReport,
    slurm: Option<&robocarb_slurm::SlurmStats>,
) -> Result<String> {
    let pick = |o: Outcome| -> Vec<&str> {
        report
            .nodes
            .iter()
            .filter(|n| n.outcome == o)
            .map(|n| n.node.as_str())
            .collect()
    };
    let mut v = serde_json::json!({
        "executed": pick(Outcome::Executed),
        "cached": pick(Outcome::Cached),
        "would_execute": pick(Outcome::WouldExecute),
        "failed": pick(Outcome::Failed),
        "skipped": pick(Outcome::Skipped),
        "nodes": report.nodes,
    });
    if let Some(stats) = slurm {
        v["slurm"] = serde_json::to_value(stats)?;
    }
    Ok(serde_json::to_string_pretty(&v)?)
}

pub fn synth(
    seed: u64,
    out: &Path,
    cities: Option<usize>,
    years: Option<&str>,
    process: robocarb_synth::TwinProcess,
) -> Result<i32> {
    let mut config = robocarb_synth::SynthConfig {
        seed,
        process,
        ..Default::default()
    };
    if let Some(c) = cities {
        config.cities = c;
    }
    if let Some(y) = years {
        let (a, b) = y
            .split_once("..")
            .ok_or_else(|| anyhow::anyhow!("--years must look like 2006..2019, got `{y}`"))?;
        let a: i32 = a
            .trim()
            .parse()
            .with_context(|| format!("--years: `{a}` is not a year"))?;
        let b: i32 = b
            .trim()
            .trim_start_matches('=')
            .parse()
            .with_context(|| format!("--years: `{b}` is not a year"))?;
        if b < a {
            bail!("--years: the last year {b} is before the first {a}");
        }
        config.years = (a, b);
    }
    let summary = robocarb_synth::generate(&config, out)
        .with_context(|| format!("generating the twin into {}", out.display()))?;
    println!(
        "wrote {} file(s) to {}: {} cities in {} provinces, {}..{}; {} resource-based, {} pilots, {} municipalities/plan cities; ROBOT mean {:.3}, max {:.3} (thousand)",
        summary.files.len(),
        out.display(),
        summary.cities,
        summary.provinces,
        summary.years.0,
        summary.years.1,
        summary.resource_based,
        summary.smart_city_pilots,
        summary.plan_cities,
        summary.robot_mean,
        summary.robot_max
    );
    Ok(0)
}

/// What `robocarb fit` is asked (formula and options as typed).
pub struct FitArgs<'a> {
    pub formula: &'a str,
    pub data: &'a str,
    pub vcov: Option<&'a str>,
    pub estimator: Option<&'a str>,
    pub sample: Option<&'a str>,
    pub years: Option<&'a str>,
    pub json: bool,
}

impl Context {
    /// Estimate a formula on a node's table (built first when it is not current) and print the
    /// result; nothing is written to the store beyond building the data node.
    pub fn fit(&self, a: &FitArgs<'_>) -> Result<i32> {
        let models = self
            .pipeline
            .declarations
            .resolve(&robocarb_pipeline::declare::ModelText {
                formula: a.formula,
                estimator: a.estimator,
                vcov: a.vcov,
                sample: a.sample,
                years: a.years,
                sample_name: None,
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        self.check_nodes(&[a.data.to_string()])?;
        if self.engine().current_outputs(a.data)?.is_none() {
            let _lock = StoreLock::exclusive(&self.cache_dir)?;
            let opts = RunOptions {
                targets: vec![a.data.to_string()],
                ..Default::default()
            };
            self.engine()
                .run(&opts, &LocalExecutor { threads: 2 }, &robocarb_dag::Silent)
                .map_err(|e| anyhow::anyhow!("building `{}`: {e}", a.data))?;
        }
        let (_, bytes, _) = self.artifact(a.data, Some("table"))?;
        let frame = robocarb_panel::Frame::decode(&bytes)
            .with_context(|| format!("the `table` output of `{}`", a.data))?;
        let mut results = Vec::with_capacity(models.len());
        for m in &models {
            let r = robocarb_pipeline::ops::model::fit_model(&frame, m, a.data)
                .map_err(|e| anyhow::anyhow!("{}: {e}", m.spec.formula))?;
            results.push(r);
        }
        if a.json {
            let values: Vec<serde_json::Value> = results
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(&r.column)?;
                    if let Some(o) = v.as_object_mut() {
                        o.insert("model".into(), serde_json::Value::String(r.name.clone()));
                        o.remove("label");
                    }
                    Ok(v)
                })
                .collect::<Result<_, serde_json::Error>>()?;
            let out = if values.len() == 1 {
                serde_json::to_string_pretty(&values[0])?
            } else {
                serde_json::to_string_pretty(&values)?
            };
            println!("{out}");
        } else {
            let doc = robocarb_report::TableDoc {
                table: "fit".into(),
                title: format!("{} on `{}`", a.formula, a.data),
                columns: results
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut c = r.column.clone();
                        c.label = format!("({})", i + 1);
                        c.controls = false;
                        c
                    })
                    .collect(),
                rows: Vec::new(),
                notes: results
                    .iter()
                    .enumerate()
                    .map(|(i, r)| format!("({}) {}", i + 1, r.name))
                    .collect(),
            };
            let text = robocarb_report::render(&doc, robocarb_report::Format::Markdown)?;
            print!("{text}");
        }
        Ok(0)
    }
}

/// The Slurm executor from the config file and the command line (the command line wins).
pub fn slurm_executor(
    ctx: &Context,
    sources: Option<&Path>,
    args: &crate::ClusterArgs,
) -> Result<SlurmExecutor> {
    let mut config = match &args.slurm_config {
        Some(f) => SlurmConfig::from_file(f)?,
        None => SlurmConfig::default(),
    };
    if let Some(p) = &args.slurm_partition {
        config.partition = Some(p.clone());
    }
    if let Some(a) = &args.slurm_account {
        config.account = Some(a.clone());
    }
    for o in &args.slurm_opt {
        config.opts.extend(o.split_whitespace().map(str::to_string));
    }
    if let Some(t) = args.slurm_throttle {
        config.throttle = t;
    }
    if let Some(t) = args.slurm_tasks_per_job {
        config.tasks_per_job = t;
    }
    if let Some(p) = args.slurm_poll {
        config.poll_seconds = p;
    }
    if let Some(r) = &args.slurm_run_id {
        config.run_id = Some(r.clone());
    }
    config.check("the --slurm-* options")?;
    // Jobs start elsewhere: every path they get is absolute.
    let absolute = |p: &Path| -> Result<String> {
        Ok(std::path::absolute(p)
            .with_context(|| format!("making {} absolute", p.display()))?
            .display()
            .to_string())
    };
    let exe = std::env::current_exe().context("finding the robocarb binary for the jobs")?;
    let mut worker = vec![
        exe.display().to_string(),
        "--pipeline".into(),
        absolute(&ctx.pipeline.file)?,
        "--cache".into(),
        absolute(&ctx.cache_dir)?,
    ];
    if let Some(s) = sources {
        worker.push("--sources".into());
        worker.push(absolute(s)?);
    }
    worker.push("worker".into());
    SlurmExecutor::new(config, worker, &ctx.cache_dir)
        .with_context(|| format!("preparing the run folder under {}", ctx.cache_dir.display()))
}

impl Context {
    /// One array element's tasks (the `worker` subcommand); exit status 1 when any task failed.
    pub fn worker(&self, tasks: &Path, element: usize) -> Result<i32> {
        let failed =
            robocarb_slurm::run_element(&self.pipeline.graph, &self.store, tasks, element)?;
        // The coordinator reads this element's results from the shared store once the job ends.
        self.store.sync_all()?;
        Ok(i32::from(failed > 0))
    }
}
