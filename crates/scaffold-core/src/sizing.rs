//! Sizes and targets derived from the availability target and an environment's tier.
//!
//! One table, here, decides replicas, disruption budgets, zones, node pools,
//! backup retention, recovery objectives and alert thresholds. Kubernetes,
//! Terraform and the docs all read these numbers, so the handbook's promise
//! ("three replicas across three zones") is what the manifests actually do.

use serde::Serialize;

use crate::vocabulary::{Availability, Provider, Tier};

/// What the availability target promises, independent of any environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Targets {
    /// The target as written, such as `99.9`.
    pub availability: String,
    /// The allowed error ratio, such as `0.001` for 99.9%.
    pub error_budget: f64,
    /// Allowed downtime in a 30-day month, in minutes (rounded down).
    pub monthly_downtime_minutes: u32,
    /// Recovery time objective, in minutes.
    pub rto_minutes: u32,
    /// Recovery point objective, in minutes.
    pub rpo_minutes: u32,
    /// Human form of the RTO, such as `4 hours`.
    pub rto: String,
    /// Human form of the RPO, such as `1 hour`.
    pub rpo: String,
    /// Fast-burn alert threshold: the error ratio that spends 2% of a 30-day budget in one hour (14.4x).
    pub fast_burn_error_ratio: f64,
    /// Slow-burn alert threshold: the error ratio that spends 10% of the budget in six hours (6x).
    pub slow_burn_error_ratio: f64,
    /// p99 latency above which the latency alert fires, in milliseconds.
    pub latency_p99_ms: u32,
    /// Canary and blue-green analysis: the minimum success rate (0 to 1) a new version must keep.
    pub analysis_success_rate: f64,
}

impl Targets {
    /// The targets implied by `availability`.
    pub fn derive(availability: Availability) -> Self {
        let (ratio, rto, rpo, latency) = match availability {
            Availability::TwoNines => (0.01, 24 * 60, 24 * 60, 2000),
            Availability::TwoNinesFive => (0.005, 8 * 60, 4 * 60, 1500),
            Availability::ThreeNines => (0.001, 4 * 60, 60, 1000),
            Availability::ThreeNinesFive => (0.0005, 60, 15, 750),
            Availability::FourNines => (0.0001, 15, 5, 500),
        };
        let error_budget: f64 = ratio;
        Targets {
            availability: availability.as_str().to_owned(),
            error_budget,
            monthly_downtime_minutes: (30.0 * 24.0 * 60.0 * error_budget) as u32,
            rto_minutes: rto,
            rpo_minutes: rpo,
            rto: human_minutes(rto),
            rpo: human_minutes(rpo),
            fast_burn_error_ratio: round6(14.4 * error_budget),
            slow_burn_error_ratio: round6(6.0 * error_budget),
            latency_p99_ms: latency,
            analysis_success_rate: round6((1.0 - 10.0 * error_budget).max(0.9)),
        }
    }
}

/// Rounds to six decimals so thresholds print without float noise.
fn round6(value: f64) -> f64 {
    (value * 1_000_000.0).round() / 1_000_000.0
}

/// `90` → `1.5 hours`, `60` → `1 hour`, `15` → `15 minutes`.
fn human_minutes(minutes: u32) -> String {
    match minutes {
        m if m % (24 * 60) == 0 => plural(m / (24 * 60), "day"),
        m if m % 60 == 0 => plural(m / 60, "hour"),
        m => plural(m, "minute"),
    }
}

fn plural(count: u32, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

/// The size of one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sizing {
    /// Replicas each service starts with, and the autoscaler's minimum.
    pub replicas: u32,
    /// The autoscaler's maximum.
    pub max_replicas: u32,
    /// `PodDisruptionBudget.minAvailable`; `0` allows a single replica to be evicted.
    pub min_available: u32,
    /// Availability zones the network, node pool and pods spread over.
    pub zones: u32,
    /// Node pool minimum.
    pub nodes_min: u32,
    /// Node pool maximum.
    pub nodes_max: u32,
    /// Node machine type on the chosen cloud.
    pub node_type: String,
    /// Container CPU request.
    pub cpu_request: String,
    /// Container CPU limit.
    pub cpu_limit: String,
    /// Container memory request.
    pub memory_request: String,
    /// Container memory limit.
    pub memory_limit: String,
    /// Managed database instance class on the chosen cloud.
    pub database_class: String,
    /// Managed cache node type on the chosen cloud.
    pub cache_class: String,
    /// Datastores replicate across zones (multi-AZ, regional HA, zone-redundant).
    pub datastore_ha: bool,
    /// Datastores and clusters refuse deletion.
    pub deletion_protection: bool,
    /// Days automated backups are kept.
    pub backup_retention_days: u32,
    /// Monthly budget in US dollars.
    pub monthly_budget_usd: u32,
    /// Target CPU utilisation for the autoscaler, in percent.
    pub cpu_target_percent: u32,
}

impl Sizing {
    /// The size of an environment of `tier` for `availability` on `provider`.
    pub fn derive(availability: Availability, tier: Tier, provider: Provider) -> Self {
        let production = tier == Tier::Production;
        let (replicas, zones, retention) = match (tier, availability) {
            (Tier::NonProduction, _) => (1, 2, 7),
            (Tier::Production, Availability::TwoNines) => (2, 2, 7),
            (Tier::Production, Availability::TwoNinesFive) => (2, 2, 14),
            (Tier::Production, Availability::ThreeNines) => (3, 3, 14),
            (Tier::Production, Availability::ThreeNinesFive) => (3, 3, 30),
            (Tier::Production, Availability::FourNines) => (4, 3, 35),
        };
        let (node_type, database_class, cache_class) = match (provider, production) {
            (Provider::Aws, false) => ("t3.large", "db.t4g.medium", "cache.t4g.small"),
            (Provider::Aws, true) => ("m6i.xlarge", "db.r6g.large", "cache.r6g.large"),
            (Provider::Gcp, false) => ("e2-standard-2", "db-custom-1-3840", "BASIC"),
            (Provider::Gcp, true) => ("n2-standard-4", "db-custom-2-7680", "STANDARD_HA"),
            (Provider::Azure, false) => ("Standard_D2s_v5", "B_Standard_B2s", "Standard"),
            (Provider::Azure, true) => ("Standard_D4s_v5", "GP_Standard_D2ds_v5", "Premium"),
        };
        Sizing {
            replicas,
            max_replicas: if production { replicas * 4 } else { 3 },
            min_available: replicas.saturating_sub(1),
            zones,
            nodes_min: if production { zones } else { 1 },
            nodes_max: if production { zones * 4 } else { 3 },
            node_type: node_type.to_owned(),
            cpu_request: if production { "250m" } else { "100m" }.to_owned(),
            cpu_limit: if production { "1" } else { "500m" }.to_owned(),
            memory_request: if production { "512Mi" } else { "256Mi" }.to_owned(),
            memory_limit: if production { "1Gi" } else { "512Mi" }.to_owned(),
            database_class: database_class.to_owned(),
            cache_class: cache_class.to_owned(),
            datastore_ha: production && availability >= Availability::ThreeNines,
            deletion_protection: production,
            backup_retention_days: retention,
            monthly_budget_usd: if production { 3000 } else { 500 },
            cpu_target_percent: 70,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(availability: Availability, tier: Tier, expect: (u32, u32, u32, bool)) {
        let s = Sizing::derive(availability, tier, Provider::Aws);
        assert_eq!(
            (s.replicas, s.zones, s.backup_retention_days, s.datastore_ha),
            expect,
            "{availability} {tier}"
        );
    }

    #[test]
    fn non_production_is_small_whatever_the_target() {
        check(
            Availability::FourNines,
            Tier::NonProduction,
            (1, 2, 7, false),
        );
    }

    #[test]
    fn production_grows_with_the_target() {
        check(Availability::TwoNines, Tier::Production, (2, 2, 7, false));
        check(
            Availability::TwoNinesFive,
            Tier::Production,
            (2, 2, 14, false),
        );
        check(Availability::ThreeNines, Tier::Production, (3, 3, 14, true));
        check(
            Availability::ThreeNinesFive,
            Tier::Production,
            (3, 3, 30, true),
        );
        check(Availability::FourNines, Tier::Production, (4, 3, 35, true));
    }

    #[test]
    fn disruption_budget_keeps_all_but_one() {
        let s = Sizing::derive(Availability::ThreeNines, Tier::Production, Provider::Gcp);
        assert_eq!(s.min_available, 2);
        let s = Sizing::derive(Availability::ThreeNines, Tier::NonProduction, Provider::Gcp);
        assert_eq!(s.min_available, 0);
    }

    #[test]
    fn only_production_is_deletion_protected() {
        assert!(
            Sizing::derive(Availability::TwoNines, Tier::Production, Provider::Azure)
                .deletion_protection
        );
        assert!(
            !Sizing::derive(
                Availability::FourNines,
                Tier::NonProduction,
                Provider::Azure
            )
            .deletion_protection
        );
    }

    #[test]
    fn targets_follow_the_availability() {
        let t = Targets::derive(Availability::ThreeNines);
        assert_eq!((t.rto.as_str(), t.rpo.as_str()), ("4 hours", "1 hour"));
        assert_eq!(t.monthly_downtime_minutes, 43);
        assert_eq!(t.fast_burn_error_ratio, 0.0144);
        let t = Targets::derive(Availability::FourNines);
        assert_eq!(
            (t.rto.as_str(), t.rpo.as_str()),
            ("15 minutes", "5 minutes")
        );
        let t = Targets::derive(Availability::TwoNines);
        assert_eq!(t.rto, "1 day");
    }
}
