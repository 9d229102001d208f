//! The regions each cloud is known to have, so a typo (`us-east1` on AWS, `eu-west-1` on
//! Google Cloud) is caught before it reaches Terraform.
//!
//! Clouds add regions faster than scaffold is released, so a region missing here is not
//! wrong: `[cloud] allow_unlisted_regions = true` in `scaffold.toml` (which the wizard writes
//! when the user confirms an unlisted region) takes any well-formed id. Each list names its
//! source and when it was read; refresh them from the same sources.

use crate::schema::nearest;
use crate::vocabulary::Provider;

/// AWS regions of the standard `aws` partition, from the AWS SDKs' region table
/// (`botocore/data/partitions.json`, partition `aws`, boto/botocore at 0e6e2404, 2026-08-07;
/// read 2026-11-30; the same table as <https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html>).
/// GovCloud (`aws-us-gov`), China (`aws-cn`) and the European Sovereign Cloud (`aws-eusc`)
/// are other partitions, whose ARNs (`arn:aws-us-gov:...`) the generated Terraform does not
/// spell, so they are not listed.
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
    "ap-southeast-6",
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
];

/// Google Cloud regions (43), from Google's own region list in GoogleCloudPlatform/gcping
/// (`tools/terraform/regions.json` at bbad96e, 2026-07-27, which added `asia-southeast3`,
/// Bangkok, on 2026-02-02; read 2026-11-30), the regions of
/// <https://cloud.google.com/compute/docs/regions-zones>.
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
    "asia-southeast3",
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

/// Azure public-cloud regions by programmatic name (what `azurerm` takes as `location` and
/// `az account list-locations` prints as `name`), from "Azure regions list"
/// (<https://learn.microsoft.com/azure/reliability/regions-list>, the table's "Programmatic
/// name" column, MicrosoftDocs/reliability-docs at e92155a, 2026-08-20; read 2026-11-30).
/// Access to `australiacentral2`, `brazilsoutheast`, `francesouth`, `germanynorth`,
/// `norwaywest`, `southafricawest`, `switzerlandwest` and `uaecentral` is restricted (an
/// access request per subscription).
const AZURE: &[&str] = &[
    "australiacentral",
    "australiacentral2",
    "australiaeast",
    "australiasoutheast",
    "austriaeast",
    "belgiumcentral",
    "brazilsouth",
    "brazilsoutheast",
    "canadacentral",
    "canadaeast",
    "centralindia",
    "centralus",
    "chilecentral",
    "denmarkeast",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "francesouth",
    "germanynorth",
    "germanywestcentral",
    "indiasouthcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "koreasouth",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "northcentralus",
    "northeurope",
    "norwayeast",
    "norwaywest",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southafricawest",
    "southcentralus",
    "southindia",
    "southeastasia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "switzerlandwest",
    "uaecentral",
    "uaenorth",
    "uksouth",
    "ukwest",
    "westcentralus",
    "westeurope",
    "westindia",
    "westus",
    "westus2",
    "westus3",
];

/// The key in `[cloud]` that takes a region missing from these lists.
pub const OVERRIDE_KEY: &str = "cloud.allow_unlisted_regions";

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

/// Up to three known regions of `provider` nearest to `region`, nearest first.
pub fn nearest_known(provider: Provider, region: &str) -> Vec<&'static str> {
    let lower = region.to_ascii_lowercase();
    let mut scored: Vec<(usize, &'static str)> = known(provider)
        .iter()
        .map(|r| (strsim::damerau_levenshtein(&lower, r), *r))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, r)| r).collect()
}

/// Why `region` is not accepted for `provider`, as (what was found,
/// what is allowed), or `None` when it is a region scaffold knows.
pub fn problem(provider: Provider, region: &str) -> Option<(String, String)> {
    if is_known(provider, region) {
        return None;
    }
    let near: Vec<String> = nearest_known(provider, region)
        .into_iter()
        .map(|r| format!("`{r}`"))
        .collect();
    Some((
        format!("`{region}` is not a region scaffold knows on {provider}"),
        format!(
            "use a region id such as {} (the nearest to `{region}`); if `{region}` is a region newer than this scaffold, take it anyway with `{} = true` under [cloud] (`--set {OVERRIDE_KEY}=true`)",
            near.join(", "),
            OVERRIDE_KEY.trim_start_matches("cloud."),
        ),
    ))
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

    #[test]
    fn an_unknown_region_names_the_value_the_nearest_regions_and_the_override() {
        let (found, allowed) = problem(Provider::Aws, "us-east1").unwrap();
        assert_eq!(found, "`us-east1` is not a region scaffold knows on aws");
        assert!(allowed.contains("`us-east-1`"), "{allowed}");
        assert!(
            allowed.contains("allow_unlisted_regions = true"),
            "{allowed}"
        );
        assert_eq!(nearest_known(Provider::Aws, "us-east1")[0], "us-east-1");
        assert_eq!(nearest_known(Provider::Azure, "westeurop")[0], "westeurope");
        assert!(problem(Provider::Gcp, "asia-southeast3").is_none());
        assert!(problem(Provider::Aws, "us-gov-west-1").is_some());
        // The lists hold no duplicates, and every default region is on its list.
        for provider in Provider::ALL {
            let list = known(*provider);
            let unique: std::collections::BTreeSet<_> = list.iter().collect();
            assert_eq!(unique.len(), list.len(), "{provider}");
        }
    }
}
