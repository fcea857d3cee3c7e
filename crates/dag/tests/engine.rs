//! End-to-end tests of the engine on a small generic pipeline:
//! source -> parse -> split (one output per year) -> per_year (partitioned by year)
//!                                                -> pairs (partitioned by adjacent years) -> gather

use robocarb_dag::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Counter {
    runs: Mutex<Vec<String>>,
}
impl Counter {
    fn take(&self) -> Vec<String> {
        let mut v = std::mem::take(&mut *self.runs.lock().unwrap());
        v.sort();
        v
    }
    fn hit(&self, what: String) {
        self.runs.lock().unwrap().push(what);
    }
}

struct TestOp {
    name: &'static str,
    code: Arc<Mutex<String>>,
    counter: Arc<Counter>,
}

impl Operation for TestOp {
    fn name(&self) -> &str {
        self.name
    }
    fn code_fingerprint(&self) -> String {
        self.code.lock().unwrap().clone()
    }
    fn slots(&self) -> Vec<SlotSpec> {
        match self.name {
            "parse" => vec![SlotSpec {
                name: "file",
                kind: SlotKind::Source,
                required: true,
            }],
            _ => vec![SlotSpec {
                name: "data",
                kind: SlotKind::Node,
                required: true,
            }],
        }
    }
    fn partitions(
        &self,
        _p: &Params,
        up: &BTreeMap<String, Vec<String>>,
    ) -> Result<Option<Vec<PartitionPlan>>, OpError> {
        let Some(years) = up.get("data") else {
            return Ok(None);
        };
        let plan = |key: String, outs: Vec<String>| PartitionPlan {
            key,
            reads: BTreeMap::from([("data".to_string(), outs)]),
        };
        match self.name {
            "per_year" => Ok(Some(
                years
                    .iter()
                    .map(|y| plan(y.clone(), vec![y.clone()]))
                    .collect(),
            )),
            "pairs" => Ok(Some(
                years
                    .windows(2)
                    .map(|w| {
                        plan(
                            format!("{}-{}", w[0], w[1]),
                            vec![w[0].clone(), w[1].clone()],
                        )
                    })
                    .collect(),
            )),
            _ => Ok(None),
        }
    }
    fn run(&self, ctx: &TaskContext<'_>) -> Result<Outputs, OpError> {
        self.counter.hit(format!(
            "{}{}",
            self.name,
            ctx.partition.map(|p| format!("@{p}")).unwrap_or_default()
        ));
        let mut out = Outputs::new();
        match self.name {
            "parse" => {
                let s = ctx.source("file")?;
                let text =
                    std::fs::read_to_string(&s.path).map_err(|e| OpError::new(e.to_string()))?;
                // Canonical form: trimmed non-empty lines, so an appended newline changes nothing.
                let lines: Vec<&str> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect();
                out.insert("table".into(), lines.join("\n").into_bytes());
            }
            "split" => {
                let t = String::from_utf8(ctx.node_output("data", "table")?.to_vec()).unwrap();
                for line in t.lines() {
                    let (y, v) = line
                        .split_once(',')
                        .ok_or_else(|| OpError::new("bad line"))?;
                    out.insert(y.to_string(), v.as_bytes().to_vec());
                }
            }
            "per_year" | "pairs" => {
                let mut sum = 0.0;
                for b in ctx.node_outputs("data")?.values() {
                    sum += std::str::from_utf8(b)
                        .unwrap()
                        .parse::<f64>()
                        .map_err(|e| OpError::new(e.to_string()))?;
                }
                out.insert("sum".into(), sum.to_string().into_bytes());
            }
            "gather" => {
                let all: Vec<String> = ctx
                    .node_outputs("data")?
                    .iter()
                    .map(|(k, v)| format!("{k}={}", String::from_utf8_lossy(v)))
                    .collect();
                out.insert("all".into(), all.join(";").into_bytes());
            }
            _ => unreachable!(),
        }
        Ok(out)
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    counter: Arc<Counter>,
    codes: BTreeMap<&'static str, Arc<Mutex<String>>>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("data.csv"),
            "2013,1\n2014,2\n2015,3\n2016,4\n2017,5\n",
        )
        .unwrap();
        let codes = ["parse", "split", "per_year", "pairs", "gather"]
            .into_iter()
            .map(|n| (n, Arc::new(Mutex::new(format!("crate:{n}=v1")))))
            .collect();
        Fixture {
            dir,
            counter: Arc::new(Counter::default()),
            codes,
        }
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data.csv")
    }

    fn graph(&self) -> Graph {
        let op = |name: &'static str| -> Arc<dyn Operation> {
            Arc::new(TestOp {
                name,
                code: self.codes[name].clone(),
                counter: self.counter.clone(),
            })
        };
        let node = |name: &str, opn: &'static str, input: Binding| NodeSpec {
            name: name.into(),
            op: op(opn),
            params: Params::new(),
            inputs: BTreeMap::from([(
                if opn == "parse" { "file" } else { "data" }.to_string(),
                input,
            )]),
            publish: None,
            resources: Default::default(),
        };
        let sources = BTreeMap::from([(
            "raw".to_string(),
            SourceSpec {
                name: "raw".into(),
                path: self.data(),
                options: BTreeMap::new(),
            },
        )]);
        Graph::new(
            vec![
                node("gather", "gather", Binding::Node("pairs".into())),
                node("parse", "parse", Binding::Source("raw".into())),
                node("split", "split", Binding::Node("parse".into())),
                node("per_year", "per_year", Binding::Node("split".into())),
                node("pairs", "pairs", Binding::Node("split".into())),
            ],
            sources,
        )
        .unwrap()
    }

    fn store(&self) -> LocalStore {
        LocalStore::open(self.dir.path().join("cache")).unwrap()
    }

    fn run(&self, jobs: usize) -> RunReport {
        let g = self.graph();
        let store = self.store();
        Engine::new(&g, &store)
            .run(
                &RunOptions::default(),
                &LocalExecutor { threads: jobs },
                &Silent,
            )
            .unwrap()
    }

    fn status(&self) -> Vec<NodeStatus> {
        let g = self.graph();
        let store = self.store();
        Engine::new(&g, &store).status(&[]).unwrap()
    }

    fn output(&self, node: &str) -> BTreeMap<String, ContentHash> {
        let g = self.graph();
        let store = self.store();
        Engine::new(&g, &store).last_outputs(node).unwrap().unwrap()
    }
}

fn states(st: &[NodeStatus]) -> Vec<(String, NodeState, bool)> {
    st.iter()
        .map(|s| (s.node.clone(), s.state, s.direct))
        .collect()
}

#[test]
fn second_run_executes_nothing() {
    let f = Fixture::new();
    let r1 = f.run(2);
    assert_eq!(r1.executed().len(), 5);
    assert_eq!(f.counter.take().len(), 1 + 1 + 5 + 4 + 1);
    let r2 = f.run(2);
    assert!(r2.executed().is_empty());
    assert_eq!(r2.cached().len(), 5);
    assert!(f.counter.take().is_empty());
    assert!(
        r2.sources_read.is_empty(),
        "unchanged source re-read: {:?}",
        r2.sources_read
    );
    assert!(f.status().iter().all(|s| s.state == NodeState::Fresh));
}

#[test]
fn appended_newline_is_cut_off_after_parse() {
    let f = Fixture::new();
    f.run(1);
    f.counter.take();
    let mut text = std::fs::read_to_string(f.data()).unwrap();
    text.push('\n');
    std::fs::write(f.data(), text).unwrap();
    let st = f.status();
    let direct: Vec<&str> = st
        .iter()
        .filter(|s| s.state != NodeState::Fresh && s.direct)
        .map(|s| s.node.as_str())
        .collect();
    assert_eq!(direct, vec!["parse"], "{:?}", states(&st));
    let r = f.run(2);
    assert_eq!(r.executed(), vec!["parse"]);
    assert_eq!(f.counter.take(), vec!["parse"]);
}

#[test]
fn one_partition_change_reruns_only_what_reads_it_and_revert_is_free() {
    let f = Fixture::new();
    f.run(2);
    let before = f.output("gather");
    f.counter.take();
    let original = std::fs::read_to_string(f.data()).unwrap();
    std::fs::write(f.data(), original.replace("2015,3", "2015,30")).unwrap();

    let st = f.status();
    let stale: Vec<&str> = st
        .iter()
        .filter(|s| s.state == NodeState::Stale)
        .map(|s| s.node.as_str())
        .collect();
    assert_eq!(
        stale.len(),
        5,
        "every node downstream of the changed file is listed: {:?}",
        states(&st)
    );

    // why names the file and the old -> new hash.
    let g = f.graph();
    let store = f.store();
    let why = Engine::new(&g, &store).why("gather").unwrap();
    let parse = why.iter().find(|s| s.node == "parse").unwrap();
    assert!(
        parse
            .reasons
            .iter()
            .any(|r| r.starts_with("input source:raw (")
                && r.contains("data.csv")
                && r.contains(" -> ")),
        "{:?}",
        parse.reasons
    );

    f.run(2);
    assert_eq!(
        f.counter.take(),
        vec![
            "gather",
            "pairs@2014-2015",
            "pairs@2015-2016",
            "parse",
            "per_year@2015",
            "split"
        ]
    );
    assert_ne!(f.output("gather"), before);

    // Revert: everything comes back from the store, nothing executes.
    std::fs::write(f.data(), original).unwrap();
    let r = f.run(2);
    assert!(r.executed().is_empty(), "{:?}", r.executed());
    assert!(f.counter.take().is_empty());
    assert_eq!(f.output("gather"), before);
}

/// After a build from other inputs, the outputs for the current inputs are those cached for them,
/// not the last build's; with no cached build for the current inputs there are none.
#[test]
fn current_outputs_follow_the_current_inputs_not_the_last_build() {
    let f = Fixture::new();
    f.run(1);
    let original = std::fs::read_to_string(f.data()).unwrap();
    let first = f.output("gather");
    let current = |f: &Fixture| {
        let g = f.graph();
        let store = f.store();
        Engine::new(&g, &store).current_outputs("gather").unwrap()
    };
    assert_eq!(current(&f), Some(first.clone()));

    std::fs::write(f.data(), original.replace("2015,3", "2015,30")).unwrap();
    assert_eq!(current(&f), None, "not built for these inputs yet");
    f.run(1);
    let second = f.output("gather");
    assert_ne!(second, first);

    // Back to the first inputs without running: the last build is the second one, but the
    // outputs for the current inputs are the first build's.
    std::fs::write(f.data(), original).unwrap();
    assert_eq!(f.output("gather"), second);
    assert_eq!(current(&f), Some(first));
}

#[test]
fn touching_a_file_executes_nothing() {
    let f = Fixture::new();
    f.run(1);
    f.counter.take();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(10);
    std::fs::File::options()
        .write(true)
        .open(f.data())
        .unwrap()
        .set_modified(later)
        .unwrap();
    let r = f.run(1);
    assert!(r.executed().is_empty());
    assert_eq!(
        r.sources_read,
        vec!["raw"],
        "the stat changed, so the file is re-hashed once"
    );
    let r = f.run(1);
    assert!(r.sources_read.is_empty());
}

#[test]
fn code_change_reaches_only_its_nodes() {
    let f = Fixture::new();
    f.run(2);
    f.counter.take();
    *f.codes["pairs"].lock().unwrap() = "crate:pairs=v2".into();
    let st = f.status();
    let not_fresh: Vec<(String, NodeState, bool)> = states(&st)
        .into_iter()
        .filter(|s| s.1 != NodeState::Fresh)
        .collect();
    assert_eq!(
        not_fresh,
        vec![
            ("pairs".to_string(), NodeState::Stale, true),
            ("gather".to_string(), NodeState::Stale, false)
        ]
    );
    let pairs = st.iter().find(|s| s.node == "pairs").unwrap();
    assert!(
        pairs
            .reasons
            .iter()
            .any(|r| r.contains("code crate:pairs changed v1 -> v2")),
        "{:?}",
        pairs.reasons
    );
    f.run(2);
    // pairs reruns; its outputs are the same bytes, so gather is cut off.
    assert_eq!(
        f.counter.take(),
        vec![
            "pairs@2013-2014",
            "pairs@2014-2015",
            "pairs@2015-2016",
            "pairs@2016-2017"
        ]
    );
}

#[test]
fn corrupted_blob_is_recomputed() {
    let f = Fixture::new();
    f.run(1);
    f.counter.take();
    let h = f.output("gather")["all"];
    let store = f.store();
    let path = store.blob_file(&h);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let st = f.status();
    assert_eq!(
        st.iter().find(|s| s.node == "gather").unwrap().state,
        NodeState::Stale
    );
    f.run(1);
    assert_eq!(f.counter.take(), vec!["gather"]);
    assert!(store.has_valid_blob(&h).unwrap());
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let a = Fixture::new();
    let b = Fixture::new();
    a.run(1);
    b.run(8);
    for n in ["parse", "split", "per_year", "pairs", "gather"] {
        assert_eq!(a.output(n), b.output(n), "node {n}");
    }
}

#[test]
fn force_reruns_and_dry_run_executes_nothing() {
    let f = Fixture::new();
    let g = f.graph();
    let store = f.store();
    let engine = Engine::new(&g, &store);
    let dry = engine
        .run(
            &RunOptions {
                dry_run: true,
                ..Default::default()
            },
            &LocalExecutor { threads: 1 },
            &Silent,
        )
        .unwrap();
    assert!(f.counter.take().is_empty());
    assert!(
        dry.nodes.iter().all(|n| n.outcome == Outcome::WouldExecute),
        "{:?}",
        dry.nodes
    );
    engine
        .run(
            &RunOptions::default(),
            &LocalExecutor { threads: 1 },
            &Silent,
        )
        .unwrap();
    f.counter.take();
    let opts = RunOptions {
        force: ["split".to_string()].into(),
        ..Default::default()
    };
    let r = engine
        .run(&opts, &LocalExecutor { threads: 1 }, &Silent)
        .unwrap();
    assert_eq!(r.executed(), vec!["split"]);
}

#[test]
fn cycles_and_unknown_inputs_are_reported() {
    let f = Fixture::new();
    let counter = f.counter.clone();
    let op = |name: &'static str| -> Arc<dyn Operation> {
        Arc::new(TestOp {
            name,
            code: Arc::new(Mutex::new(String::new())),
            counter: counter.clone(),
        })
    };
    let node = |name: &str, input: &str| NodeSpec {
        name: name.into(),
        op: op("split"),
        params: Params::new(),
        inputs: BTreeMap::from([("data".to_string(), Binding::Node(input.into()))]),
        publish: None,
        resources: Default::default(),
    };
    let err = Graph::new(
        vec![node("a", "c"), node("b", "a"), node("c", "b")],
        BTreeMap::new(),
    )
    .err()
    .unwrap();
    assert_eq!(err.to_string(), "cycle in the graph: a -> b -> c -> a");
    let err = Graph::new(vec![node("a", "nope")], BTreeMap::new())
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "node `a`: input `data` names unknown node `nope`"
    );
}

#[test]
fn failing_task_leaves_store_valid_and_skips_downstream() {
    let f = Fixture::new();
    f.run(1);
    std::fs::write(f.data(), "2013,1\n2014,oops\n").unwrap();
    let g = f.graph();
    let store = f.store();
    let err = Engine::new(&g, &store)
        .run(
            &RunOptions::default(),
            &LocalExecutor { threads: 2 },
            &Silent,
        )
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("per_year: partition 2014") || msg.contains("pairs: partition"),
        "{msg}"
    );
    assert!(store.list_tmp().unwrap().is_empty());
}
