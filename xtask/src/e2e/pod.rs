//! How Kubernetes would run a service's container, as the rendered workload says, turned into
//! the container engine's `run` options, so the image check starts each image the way its pod
//! will: as the user the `securityContext` names, with a read-only root filesystem and only
//! `/tmp` writable (the `emptyDir`) where it says so, the capabilities it drops and adds, no
//! privilege escalation, and the `PORT` the pod sets.
//!
//! `runAsNonRoot` has no engine flag: the kubelet checks it before starting the container
//! (`verifyRunAsNonRoot` in kubernetes/kubernetes `pkg/kubelet/kuberuntime/security_context_others.go`),
//! and so does [`refusal`], with the kubelet's rule: a `runAsUser` decides; otherwise the
//! image's user must be a number other than 0.

use std::path::Path;

use anyhow::{Context as _, Result};
use serde_yaml_ng::Value;

/// The `securityContext` of a service's pod and its container, merged as Kubernetes merges
/// them (the container's fields win).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pod {
    /// `runAsUser`.
    pub user: Option<u64>,
    /// `runAsGroup`.
    pub group: Option<u64>,
    /// `runAsNonRoot: true`.
    pub non_root: bool,
    /// `readOnlyRootFilesystem: true`.
    pub read_only: bool,
    /// `allowPrivilegeEscalation: false`.
    pub no_new_privileges: bool,
    /// Capabilities dropped.
    pub drop: Vec<String>,
    /// Capabilities added.
    pub add: Vec<String>,
}

impl Pod {
    /// The pod of service `name` in the rendered base (`deploy/kubernetes/base/<name>/workload.yaml`).
    pub fn read(checkout: &Path, name: &str) -> Result<Pod> {
        let path = checkout.join(format!("deploy/kubernetes/base/{name}/workload.yaml"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let doc: Value = serde_yaml_ng::from_str(&text)
            .with_context(|| format!("{} is not YAML", path.display()))?;
        let spec = if doc["kind"] == "CronJob" {
            &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        } else {
            &doc["spec"]["template"]["spec"]
        };
        Ok(Pod::of(
            &spec["securityContext"],
            &spec["containers"][0]["securityContext"],
        ))
    }

    /// The merged context of a pod's `pod` and `container` security contexts.
    pub fn of(pod: &Value, container: &Value) -> Pod {
        let field = |key: &str| {
            if container[key].is_null() {
                pod[key].clone()
            } else {
                container[key].clone()
            }
        };
        let names = |value: &Value| -> Vec<String> {
            value
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        Pod {
            user: field("runAsUser").as_u64(),
            group: field("runAsGroup").as_u64(),
            non_root: field("runAsNonRoot") == true,
            read_only: container["readOnlyRootFilesystem"] == true,
            no_new_privileges: container["allowPrivilegeEscalation"] == false,
            drop: names(&container["capabilities"]["drop"]),
            add: names(&container["capabilities"]["add"]),
        }
    }

    /// The `run` options that start a container as this pod would, with `PORT` set to `port`.
    /// podman mounts tmpfs on `/tmp`, `/var/tmp` and `/run` of a read-only container by
    /// default; Kubernetes makes only the `emptyDir` at `/tmp` writable, so that is turned off.
    pub fn options(&self, port: Option<u16>, podman: bool) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(user) = self.user {
            out.push("--user".to_owned());
            out.push(match self.group {
                Some(group) => format!("{user}:{group}"),
                None => user.to_string(),
            });
        }
        if self.read_only {
            out.push("--read-only".to_owned());
            if podman {
                out.push("--read-only-tmpfs=false".to_owned());
            }
            // An emptyDir: writable by every user, and programs may run from it.
            out.extend(["--tmpfs".to_owned(), "/tmp:rw,exec,mode=1777".to_owned()]);
        }
        if self.no_new_privileges {
            out.extend(["--security-opt".to_owned(), "no-new-privileges".to_owned()]);
        }
        for capability in &self.drop {
            out.extend(["--cap-drop".to_owned(), capability.clone()]);
        }
        for capability in &self.add {
            out.extend(["--cap-add".to_owned(), capability.clone()]);
        }
        if let Some(port) = port {
            out.extend(["-e".to_owned(), format!("PORT={port}")]);
        }
        out
    }

    /// Why the kubelet would refuse to start this pod's container from an image whose own
    /// user (its config's `User`) is `image_user`, or `None` when it would start it.
    pub fn refusal(&self, image_user: &str) -> Option<String> {
        if !self.non_root {
            return None;
        }
        match self.user {
            Some(0) => Some("runAsNonRoot with runAsUser 0".to_owned()),
            Some(_) => None,
            None => {
                let uid = image_user.split(':').next().unwrap_or_default();
                match uid.parse::<u64>() {
                    Ok(0) => Some("runAsNonRoot, and the image runs as root".to_owned()),
                    Ok(_) => None,
                    Err(_) if uid.is_empty() => {
                        Some("runAsNonRoot, and the image sets no user (root)".to_owned())
                    }
                    Err(_) => Some(format!(
                        "runAsNonRoot, and the image's user `{uid}` is not a number the kubelet can check"
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(pod: &str, container: &str) -> Pod {
        Pod::of(
            &serde_yaml_ng::from_str(pod).unwrap(),
            &serde_yaml_ng::from_str(container).unwrap(),
        )
    }

    #[test]
    fn scaffolds_context_runs_read_only_as_its_user() {
        let p = pod(
            "{runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000}",
            "{runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}",
        );
        assert_eq!(
            p.options(Some(3000), true).join(" "),
            "--user 1000:1000 --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,exec,mode=1777 --security-opt no-new-privileges --cap-drop ALL -e PORT=3000"
        );
        assert_eq!(p.refusal("node"), None, "runAsUser decides");
    }

    #[test]
    fn a_kept_images_context_runs_as_the_image_says() {
        let p = pod(
            "{seccompProfile: {type: RuntimeDefault}}",
            "{allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: {drop: [NET_RAW]}}",
        );
        assert_eq!(
            p.options(None, false).join(" "),
            "--security-opt no-new-privileges --cap-drop NET_RAW"
        );
        assert_eq!(p.refusal(""), None);
    }

    #[test]
    fn the_kubelets_non_root_check() {
        let p = pod("{runAsNonRoot: true}", "{}");
        assert_eq!(p.refusal("1000"), None);
        assert_eq!(p.refusal("1000:1000"), None);
        assert!(
            p.refusal("node")
                .unwrap()
                .contains("`node` is not a number")
        );
        assert!(p.refusal("0").unwrap().contains("root"));
        assert!(p.refusal("").unwrap().contains("root"));
    }
}
