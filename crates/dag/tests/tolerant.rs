//! A `NodeOrFailure` slot: the downstream task still runs when the upstream failed, sees its
//! error, and is keyed by it; ordinary slots still skip; the run still reports the failure.
//!
//! a = num(src_a), b = num(src_b), b2 = double(b), summary(a: a, b: b2) with tolerant slots.

use robocarb_dag::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

struct Op {
    name: &'static str,
    runs: Arc<Mutex<Vec<String>>>,
}

impl Operation for Op {
    fn name(&self) -> &str {
        self.name
    }
    fn code_fingerprint(&self) -> String {
        format!("crate:{}=1", self.name)
    }
    fn slots(&self) -> Vec<SlotSpec> {
        let slot = |name, kind| SlotSpec {
            name,
            kind,
            required: true,
        };
        match self.name {
            "num" => vec![slot("file", SlotKind::Source)],
            "double" => vec![slot("x", SlotKind::Node)],
            _ => vec![
                slot("a", SlotKind::NodeOrFailure),
                slot("b", SlotKind::NodeOrFailure),
            ],
        }
    }
    fn run(&self, ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
        self.runs.lock().unwrap().push(ctx.node.to_string());
        let value = match self.name {
            "num" => {
                let text = std::fs::read_to_string(&ctx.source("file")?.path)
                    .map_err(|e| OpError::new(e.to_string()))?;
                let x: f64 = text
                    .trim()
                    .parse()
                    .map_err(|_| OpError::new(format!("not a number: `{}`", text.trim())))?;
                x.to_string()
            }
            "double" => {
                let x: f64 = std::str::from_utf8(ctx.node_output("x", "v")?)
                    .unwrap()
                    .parse()
                    .unwrap();
                (2.0 * x).to_string()
            }
            _ => ["a", "b"]
                .iter()
                .map(|s| match ctx.failed_input(s) {
                    Some((node, error)) => format!("{s}: {node} failed ({error})"),
                    None => format!(
                        "{s}: {}",
                        String::from_utf8_lossy(ctx.node_output(s, "v").unwrap())
                    ),
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        Ok(Outputs::from([("v".to_string(), value.into_bytes())]))
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    runs: Arc<Mutex<Vec<String>>>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "1.5").unwrap();
        std::fs::write(dir.path().join("b.txt"), "oops").unwrap();
        Fixture {
            dir,
            runs: Arc::default(),
        }
    }

    fn graph(&self) -> Graph {
        let node = |name: &str, op: &'static str, inputs: &[(&str, Binding)]| NodeSpec {
            name: name.into(),
            op: Arc::new(Op {
                name: op,
                runs: self.runs.clone(),
            }),
            params: Params::new(),
            inputs: inputs
                .iter()
                .map(|(s, b)| (s.to_string(), b.clone()))
                .collect(),
            publish: None,
            resources: Default::default(),
        };
        let source = |name: &str| {
            (
                name.to_string(),
                SourceSpec {
                    name: name.into(),
                    path: self.dir.path().join(format!("{name}.txt")),
                    options: BTreeMap::new(),
                },
            )
        };
        Graph::new(
            vec![
                node("a", "num", &[("file", Binding::Source("a".into()))]),
                node("b", "num", &[("file", Binding::Source("b".into()))]),
                node("b2", "double", &[("x", Binding::Node("b".into()))]),
                node(
                    "summary",
                    "summary",
                    &[
                        ("a", Binding::Node("a".into())),
                        ("b", Binding::Node("b2".into())),
                    ],
                ),
            ],
            BTreeMap::from([source("a"), source("b")]),
        )
        .unwrap()
    }

    /// Run everything: the report and the failures (empty when the run succeeded).
    fn run(&self) -> (RunReport, Vec<(String, String)>) {
        let g = self.graph();
        let store = LocalStore::open(self.dir.path().join("cache")).unwrap();
        match Engine::new(&g, &store).run(
            &RunOptions::default(),
            &LocalExecutor { threads: 2 },
            &Silent,
        ) {
            Ok(r) => (r, vec![]),
            Err(EngineError::Failed { failures, report }) => (*report, failures),
            Err(e) => panic!("{e}"),
        }
    }

    fn summary(&self) -> String {
        let g = self.graph();
        let store = LocalStore::open(self.dir.path().join("cache")).unwrap();
        let outs = Engine::new(&g, &store)
            .last_outputs("summary")
            .unwrap()
            .unwrap();
        String::from_utf8(store.get_blob(&outs["v"]).unwrap().unwrap()).unwrap()
    }

    fn took(&self) -> Vec<String> {
        let mut v = std::mem::take(&mut *self.runs.lock().unwrap());
        v.sort();
        v
    }
}

fn outcome(r: &RunReport, node: &str) -> Outcome {
    r.nodes
        .iter()
        .find(|n| n.node == node)
        .unwrap()
        .outcome
        .clone()
}

#[test]
fn a_tolerant_slot_runs_with_the_upstream_error_and_the_run_still_fails() {
    let f = Fixture::new();
    let (r, failures) = f.run();
    // The failure is reported; the ordinary downstream is skipped; the tolerant one runs.
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, "b");
    assert_eq!(outcome(&r, "b"), Outcome::Failed);
    assert_eq!(outcome(&r, "b2"), Outcome::Skipped);
    assert_eq!(outcome(&r, "summary"), Outcome::Executed);
    assert_eq!(f.took(), ["a", "b", "summary"]);
    // It sees the root cause, through the skipped node.
    assert_eq!(
        f.summary(),
        "a: 1.5; b: b2 failed (not run: upstream node `b` failed: not a number: `oops`)"
    );
    // The same failure again: the tolerant task is keyed by the error, so it is cached.
    let (r, failures) = f.run();
    assert_eq!(failures.len(), 1);
    assert_eq!(outcome(&r, "summary"), Outcome::Cached);
    assert_eq!(f.took(), ["b"]);
    // Another error: it reruns.
    std::fs::write(f.dir.path().join("b.txt"), "oops again").unwrap();
    let (_, failures) = f.run();
    assert_eq!(failures.len(), 1);
    assert_eq!(f.took(), ["b", "summary"]);
    assert!(f.summary().ends_with("not a number: `oops again`)"));
    // Fixed: everything completes and the summary has both values.
    std::fs::write(f.dir.path().join("b.txt"), "2").unwrap();
    let (r, failures) = f.run();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(outcome(&r, "summary"), Outcome::Executed);
    assert_eq!(f.summary(), "a: 1.5; b: 4");
}

#[test]
fn a_dry_run_does_not_feed_unknown_outputs_to_a_tolerant_slot() {
    let f = Fixture::new();
    std::fs::write(f.dir.path().join("b.txt"), "2").unwrap();
    let g = f.graph();
    let store = LocalStore::open(f.dir.path().join("cache")).unwrap();
    let r = Engine::new(&g, &store)
        .run(
            &RunOptions {
                dry_run: true,
                ..RunOptions::default()
            },
            &LocalExecutor { threads: 1 },
            &Silent,
        )
        .unwrap();
    assert_eq!(outcome(&r, "summary"), Outcome::WouldExecute);
    assert!(f.took().is_empty());
}
