//! How one wave's tasks become job arrays: one array per resource class, consecutive tasks
//! (partitions of one node stay together) batched into array elements. Pure functions.

use robocarb_dag::{Resources, TaskSpec};
use std::collections::BTreeMap;

/// One array to submit: its resources and, per element, the indices of its tasks in the wave.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayPlan {
    pub resources: Resources,
    pub elements: Vec<Vec<usize>>,
}

/// Group `tasks` by resource class (each task's resources, else `defaults`) and batch each class
/// into elements of `tasks_per_job` tasks, or, when that is 0, of as few tasks as keep the array
/// at `max_elements` elements or fewer. Classes come in a fixed order (sorted by resources).
pub fn plan_wave(
    tasks: &[TaskSpec],
    defaults: &Resources,
    tasks_per_job: usize,
    max_elements: usize,
) -> Vec<ArrayPlan> {
    let mut classes: BTreeMap<Resources, Vec<usize>> = BTreeMap::new();
    for (i, t) in tasks.iter().enumerate() {
        classes.entry(t.resources.or(defaults)).or_default().push(i);
    }
    classes
        .into_iter()
        .map(|(resources, ix)| {
            let per = if tasks_per_job > 0 {
                tasks_per_job
            } else {
                ix.len().div_ceil(max_elements.max(1))
            };
            ArrayPlan {
                resources,
                elements: ix.chunks(per.max(1)).map(<[usize]>::to_vec).collect(),
            }
        })
        .collect()
}

/// `--array` value for `n` elements, at most `throttle` running at once.
pub fn array_spec(n: usize, throttle: usize) -> String {
    format!("0-{}%{}", n.saturating_sub(1), throttle.clamp(1, n.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use robocarb_dag::{ContentHash, Manifest};

    fn task(node: &str, part: usize, cpus: Option<u32>) -> TaskSpec {
        let manifest = Manifest {
            op: "op".into(),
            code: "c".into(),
            schema_version: 1,
            partition: Some(part.to_string()),
            params: Default::default(),
            inputs: vec![],
        };
        TaskSpec {
            node: node.into(),
            partition: Some(part.to_string()),
            key: ContentHash::of(node.as_bytes()),
            manifest,
            reads: Default::default(),
            failed_inputs: Default::default(),
            resources: Resources {
                cpus,
                ..Default::default()
            },
        }
    }

    #[test]
    fn one_array_per_class_and_batches_bounded() {
        let defaults = Resources {
            cpus: Some(1),
            mem: Some("2G".into()),
            time: Some("01:00:00".into()),
        };
        let mut tasks: Vec<TaskSpec> = (0..10).map(|p| task("dea", p, None)).collect();
        tasks.push(task("big", 0, Some(2)));
        tasks.push(task("small", 0, Some(1)));
        let plans = plan_wave(&tasks, &defaults, 0, 4);
        assert_eq!(plans.len(), 2, "{plans:?}");
        // cpus = 1 (given or by default) is one class: 11 tasks in at most 4 elements of 3.
        assert_eq!(
            plans[0].elements,
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8], vec![9, 11]]
        );
        assert_eq!(plans[1].resources.cpus, Some(2));
        assert_eq!(plans[1].elements, vec![vec![10]]);
        let fixed = plan_wave(&tasks, &defaults, 5, 4);
        assert_eq!(fixed[0].elements.len(), 3);
        assert!(fixed[0].elements.iter().all(|e| e.len() <= 5));
    }

    #[test]
    fn array_spec_throttles() {
        assert_eq!(array_spec(10, 4), "0-9%4");
        assert_eq!(array_spec(2, 16), "0-1%2");
        assert_eq!(array_spec(1, 16), "0-0%1");
    }
}
