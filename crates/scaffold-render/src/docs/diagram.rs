//! The handbook's deployment diagram, as a mermaid `architecture-beta` block.
//!
//! Why `architecture-beta` and not `flowchart`: the harness parses every
//! mermaid block offline with `@mermaid-js/parser`, which implements the
//! newer Langium grammars (architecture, packet, pie, gitGraph, ...) but not
//! `flowchart`, whose parser lives in the full `mermaid` package and needs a
//! browser DOM. An architecture diagram also fits what we draw: services and
//! datastores grouped by environment inside the cloud, with the edges that
//! carry traffic. GitHub renders it with its bundled mermaid (11.x).
//!
//! Identifiers may contain only word characters, so names are mapped with
//! `-` → `_` (see [`id`]); labels (in `[...]`) carry the real names.

use std::fmt::Write as _;

use scaffold_core::Project;

use super::cloud;

/// A mermaid identifier for `parts`, joined with `__`.
///
/// Names never contain `--` (core rejects it), so after `-` → `_` the double
/// underscore cannot occur inside a part and identifiers cannot collide.
fn id(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.replace('-', "_"))
        .collect::<Vec<_>>()
        .join("__")
}

/// The mermaid source (without the fence) of the deployment diagram.
pub fn deployment(project: &Project, facts: &cloud::CloudFacts) -> String {
    let mut out = String::from("architecture-beta\n");
    let _ = writeln!(out, "    service users(internet)[Users]");
    let _ = writeln!(out, "    service github(cloud)[GitHub Actions]");
    let _ = writeln!(
        out,
        "    group cloud(cloud)[{} {}]",
        facts.display, project.cloud.region
    );
    if facts.registry_is_cloud {
        let _ = writeln!(
            out,
            "    service registry(disk)[{} {}] in cloud",
            facts.registry, project.names.image_prefix
        );
    } else {
        let _ = writeln!(out, "    service registry(disk)[{}]", facts.registry);
    }
    let _ = writeln!(out, "    github:R --> L:registry");
    for env in &project.environments {
        let group = id(&["env", &env.name]);
        let _ = writeln!(
            out,
            "    group {group}(server)[{} cluster {}] in cloud",
            env.name, env.names.cluster
        );
        let ingress = id(&["ingress", &env.name]);
        let has_public = project.services.iter().any(|s| s.public);
        if has_public {
            let label = env
                .domain
                .clone()
                .unwrap_or_else(|| "ingress-nginx".to_owned());
            let _ = writeln!(out, "    service {ingress}(internet)[{label}] in {group}");
        }
        for svc in &project.services {
            let _ = writeln!(
                out,
                "    service {}(server)[{}] in {group}",
                id(&[&env.name, &svc.name]),
                svc.name
            );
        }
        for ds in &project.datastores {
            let _ = writeln!(
                out,
                "    service {}(database)[{} {}] in {group}",
                id(&[&env.name, &ds.name]),
                ds.name,
                ds.offering.product
            );
        }
        if has_public {
            let _ = writeln!(out, "    users:R --> L:{ingress}");
        }
        for svc in &project.services {
            let node = id(&[&env.name, &svc.name]);
            if svc.public {
                let _ = writeln!(out, "    {ingress}:R --> L:{node}");
            }
            for used in &svc.uses {
                let _ = writeln!(out, "    {node}:B --> T:{}", id(&[&env.name, used]));
            }
        }
        if let Some(first) = project.services.first() {
            // `{group}` ends the edge at the environment's cluster boundary: every
            // service pulls from the registry, not only the one the edge names.
            let _ = writeln!(
                out,
                "    registry:B --> T:{}{{group}}",
                id(&[&env.name, &first.name])
            );
        }
    }
    out
}
