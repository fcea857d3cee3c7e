//! Terminal output: one line per node as it finishes, progress bars for long nodes, and the run
//! information block that the published HTML report gets.

use crate::commands::Context;
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use robocarb_dag::{EventSink, NodeRun, Outcome, RunReport};

use std::collections::BTreeMap;
use std::sync::Mutex;

pub struct Printer {
    lines: bool,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
    /// Many-node groups (a multiverse's specifications `NAME[...]`): one bar and one closing line
    /// per group instead of a line per node. Group -> (nodes, finished, executed, time ms).
    groups: Mutex<BTreeMap<String, GroupCount>>,
}

#[derive(Default)]
struct GroupCount {
    total: u64,
    finished: u64,
    executed: u64,
    ms: f64,
}

impl Printer {
    pub fn new(lines: bool) -> Self {
        Printer {
            lines,
            bars: Mutex::new(BTreeMap::new()),
            groups: Mutex::new(BTreeMap::new()),
        }
    }

    /// Report the nodes `NAME[...]` of each group as one progress bar (`totals`: group -> nodes).
    pub fn with_groups(self, totals: BTreeMap<String, u64>) -> Self {
        if let Ok(mut g) = self.groups.lock() {
            for (name, total) in totals {
                g.insert(
                    name,
                    GroupCount {
                        total,
                        ..GroupCount::default()
                    },
                );
            }
        }
        self
    }

    /// Count a finished node of a group; true when it belongs to one (then no line is printed
    /// unless it failed).
    fn grouped(&self, run: &NodeRun) -> bool {
        let Some(group) = run.node.split_once('[').map(|(g, _)| g) else {
            return false;
        };
        let Ok(mut groups) = self.groups.lock() else {
            return false;
        };
        let Some(c) = groups.get_mut(group) else {
            return false;
        };
        c.finished += 1;
        if run.outcome == Outcome::Executed {
            c.executed += 1;
            c.ms += run.duration_ms;
        }
        if !self.lines {
            return true;
        }
        let label = format!("{group} specifications");
        if let Ok(mut bars) = self.bars.lock() {
            let bar = bars.entry(label.clone()).or_insert_with(|| {
                let b = ProgressBar::new(c.total);
                if let Ok(style) = ProgressStyle::with_template(
                    "{prefix} [{bar:40}] {pos}/{len} (fit + null refits each) {eta}",
                ) {
                    b.set_style(style.progress_chars("=> "));
                }
                b.set_prefix(label.clone());
                b
            });
            bar.set_position(c.finished);
            if c.finished == c.total {
                bar.finish_and_clear();
                bars.remove(&label);
                println!(
                    "{:<13} {label}: {} of {} executed ({:.1} s of task time), {} cached",
                    if c.executed > 0 { "executed" } else { "cached" },
                    c.executed,
                    c.total,
                    c.ms / 1e3,
                    c.total - c.executed
                );
            }
        }
        run.outcome != Outcome::Failed && run.outcome != Outcome::Skipped
    }

    pub fn finish(&self) {
        if let Ok(mut bars) = self.bars.lock() {
            for (_, b) in std::mem::take(&mut *bars) {
                b.finish_and_clear();
            }
        }
    }
}

impl EventSink for Printer {
    fn node_finished(&self, run: &NodeRun) {
        if let Ok(mut bars) = self.bars.lock() {
            if let Some(b) = bars.remove(&run.node) {
                b.finish_and_clear();
            }
        }
        if self.grouped(run) || !self.lines {
            return;
        }
        let what = match run.outcome {
            Outcome::Executed => "executed",
            Outcome::Cached => "cached",
            Outcome::WouldExecute => "would execute",
            Outcome::Failed => "FAILED",
            Outcome::Skipped => "skipped",
        };
        let mut line = format!("{what:<13} {:<14}", run.node);
        if run.outcome == Outcome::Executed {
            line.push_str(&format!(" {:>9.1} ms", run.duration_ms));
            if run.tasks_executed.iter().any(|t| !t.is_empty()) {
                line.push_str(&format!(
                    "  ({} of {} partitions: {})",
                    run.tasks_executed.len(),
                    run.tasks_executed.len() + run.tasks_cached,
                    run.tasks_executed.join(", ")
                ));
            }
        }
        if let Some(e) = &run.error {
            line.push_str(&format!("  {e}"));
        }
        println!("{line}");
    }

    fn progress(&self, node: &str, done: u64, total: u64) {
        if !self.lines {
            return;
        }
        if let Ok(mut bars) = self.bars.lock() {
            let bar = bars.entry(node.to_string()).or_insert_with(|| {
                let b = ProgressBar::new(total);
                if let Ok(style) =
                    ProgressStyle::with_template("{prefix:<14} [{bar:40}] {pos}/{len} {eta}")
                {
                    b.set_style(style.progress_chars("=> "));
                }
                b.set_prefix(node.to_string());
                b
            });
            bar.set_length(total);
            bar.set_position(done);
        }
    }
}

/// The published HTML report: the stored report input plus this run's graph (every node with its
/// state and last duration), the node keys, and git provenance. The artifact in the store stays
/// deterministic; only the published copy carries run information.
pub fn live_report(input_json: &[u8], ctx: &Context, report: &RunReport) -> Result<Vec<u8>> {
    let mut input: robocarb_report::ReportInput = serde_json::from_slice(input_json)?;
    let engine = robocarb_dag::Engine::new(&ctx.pipeline.graph, &ctx.store);
    let statuses = engine.status(&[])?;
    for n in ctx.pipeline.graph.nodes() {
        let state = statuses
            .iter()
            .find(|s| s.node == n.name)
            .map(|s| match s.state {
                robocarb_dag::NodeState::Fresh => "fresh",
                robocarb_dag::NodeState::Stale => "stale",
                robocarb_dag::NodeState::Missing => "never_built",
            })
            .unwrap_or("never_built");
        let state = match report
            .nodes
            .iter()
            .find(|r| r.node == n.name)
            .map(|r| &r.outcome)
        {
            Some(Outcome::Failed) => "failed",
            _ => state,
        };
        let actions = engine.last_actions(&n.name)?;
        let ms: f64 = actions.values().map(|a| a.duration_ms).sum();
        let key = actions
            .values()
            .next()
            .map(|a| a.key.short())
            .unwrap_or_default();
        input.nodes.push(robocarb_report::NodeInfo {
            name: n.name.clone(),
            op: n.op.name().to_string(),
            state: state.to_string(),
            duration_ms: if actions.is_empty() {
                None
            } else {
                Some(ms.round() as u64)
            },
            key: key.clone(),
        });
        input.provenance.node_keys.push((n.name.clone(), key));
        for b in n.inputs.values() {
            if let robocarb_dag::Binding::Node(t) = b {
                input.edges.push((t.clone(), n.name.clone()));
            }
        }
    }
    let (commit, dirty) = git_state(&ctx.pipeline.root);
    input.provenance.git_commit = commit;
    input.provenance.git_dirty = dirty;
    Ok(robocarb_report::html_report(&input).into_bytes())
}

fn git_state(root: &std::path::Path) -> (String, bool) {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(c) => (
            c,
            run(&["status", "--porcelain"])
                .map(|s| !s.is_empty())
                .unwrap_or(false),
        ),
        None => ("(not a git checkout)".into(), false),
    }
}

/// The first `rows` rows of a table, aligned.
pub fn frame_preview(frame: &robocarb_panel::Frame, rows: usize) -> String {
    use robocarb_panel::Column;
    // Cells straight from the columns (a CSV round trip would split quoted commas).
    let head = frame.head(rows);
    let mut table: Vec<Vec<String>> = vec![head.names().iter().map(|n| n.to_string()).collect()];
    for row in 0..head.nrows() {
        table.push(
            head.iter()
                .map(|(_, column)| match column {
                    Column::F64(v) if v[row].is_nan() => String::new(),
                    Column::F64(v) => v[row].to_string(),
                    Column::I64(v) => v[row].to_string(),
                    Column::Str(v) => v[row].clone(),
                })
                .collect(),
        );
    }
    let ncols = table.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..ncols)
        .map(|c| {
            table
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
                .min(14)
        })
        .collect();
    let mut out = String::new();
    for r in &table {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c: String = c.chars().take(14).collect();
                format!("{c:>w$}", w = widths[i])
            })
            .collect();
        out.push_str(&cells.join(" "));
        out.push('\n');
    }
    out.push_str(&format!(
        "({} rows x {} columns)\n",
        frame.nrows(),
        frame.ncols()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use robocarb_panel::{Column, Frame};

    #[test]
    fn preview_keeps_commas_inside_cells_and_shows_missing_as_blank() {
        let mut f = Frame::new();
        f.push(
            "name",
            Column::Str(vec!["Xiangyang, Hubei".into(), "Wuhan".into()]),
        )
        .unwrap();
        f.push("co2", Column::F64(vec![1.5, f64::NAN])).unwrap();
        f.push("year", Column::I64(vec![2006, 2007])).unwrap();
        let text = frame_preview(&f, 10);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        // Three columns on every line: the comma stayed inside the first cell.
        assert!(lines[1].contains("Xiangyang, Hub"), "{text}");
        assert!(lines[1].trim_end().ends_with("2006"), "{text}");
        assert!(lines[2].trim_start().starts_with("Wuhan"), "{text}");
        assert_eq!(lines[3], "(2 rows x 3 columns)");
    }
}
