//! `k8s`: the Kubernetes objects that run one test as N execution segments, built from
//! the typed API structs of `k8s-openapi` and printed as YAML for `kubectl apply -f -`.
//!
//! - an Indexed Job (`completionMode: Indexed`, `completions` = `parallelism` = N): pod
//!   `i` runs `run` (or `sweep`) with `--segments N`, which reads its index from the
//!   `JOB_COMPLETION_INDEX` that Kubernetes sets, and a common `--start-at`, writing into
//!   `segment-<i>` of the results volume, then an `exit-<i>` file with its exit code;
//! - a merge Job that waits for the N exit files, runs `merge` and `report`, and exits
//!   with `merge`'s code (99 when the merged test failed an SLO);
//! - a ReadWriteMany PersistentVolumeClaim for the results, unless `--results-pvc` names
//!   one.
//!
//! Each pod's engine runs as many runtime threads as the pod requests cores
//! (`TOKIO_WORKER_THREADS`), not one per core of the node it lands on.
//!
//! No pod is retried (`backoffLimit: 0`): a segment started late would not be aligned with
//! the others, so a pod that dies leaves its segment missing and `merge` refuses the test.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use anyhow::anyhow;
use clap::Parser;
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Container, EnvVar, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodAffinityTerm, PodAntiAffinity, PodSecurityContext,
    PodSpec, PodTemplateSpec, ResourceRequirements, Volume, VolumeMount,
    VolumeResourceRequirements, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use perf_core::segment::{StartAt, SLOT_SLACK};

use crate::cli::{Cli, Cmd, K8sArgs};
use crate::fail::{runtime, usage, Fail};
use crate::plan;

/// Options the manifest sets itself, refused among the run options.
const OWN: [&str; 4] = ["--segment", "--segments", "--start-at", "--out"];

/// Prints the manifest.
pub fn run(a: &K8sArgs) -> Result<u8, Fail> {
    let objects = manifest(a, SystemTime::now())?;
    print!("{}", yaml(&objects).map_err(runtime)?);
    Ok(0)
}

/// The objects, in the order `kubectl apply` should create them.
#[derive(Debug)]
pub struct Objects {
    /// The results volume's claim, when the tool makes one.
    pub pvc: Option<PersistentVolumeClaim>,
    /// The generators: an Indexed Job of N pods.
    pub generators: Job,
    /// The merge Job.
    pub merge: Job,
}

/// The objects as one YAML stream.
pub fn yaml(o: &Objects) -> Result<String, serde_yaml_ng::Error> {
    let mut docs = Vec::new();
    if let Some(p) = &o.pvc {
        docs.push(serde_yaml_ng::to_string(p)?);
    }
    docs.push(serde_yaml_ng::to_string(&o.generators)?);
    docs.push(serde_yaml_ng::to_string(&o.merge)?);
    Ok(docs.join("---\n"))
}

/// Runtime threads for a CPU request: `2` → 2, `500m` → 1; `None` when it is not a
/// plain number of cores or millicores.
fn worker_threads(cpu: &str) -> Option<u64> {
    let cores = match cpu.trim().strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().ok()? / 1000.0,
        None => cpu.trim().parse::<f64>().ok()?,
    };
    (cores.is_finite() && cores > 0.0).then(|| cores.ceil() as u64)
}

/// Quotes a word for `sh`.
fn sh(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The objects for `a`, with the common start `--start-at` or `--start-in` after `now`.
/// The run options are checked here as the pods will parse them, so a manifest that
/// would fail in every pod is never printed.
pub fn manifest(a: &K8sArgs, now: SystemTime) -> Result<Objects, Fail> {
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| format!("perf-{}", a.scenario.replace('_', "-")));
    let dns = |s: &str| {
        !s.is_empty()
            && s.len() <= 52
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    if !dns(&name) {
        return Err(usage(anyhow!(
            "--name: '{name}' is not a Kubernetes name (lower-case letters, digits and '-', at most 52 characters)"
        )));
    }
    if let Some(own) = a.options.iter().find(|o| {
        OWN.iter()
            .any(|x| *o == x || o.starts_with(&format!("{x}=")))
    }) {
        return Err(usage(anyhow!(
            "{own}: set by the manifest for each pod; leave it out of the run options"
        )));
    }
    let start = a.start_at.unwrap_or_else(|| {
        let t = now + a.start_in;
        // Whole seconds, as a person would write it.
        let secs = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        StartAt(SystemTime::UNIX_EPOCH + Duration::from_secs(secs + 1))
    });
    let start_text = chrono::DateTime::<chrono::Utc>::from(start.0)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let verb = if a.sweep { "sweep" } else { "run" };
    // The pods' command line, parsed here as the last segment (the smallest share)
    // would parse it.
    let mut line: Vec<String> = vec!["perf-scenarios".into(), verb.into(), a.scenario.clone()];
    line.extend(a.options.iter().cloned());
    let check: Vec<String> = line
        .iter()
        .cloned()
        .chain([
            "--segment".into(),
            format!("{}/{}", a.segments - 1, a.segments),
        ])
        .chain(["--start-at".into(), start_text.clone()])
        .collect();
    let parsed = Cli::try_parse_from(&check).map_err(|e| {
        let text = e.to_string();
        usage(anyhow!(
            "run options: {}",
            text.lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
        ))
    })?;
    let (plan, common) = match parsed.command {
        Some(Cmd::Run(r)) => (plan::plan_run(&r)?, r.common),
        Some(Cmd::Sweep(s)) => (plan::plan_sweep(&s)?, s.common),
        _ => unreachable!("the verb is run or sweep"),
    };
    if common.host.is_none() {
        return Err(usage(anyhow!(
            "--host: the pods need the target's URL (without it each pod would load an embedded site of its own)"
        )));
    }
    plan::segmented_opts(&common, &plan)?;
    let last = plan.points.last().map_or(Duration::ZERO, |p| p.duration);
    let end = start.point(plan.points.len(), last, common.grace) + SLOT_SLACK;
    let deadline = end
        .duration_since(now)
        .unwrap_or_default()
        .as_secs()
        .saturating_add(600) as i64;

    let dir = sh(&format!("{}/{name}", a.mount.trim_end_matches('/')));
    let words: Vec<String> = line[1..].iter().map(|w| sh(w)).collect();
    let segment_script = format!(
        "d={dir}\nmkdir -p \"$d\"\nperf-scenarios {} --segments {} --start-at {} --out \"$d/segment-$JOB_COMPLETION_INDEX\"\ncode=$?\necho \"$code\" > \"$d/exit-$JOB_COMPLETION_INDEX\"\n# 99 (an SLO failed on this segment's share) is judged after the merge.\n[ \"$code\" -eq 0 ] || [ \"$code\" -eq 99 ]\n",
        words.join(" "),
        a.segments,
        sh(&start_text),
    );
    let merge_script = format!(
        "d={dir}\nuntil [ \"$(ls \"$d\"/exit-* 2>/dev/null | wc -l)\" -ge {n} ]; do sleep 5; done\nperf-scenarios merge \"$d\"/segment-*/* --out \"$d/merged\"\ncode=$?\n[ \"$code\" -eq 2 ] || perf-scenarios report \"$d/merged\" --models \"$d/models\" || true\nexit \"$code\"\n",
        n = a.segments,
    );

    let claim = a
        .results_pvc
        .clone()
        .unwrap_or_else(|| format!("{name}-results"));
    let labels = |role: &str| {
        BTreeMap::from([
            (
                "app.kubernetes.io/name".to_string(),
                "perf-scenarios".to_string(),
            ),
            ("app.kubernetes.io/instance".to_string(), name.clone()),
            ("perf-ml/role".to_string(), role.to_string()),
        ])
    };
    let meta = |n: String, role: &str| ObjectMeta {
        name: Some(n),
        namespace: Some(a.namespace.clone()),
        labels: Some(labels(role)),
        ..ObjectMeta::default()
    };
    let quantity = |cpu: &str, mem: &str| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.to_string())),
            ("memory".to_string(), Quantity(mem.to_string())),
        ])
    };
    // The engine's runtime threads: the pod's CPU request, not the node's cores.
    let threads = worker_threads(&a.cpu).map(|n| {
        vec![EnvVar {
            name: "TOKIO_WORKER_THREADS".into(),
            value: Some(n.to_string()),
            ..EnvVar::default()
        }]
    });
    let pod = |role: &str, script: String, spread: bool| PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(role)),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            restart_policy: Some("Never".into()),
            // The image's user (the Dockerfile's 10001) can write to the results volume.
            security_context: Some(PodSecurityContext {
                run_as_user: Some(10001),
                fs_group: Some(10001),
                ..PodSecurityContext::default()
            }),
            containers: vec![Container {
                name: role.to_string(),
                image: Some(a.image.clone()),
                command: Some(vec!["sh".into(), "-c".into(), script]),
                env: threads.clone(),
                resources: Some(ResourceRequirements {
                    requests: Some(quantity(&a.cpu, &a.memory)),
                    ..ResourceRequirements::default()
                }),
                volume_mounts: Some(vec![VolumeMount {
                    name: "results".into(),
                    mount_path: a.mount.clone(),
                    ..VolumeMount::default()
                }]),
                ..Container::default()
            }],
            volumes: Some(vec![Volume {
                name: "results".into(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim.clone(),
                    read_only: None,
                }),
                ..Volume::default()
            }]),
            // Generators on different nodes where the cluster has them: one generator's
            // limits are the reason for segments.
            affinity: spread.then(|| Affinity {
                pod_anti_affinity: Some(PodAntiAffinity {
                    preferred_during_scheduling_ignored_during_execution: Some(vec![
                        WeightedPodAffinityTerm {
                            weight: 100,
                            pod_affinity_term: PodAffinityTerm {
                                topology_key: "kubernetes.io/hostname".into(),
                                label_selector: Some(LabelSelector {
                                    match_labels: Some(labels(role)),
                                    ..LabelSelector::default()
                                }),
                                ..PodAffinityTerm::default()
                            },
                        },
                    ]),
                    ..PodAntiAffinity::default()
                }),
                ..Affinity::default()
            }),
            ..PodSpec::default()
        }),
    };
    let n = a.segments as i32;
    let generators = Job {
        metadata: meta(name.clone(), "generator"),
        spec: Some(JobSpec {
            completion_mode: Some("Indexed".into()),
            completions: Some(n),
            parallelism: Some(n),
            backoff_limit: Some(0),
            active_deadline_seconds: Some(deadline),
            template: pod("generator", segment_script, true),
            ..JobSpec::default()
        }),
        ..Job::default()
    };
    let merge = Job {
        metadata: meta(format!("{name}-merge"), "merge"),
        spec: Some(JobSpec {
            completions: Some(1),
            parallelism: Some(1),
            backoff_limit: Some(0),
            active_deadline_seconds: Some(deadline.saturating_add(600)),
            template: pod("merge", merge_script, false),
            ..JobSpec::default()
        }),
        ..Job::default()
    };
    let pvc = a.results_pvc.is_none().then(|| PersistentVolumeClaim {
        metadata: meta(claim.clone(), "results"),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteMany".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(a.storage.clone()),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    });
    Ok(Objects {
        pvc,
        generators,
        merge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_requests_become_runtime_threads_and_words_are_quoted_for_sh() {
        assert_eq!(worker_threads("1"), Some(1));
        assert_eq!(worker_threads("2"), Some(2));
        assert_eq!(worker_threads("500m"), Some(1));
        assert_eq!(worker_threads("1500m"), Some(2));
        assert_eq!(worker_threads("lots"), None);
        assert_eq!(worker_threads("0"), None);
        assert_eq!(sh("p95<50ms"), "'p95<50ms'");
        assert_eq!(sh("it's"), r"'it'\''s'");
    }
}
