//! Whose Dockerfile builds a service's image, and how Kubernetes runs what it builds.
//!
//! scaffold's own Dockerfile runs the app as a fixed non-root user that writes only to
//! `/tmp`, so its pods get the whole Pod Security `restricted` context: that user by number,
//! a read-only root filesystem, no capabilities. A Dockerfile the repository already had is
//! the user's: scaffold keeps it and builds it, and knows only what the file says. Its pods
//! run as its `USER` (by number when it is one), keep a writable root filesystem (where the
//! image writes is unknown), and keep the hardening that fits any image: no privilege
//! escalation, the `RuntimeDefault` seccomp profile, and no capabilities unless the image
//! may run as root. One [`RunAs`] per service says this; the workloads, the namespace's
//! Pod Security level ([`PodSecurity`]) and every sentence of the docs read it.

use serde::Serialize;

use crate::stack::text::DockerfileFacts;

/// The repository's own Dockerfile for a service, which scaffold keeps and builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnDockerfile {
    /// Its path from the repository root, such as `api/Dockerfile`.
    pub path: String,
    /// Who the image runs as.
    pub user: ImageUser,
    /// The image its final stage starts from, when it names one.
    pub base: Option<String>,
    /// Its final stage's `HEALTHCHECK`, as written.
    pub healthcheck: Option<String>,
    /// The ports it declares with `EXPOSE`.
    pub expose: Vec<u16>,
    /// The command the image starts (`ENTRYPOINT` and `CMD`), when it declares one.
    pub command: Option<String>,
}

impl OwnDockerfile {
    /// The Dockerfile at `path` that says `facts`.
    pub fn new(path: String, facts: &DockerfileFacts) -> Self {
        OwnDockerfile {
            path,
            user: ImageUser::parse(facts.user.as_deref()),
            base: facts.base.clone(),
            healthcheck: facts.healthcheck.clone(),
            expose: facts.expose.clone(),
            command: facts.command.clone(),
        }
    }

    /// Whether the image has a shell for a `preStop` hook: not when its final stage starts
    /// from `scratch` or a distroless image (whose `debug` variants carry a busybox shell).
    pub fn has_shell(&self) -> bool {
        let base = self
            .base
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let distroless = base.contains("distroless") && !base.contains("debug");
        base != "scratch" && !distroless && !base.starts_with("cgr.dev/chainguard/static")
    }

    /// What `scaffold new` tells the user about this Dockerfile, built for `service`.
    pub fn note(&self, service: &str) -> String {
        let baseline = "the namespace enforces Pod Security `baseline` instead of `restricted`";
        let runs = match &self.user {
            ImageUser::Id { written, uid, .. } => format!(
                "Its pods run as its `USER {written}` (user {uid}), with a writable root filesystem."
            ),
            ImageUser::Name { written } => format!(
                "Its pods run as its `USER {written}`, with a writable root filesystem; Kubernetes cannot check that a user name is not root, so {baseline}."
            ),
            ImageUser::Root { written } => format!(
                "Its pods run as root (`USER {written}`), with a writable root filesystem, so {baseline}."
            ),
            ImageUser::Unset => format!(
                "It sets no `USER`, so its pods run as its base image's user (root for most images), with a writable root filesystem, and {baseline}."
            ),
        };
        format!(
            "{path} is your own Dockerfile: scaffold builds `{service}` from it and keeps it. {runs} docs/devops/README.md (Clarifications) says what to check in it",
            path = self.path
        )
    }

    /// What the team must check in this Dockerfile, which scaffold builds for `service` but
    /// did not write, one sentence each: its user, where it writes, its health check and
    /// ports against the contract, its build context and the shell the `preStop` hook needs.
    pub fn checks(&self, service: &crate::project::Service) -> Vec<String> {
        let mut out = Vec::new();
        let baseline = "the namespace enforces Pod Security `baseline`, not `restricted`";
        out.push(match &self.user {
            ImageUser::Id { written, uid, .. } => format!(
                "its `USER {written}`: the pods run as user {uid} (`runAsUser`), so the files the app reads and writes must be that user's"
            ),
            ImageUser::Name { written } => format!(
                "its `USER {written}`: a name, which Kubernetes cannot check is not root, so the pods do not require a non-root user and {baseline}; write the user's number instead (`USER 1000:1000`; `docker run --rm --entrypoint id IMAGE` prints it), then run `scaffold sync`"
            ),
            ImageUser::Root { written } => format!(
                "its `USER {written}`: the image runs as root, so the pods keep the default capabilities but `NET_RAW` and {baseline}; run the app as a non-root user with a fixed number (`USER 10001:10001`), then run `scaffold sync`"
            ),
            ImageUser::Unset => format!(
                "its user: it sets no `USER`, so the image runs as {}, the pods keep the default capabilities but `NET_RAW` and {baseline}; run the app as a non-root user with a fixed number (`USER 10001:10001`), then run `scaffold sync`",
                match &self.base {
                    Some(base) => format!("the user of its base image `{base}`, root unless that image sets another"),
                    None => "its base image's user, root for most images".to_owned(),
                }
            ),
        });
        out.push(format!(
            "where the app writes: its root filesystem is left writable; if it writes only to `/tmp`, `readOnlyRootFilesystem: true` in `deploy/kubernetes/base/{}/workload.yaml` hardens it (sync keeps your edit)",
            service.name
        ));
        if let Some(port) = service.port {
            let probe = match &service.health_path {
                Some(path) => {
                    format!("Kubernetes probes `GET {path}` on the port in `PORT` ({port})")
                }
                None => format!(
                    "Kubernetes probes the gRPC health service on the port in `PORT` ({port})"
                ),
            };
            out.push(match &self.healthcheck {
                Some(check) => format!(
                    "its `HEALTHCHECK {check}`: Docker and Compose run it, and {probe}, so the app must answer both"
                ),
                None => format!(
                    "its health: {probe}; the image has no `HEALTHCHECK`, so Docker and Compose cannot tell when it is healthy"
                ),
            });
            if !self.expose.is_empty() && !self.expose.contains(&port) {
                out.push(format!(
                    "its `EXPOSE {}`: the contract's port is {port}, so the app must listen on the port in `PORT`",
                    self.expose
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
        }
        out.push(format!(
            "its build: CI and Compose build it with `{}` as the build context, from the sources alone (CI runs no build step before it)",
            service.recipe.context
        ));
        if service.shell && service.listens() {
            out.push(
                "its shell: before a pod stops, Kubernetes runs `sh -c \"sleep 5\"` in it so endpoints drain, which needs `sh` in the image"
                    .to_owned(),
            );
        }
        out
    }
}

/// Who an image runs as, from the final stage's `USER`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ImageUser {
    /// A numeric non-zero user, with a numeric group when one is written (`USER 10001`,
    /// `USER 10001:10001`): the kubelet can check that it is not root.
    Id {
        /// The user id.
        uid: u32,
        /// The group id, when written as a number.
        gid: Option<u32>,
        /// The `USER` value as written.
        written: String,
    },
    /// A user name (`USER node`, `USER app:app`) or a variable the Dockerfile does not set
    /// (`USER $APP_UID`): which user id it is depends on the image's `/etc/passwd` or its
    /// base image, which scaffold never sees.
    Name {
        /// The `USER` value as written.
        written: String,
    },
    /// `USER root` or `USER 0`.
    Root {
        /// The `USER` value as written.
        written: String,
    },
    /// No `USER` in the final stage: the base image's user, root unless it sets another.
    Unset,
}

impl ImageUser {
    /// The user a `USER` value names (`None`: no `USER` at all).
    pub fn parse(user: Option<&str>) -> Self {
        let Some(written) = user.map(str::trim).filter(|u| !u.is_empty()) else {
            return ImageUser::Unset;
        };
        let (name, group) = match written.split_once(':') {
            Some((name, group)) => (name, Some(group)),
            None => (written, None),
        };
        let owned = written.to_owned();
        match name.parse::<u32>() {
            Ok(0) => ImageUser::Root { written: owned },
            Ok(uid) => ImageUser::Id {
                uid,
                gid: group.and_then(|g| g.parse().ok()),
                written: owned,
            },
            Err(_) if name == "root" => ImageUser::Root { written: owned },
            Err(_) => ImageUser::Name { written: owned },
        }
    }

    /// The `USER` value as written, if there is one.
    pub fn written(&self) -> Option<&str> {
        match self {
            ImageUser::Id { written, .. }
            | ImageUser::Name { written }
            | ImageUser::Root { written } => Some(written),
            ImageUser::Unset => None,
        }
    }

    /// Whether the image may run as root (it says so, or says nothing).
    pub fn may_be_root(&self) -> bool {
        matches!(self, ImageUser::Root { .. } | ImageUser::Unset)
    }
}

/// The `securityContext` every workload of a service sets, decided once from its image.
///
/// Every container also gets `allowPrivilegeEscalation: false` (no set-user-ID or file
/// capability can raise a process's privileges; a root process is already root, and one that
/// switches to another user with `setuid` keeps working), `privileged: false` and the
/// `RuntimeDefault` seccomp profile (the container runtime's default, the one `docker run`
/// applies): neither depends on the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunAs {
    /// `runAsNonRoot: true`: the user is a non-zero number, which the kubelet checks. It is
    /// never set for a named user, because the kubelet then refuses to start the container
    /// ("container has runAsNonRoot and image has non-numeric user (...), cannot verify user
    /// is non-root": `verifyRunAsNonRoot` in kubernetes/kubernetes
    /// `pkg/kubelet/kuberuntime/security_context_others.go`, since kubernetes/kubernetes#56503),
    /// nor for an image that runs as root ("image will run as root", the same function).
    pub non_root: bool,
    /// `runAsUser`.
    pub user: Option<u32>,
    /// `runAsGroup` and the pod's `fsGroup`.
    pub group: Option<u32>,
    /// `readOnlyRootFilesystem: true`: the image writes only to `/tmp` (an `emptyDir`).
    pub read_only_root: bool,
    /// The capabilities dropped: `ALL`, or only `NET_RAW` for an image that may run as root
    /// (dropping every capability would stop a root process from switching to its own user,
    /// binding a port below 1024 or writing a file it does not own, which ordinary images
    /// such as nginx's do; raw sockets serve only `ping`).
    pub drop: Vec<&'static str>,
}

impl RunAs {
    /// The context of scaffold's own image, which runs as `uid` and writes only to `/tmp`.
    pub fn scaffold(uid: u32) -> Self {
        RunAs {
            non_root: true,
            user: Some(uid),
            group: Some(uid),
            read_only_root: true,
            drop: vec!["ALL"],
        }
    }

    /// The context that fits an image built from the repository's own Dockerfile.
    pub fn own(dockerfile: &OwnDockerfile) -> Self {
        let (non_root, user, group) = match &dockerfile.user {
            ImageUser::Id { uid, gid, .. } => (true, Some(*uid), *gid),
            ImageUser::Name { .. } | ImageUser::Root { .. } | ImageUser::Unset => {
                (false, None, None)
            }
        };
        RunAs {
            non_root,
            user,
            group,
            read_only_root: false,
            drop: if dockerfile.user.may_be_root() {
                vec!["NET_RAW"]
            } else {
                vec!["ALL"]
            },
        }
    }

    /// Whether a pod with this context meets the Pod Security Standards `restricted`
    /// profile: `runAsNonRoot: true` and every capability dropped, besides what every
    /// context here sets (<https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>).
    pub fn restricted(&self) -> bool {
        self.non_root && self.drops_all()
    }

    /// Whether every capability is dropped (otherwise the runtime's default set but those
    /// `drop` names stays, for an image that may run as root).
    pub fn drops_all(&self) -> bool {
        self.drop == ["ALL"]
    }
}

/// A Pod Security Standards level, as a namespace label spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PodSecurityLevel {
    /// The hardened profile.
    Restricted,
    /// The profile that prevents known privilege escalations and admits the default pod.
    Baseline,
}

impl PodSecurityLevel {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            PodSecurityLevel::Restricted => "restricted",
            PodSecurityLevel::Baseline => "baseline",
        }
    }
}

/// What Pod Security admission enforces in the application's namespaces.
///
/// `restricted` when every service's pods meet it; otherwise `baseline`, the strictest level
/// that admits a pod whose image runs as root or as a user the kubelet cannot check, so no
/// pod scaffold renders is refused. The namespace warns and audits against `restricted`
/// either way, so each such pod is still reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodSecurity {
    /// The enforced level.
    pub enforce: PodSecurityLevel,
    /// The level warned and audited: always `restricted`.
    pub warn: PodSecurityLevel,
    /// The services whose pods do not meet `restricted`, in file order.
    pub below_restricted: Vec<String>,
}

impl PodSecurity {
    /// The level that admits every one of `services` (name and context).
    pub fn of<'a>(services: impl IntoIterator<Item = (&'a str, &'a RunAs)>) -> Self {
        let below_restricted: Vec<String> = services
            .into_iter()
            .filter(|(_, run_as)| !run_as.restricted())
            .map(|(name, _)| name.to_owned())
            .collect();
        PodSecurity {
            enforce: if below_restricted.is_empty() {
                PodSecurityLevel::Restricted
            } else {
                PodSecurityLevel::Baseline
            },
            warn: PodSecurityLevel::Restricted,
            below_restricted,
        }
    }

    /// How the docs name what the namespace enforces, such as `Pod Security "restricted"
    /// enforced`.
    pub fn phrase(&self) -> String {
        match self.enforce {
            PodSecurityLevel::Restricted => "Pod Security \"restricted\" enforced".to_owned(),
            PodSecurityLevel::Baseline => {
                let names: Vec<&str> = self.below_restricted.iter().map(String::as_str).collect();
                let (images, verb) = match names.len() {
                    1 => ("the image of", "does"),
                    _ => ("the images of", "do"),
                };
                format!(
                    "Pod Security \"baseline\" enforced, with \"restricted\" warned and audited because {images} {} {verb} not meet it",
                    crate::schema::code_spans(&names)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(user: Option<&str>, base: &str) -> OwnDockerfile {
        OwnDockerfile::new(
            "api/Dockerfile".to_owned(),
            &DockerfileFacts {
                user: user.map(str::to_owned),
                base: Some(base.to_owned()),
                ..DockerfileFacts::default()
            },
        )
    }

    /// `USER` value → (runAsNonRoot, runAsUser, runAsGroup, dropped, restricted).
    fn check(user: Option<&str>, expect: (bool, Option<u32>, Option<u32>, &str, bool)) {
        let run_as = RunAs::own(&own(user, "debian"));
        assert_eq!(
            (
                run_as.non_root,
                run_as.user,
                run_as.group,
                run_as.drop.join(","),
                run_as.restricted(),
            ),
            (expect.0, expect.1, expect.2, expect.3.to_owned(), expect.4),
            "USER {user:?}"
        );
        assert!(
            !run_as.read_only_root,
            "USER {user:?}: where it writes is unknown"
        );
    }

    #[test]
    fn a_numeric_user_is_required_to_be_non_root() {
        check(Some("10001"), (true, Some(10001), None, "ALL", true));
        check(
            Some("10001:10002"),
            (true, Some(10001), Some(10002), "ALL", true),
        );
        check(Some("1000:app"), (true, Some(1000), None, "ALL", true));
        check(
            Some(" 65532:65532 "),
            (true, Some(65532), Some(65532), "ALL", true),
        );
    }

    #[test]
    fn a_named_user_is_not_checked_and_keeps_no_capabilities() {
        check(Some("node"), (false, None, None, "ALL", false));
        check(Some("app:app"), (false, None, None, "ALL", false));
        check(Some("$APP_UID"), (false, None, None, "ALL", false));
    }

    #[test]
    fn a_root_image_keeps_the_default_capabilities_but_raw_sockets() {
        check(None, (false, None, None, "NET_RAW", false));
        check(Some("root"), (false, None, None, "NET_RAW", false));
        check(Some("0"), (false, None, None, "NET_RAW", false));
        check(Some("0:0"), (false, None, None, "NET_RAW", false));
        check(Some("root:root"), (false, None, None, "NET_RAW", false));
    }

    #[test]
    fn scaffolds_image_is_restricted() {
        let run_as = RunAs::scaffold(10001);
        assert!(run_as.restricted() && run_as.read_only_root);
        assert_eq!((run_as.user, run_as.group), (Some(10001), Some(10001)));
    }

    #[test]
    fn the_namespace_enforces_what_every_pod_meets() {
        let scaffold = RunAs::scaffold(1000);
        let named = RunAs::own(&own(Some("node"), "node:22"));
        let all = PodSecurity::of([("api", &scaffold)]);
        assert_eq!(all.enforce, PodSecurityLevel::Restricted);
        assert_eq!(all.phrase(), "Pod Security \"restricted\" enforced");
        let mixed = PodSecurity::of([("api", &scaffold), ("web", &named)]);
        assert_eq!(mixed.enforce, PodSecurityLevel::Baseline);
        assert_eq!(mixed.warn, PodSecurityLevel::Restricted);
        assert_eq!(mixed.below_restricted, ["web"]);
        assert_eq!(
            mixed.phrase(),
            "Pod Security \"baseline\" enforced, with \"restricted\" warned and audited because the image of `web` does not meet it"
        );
        let two = PodSecurity::of([("api", &named), ("web", &named)]);
        assert!(
            two.phrase()
                .contains("the images of `api` and `web` do not meet it")
        );
    }

    #[test]
    fn the_note_says_who_the_pods_run_as_and_the_level() {
        let note = own(Some("10001"), "debian").note("api");
        assert!(
            note.starts_with(
                "api/Dockerfile is your own Dockerfile: scaffold builds `api` from it"
            ) && note.contains("`USER 10001` (user 10001)")
                && !note.contains("baseline"),
            "{note}"
        );
        for user in [Some("node"), Some("root"), None] {
            let note = own(user, "debian").note("api");
            assert!(
                note.contains("Pod Security `baseline` instead of `restricted`"),
                "{note}"
            );
        }
    }

    #[test]
    fn images_without_a_shell() {
        for (base, shell) in [
            ("node:22-alpine", true),
            ("scratch", false),
            ("gcr.io/distroless/static-debian12:nonroot", false),
            ("gcr.io/distroless/base-debian12:debug-nonroot", true),
            ("cgr.dev/chainguard/static:latest", false),
        ] {
            assert_eq!(own(None, base).has_shell(), shell, "{base}");
        }
    }
}
