//! The regions each cloud is known to have, so the wizard can catch a typo
//! (`us-east1` on AWS, `eu-west-1` on Google Cloud) before it reaches
//! Terraform.
//!
//! Clouds add regions, so this list is advice, not a rule: the wizard offers
//! an explicit override for a region it does not know, and `scaffold.toml`
//! accepts any well-formed region id. Lists as published by each provider in
//! 2025 (AWS "Regions and Availability Zones", Google Cloud "Regions and
//! zones", Azure `az account list-locations` physical regions).

use crate::schema::nearest;
use crate::vocabulary::Provider;

/// AWS commercial and GovCloud regions.
const AWS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
];

/// Google Cloud regions.
const GCP: &[&str] = &[
    "africa-south1",
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast2",
    "asia-northeast3",
    "asia-south1",
    "asia-south2",
    "asia-southeast1",
    "asia-southeast2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-north1",
    "europe-north2",
    "europe-southwest1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west6",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "me-central1",
    "me-central2",
    "me-west1",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "northamerica-south1",
    "southamerica-east1",
    "southamerica-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
];

/// Azure physical regions.
const AZURE: &[&str] = &[
    "eastus",
    "eastus2",
    "westus",
    "westus2",
    "westus3",
    "centralus",
    "northcentralus",
    "southcentralus",
    "westcentralus",
    "canadacentral",
    "canadaeast",
    "brazilsouth",
    "brazilsoutheast",
    "mexicocentral",
    "northeurope",
    "westeurope",
    "uksouth",
    "ukwest",
    "francecentral",
    "francesouth",
    "germanywestcentral",
    "germanynorth",
    "switzerlandnorth",
    "switzerlandwest",
    "norwayeast",
    "norwaywest",
    "swedencentral",
    "polandcentral",
    "italynorth",
    "spaincentral",
    "israelcentral",
    "qatarcentral",
    "uaenorth",
    "uaecentral",
    "southafricanorth",
    "southafricawest",
    "centralindia",
    "southindia",
    "westindia",
    "eastasia",
    "southeastasia",
    "japaneast",
    "japanwest",
    "koreacentral",
    "koreasouth",
    "australiaeast",
    "australiasoutheast",
    "australiacentral",
    "australiacentral2",
    "newzealandnorth",
];

/// The regions scaffold knows for `provider`.
pub fn known(provider: Provider) -> &'static [&'static str] {
    match provider {
        Provider::Aws => AWS,
        Provider::Gcp => GCP,
        Provider::Azure => AZURE,
    }
}

/// Whether `region` is a region scaffold knows for `provider`.
pub fn is_known(provider: Provider, region: &str) -> bool {
    known(provider).contains(&region)
}

/// The known region of `provider` nearest to `region`, for "did you mean".
pub fn suggest(provider: Provider, region: &str) -> Option<&'static str> {
    let list: Vec<String> = known(provider).iter().map(|r| (*r).to_owned()).collect();
    let near = nearest(region, &list)?;
    known(provider).iter().copied().find(|r| *r == near)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_known_and_typos_are_caught() {
        for provider in Provider::ALL {
            assert!(is_known(*provider, provider.default_region()), "{provider}");
        }
        assert!(!is_known(Provider::Aws, "us-east1"));
        assert_eq!(suggest(Provider::Aws, "us-east1"), Some("us-east-1"));
        assert_eq!(
            suggest(Provider::Gcp, "europe-west-1"),
            Some("europe-west1")
        );
        assert_eq!(suggest(Provider::Azure, "West Europe"), Some("westeurope"));
        assert!(!is_known(Provider::Gcp, "eu-west-1"));
    }
}
