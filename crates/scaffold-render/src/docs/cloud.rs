//! What the docs say about the chosen cloud: product names and exact commands.
//!
//! The handbook and the runbooks print commands a reader pastes into a shell,
//! so they must use this app's names (from [`scaffold_core::names`]) and the
//! right CLI for the cloud. Values scaffold cannot know (an account id, a
//! project id) are shell variables whose names match the GitHub variables the
//! workflows read, and the runbooks say where to find them. One function per
//! fact keeps each cloud's spelling in one place.

use scaffold_core::vocabulary::{Engine, Provider, Registry};
use scaffold_core::{Environment, Project};
use serde::Serialize;

/// The shell variable a command uses for a value scaffold cannot know.
///
/// Same spelling as the GitHub variable (`vars.AWS_ACCOUNT_ID`), so a reader
/// who has set one knows the other.
#[derive(Debug, Clone, Serialize)]
pub struct ShellVariable {
    /// The variable name, such as `GCP_PROJECT_ID`.
    pub name: String,
    /// A command that prints the value once the reader is logged in to the right account.
    pub lookup: String,
}

/// Provider facts shared by every page.
#[derive(Debug, Clone, Serialize)]
pub struct CloudFacts {
    /// The provider's display name, such as `Google Cloud`.
    pub display: &'static str,
    /// The managed Kubernetes service, such as `GKE`.
    pub kubernetes: &'static str,
    /// The secret manager the `ExternalSecret`s read.
    pub secret_manager: &'static str,
    /// How pods get cloud credentials without keys.
    pub workload_identity: &'static str,
    /// How GitHub Actions logs in without keys.
    pub ci_login: String,
    /// The CLI a reader needs, such as `gcloud`.
    pub cli: &'static str,
    /// How to log in with that CLI.
    pub cli_login: &'static str,
    /// The shell variables commands rely on, with how to look each up.
    pub shell_variables: Vec<ShellVariable>,
    /// The Terraform state backend, in one sentence.
    pub state_backend: String,
    /// The `export TF_VAR_...` lines that give Terraform the values it cannot read from `terraform.tfvars`.
    pub terraform_exports: Vec<String>,
    /// The word for the unit that holds an environment's resources: account, project or subscription.
    pub account_word: &'static str,
    /// The registry's display name.
    pub registry: &'static str,
    /// The registry host, with shell variables for unknown parts.
    pub registry_host: String,
    /// Whether the registry is the cloud's own (so the build identity pushes to it).
    pub registry_is_cloud: bool,
    /// How the deploy job adds the workload identity to each `ServiceAccount`, in words.
    pub service_account_annotation: &'static str,
    /// The budget product, such as `AWS Budgets`.
    pub budget_product: &'static str,
    /// The cloud's record of API calls, on by default.
    pub audit_log: &'static str,
}

/// Facts about the chosen cloud for `project`.
pub fn facts(project: &Project) -> CloudFacts {
    let region = &project.cloud.region;
    let provider = project.cloud.provider;
    let (registry, registry_host) = match project.delivery.registry {
        Registry::Ghcr => ("GitHub Container Registry", "ghcr.io".to_owned()),
        Registry::Ecr => (
            "Amazon ECR",
            format!("${{AWS_ACCOUNT_ID}}.dkr.ecr.{region}.amazonaws.com"),
        ),
        Registry::Gar => (
            "Artifact Registry",
            format!("{region}-docker.pkg.dev/${{GCP_PROJECT_ID}}"),
        ),
        Registry::Acr => (
            "Azure Container Registry",
            format!("{}.azurecr.io", project.names.acr_name),
        ),
    };
    let registry_is_cloud = project.delivery.registry != Registry::Ghcr;
    let names = &project.names;
    match provider {
        Provider::Aws => CloudFacts {
            display: "AWS",
            kubernetes: "Amazon EKS",
            secret_manager: "AWS Secrets Manager",
            workload_identity: "IAM roles for service accounts (IRSA)",
            ci_login: format!(
                "`aws-actions/configure-aws-credentials` assumes the IAM role `arn:aws:iam::${{{{ vars.AWS_ACCOUNT_ID }}}}:role/` followed by the identity's name from the table below, in `{region}`"
            ),
            cli: "aws",
            cli_login: "aws sso login",
            shell_variables: vec![ShellVariable {
                name: "AWS_ACCOUNT_ID".to_owned(),
                lookup: "aws sts get-caller-identity --query Account --output text".to_owned(),
            }],
            state_backend: format!(
                "S3 bucket `{}` in `{region}`, one key per environment (such as `{}`), with S3 native locking (`use_lockfile = true`)",
                names.state_bucket, project.environments[0].names.state_key
            ),
            terraform_exports: vec![
                "export TF_VAR_aws_account_id=\"$(aws sts get-caller-identity --query Account --output text)\"".to_owned(),
            ],
            account_word: "AWS account",
            registry,
            registry_host,
            registry_is_cloud,
            service_account_annotation: "`eks.amazonaws.com/role-arn` with the ARN of the service's IAM role",
            budget_product: "AWS Budgets",
            audit_log: "AWS CloudTrail",
        },
        Provider::Gcp => CloudFacts {
            display: "Google Cloud",
            kubernetes: "Google Kubernetes Engine (GKE)",
            secret_manager: "Google Secret Manager",
            workload_identity: "GKE Workload Identity",
            ci_login: format!(
                "`google-github-actions/auth` exchanges the job's GitHub OIDC token through the workload identity pool `{}` (provider `{}`) and impersonates the service account named in the table below, in the project `${{{{ vars.GCP_PROJECT_ID }}}}`",
                names.gcp_wif_pool, names.gcp_wif_provider
            ),
            cli: "gcloud",
            cli_login: "gcloud auth login && gcloud auth application-default login",
            shell_variables: vec![
                ShellVariable {
                    name: "GCP_PROJECT_ID".to_owned(),
                    lookup: "gcloud config get-value project".to_owned(),
                },
                ShellVariable {
                    name: "GCP_PROJECT_NUMBER".to_owned(),
                    lookup: "gcloud projects describe \"$GCP_PROJECT_ID\" --format='value(projectNumber)'".to_owned(),
                },
            ],
            state_backend: format!(
                "GCS bucket `{}` (object versioning on), one prefix per environment (the environment's name); GCS locks state natively",
                names.state_bucket
            ),
            terraform_exports: vec![
                "export TF_VAR_project_id=\"$GCP_PROJECT_ID\"".to_owned(),
                "export TF_VAR_project_number=\"$GCP_PROJECT_NUMBER\"".to_owned(),
            ],
            account_word: "Google Cloud project",
            registry,
            registry_host,
            registry_is_cloud,
            service_account_annotation: "`iam.gke.io/gcp-service-account` with the e-mail of the service's Google service account",
            budget_product: "Cloud Billing",
            audit_log: "Cloud Audit Logs",
        },
        Provider::Azure => CloudFacts {
            display: "Azure",
            kubernetes: "Azure Kubernetes Service (AKS)",
            secret_manager: "Azure Key Vault",
            workload_identity: "Microsoft Entra Workload ID",
            ci_login: "`azure/login` signs in as a user-assigned managed identity through a federated credential; its client id comes from `vars.AZURE_CLIENT_ID` (deploy), `vars.AZURE_TERRAFORM_CLIENT_ID` (apply), `vars.AZURE_PLAN_CLIENT_ID_<ENVIRONMENT>` (plan, one repository variable per environment, because pull-request plans run outside GitHub environments) or `vars.AZURE_BUILD_CLIENT_ID` (push to ACR)".to_owned(),
            cli: "az",
            cli_login: "az login",
            shell_variables: vec![
                ShellVariable {
                    name: "AZURE_SUBSCRIPTION_ID".to_owned(),
                    lookup: "az account show --query id --output tsv".to_owned(),
                },
                ShellVariable {
                    name: "AZURE_TENANT_ID".to_owned(),
                    lookup: "az account show --query tenantId --output tsv".to_owned(),
                },
            ],
            state_backend: format!(
                "storage account `{}` in resource group `{}`, container `{}`, one blob per environment (such as `{}`), with Entra ID authentication (`use_azuread_auth = true`) and blob lease locking",
                names.state_storage_account, names.state_resource_group, names.state_container, project.environments[0].names.state_key
            ),
            terraform_exports: vec![
                "export TF_VAR_subscription_id=\"$AZURE_SUBSCRIPTION_ID\"".to_owned(),
                "export TF_VAR_tenant_id=\"$AZURE_TENANT_ID\"".to_owned(),
            ],
            account_word: "Azure subscription",
            registry,
            registry_host,
            registry_is_cloud,
            service_account_annotation: "`azure.workload.identity/client-id` with the client id of the service's managed identity",
            budget_product: "Azure Cost Management",
            audit_log: "the Azure Activity Log",
        },
    }
}

/// The command that writes cluster credentials for `env` into the kubeconfig.
pub fn credentials(project: &Project, env: &Environment) -> String {
    let region = &project.cloud.region;
    let cluster = &env.names.cluster;
    match project.cloud.provider {
        Provider::Aws => format!("aws eks update-kubeconfig --region {region} --name {cluster}"),
        Provider::Gcp => format!(
            "gcloud container clusters get-credentials {cluster} --region {region} --project \"$GCP_PROJECT_ID\""
        ),
        Provider::Azure => format!(
            "az aks get-credentials --resource-group {} --name {cluster}",
            env.names.resource_group
        ),
    }
}

/// The command that writes a new value (read from `$NEW_URL`) into a secret-manager entry.
pub fn put_secret(project: &Project, env: &Environment, secret: &str) -> String {
    match project.cloud.provider {
        Provider::Aws => format!(
            "aws secretsmanager put-secret-value --region {} --secret-id {secret} --secret-string \"$NEW_URL\"",
            project.cloud.region
        ),
        Provider::Gcp => format!(
            "printf '%s' \"$NEW_URL\" | gcloud secrets versions add {secret} --data-file=- --project \"$GCP_PROJECT_ID\""
        ),
        Provider::Azure => format!(
            "az keyvault secret set --vault-name {} --name {secret} --value \"$NEW_URL\"",
            env.key_vault
        ),
    }
}

/// The command that prints the current value of a secret-manager entry.
pub fn read_secret(project: &Project, env: &Environment, secret: &str) -> String {
    match project.cloud.provider {
        Provider::Aws => format!(
            "aws secretsmanager get-secret-value --region {} --secret-id {secret} --query SecretString --output text",
            project.cloud.region
        ),
        Provider::Gcp => format!(
            "gcloud secrets versions access latest --secret {secret} --project \"$GCP_PROJECT_ID\""
        ),
        Provider::Azure => format!(
            "az keyvault secret show --vault-name {} --name {secret} --query value --output tsv",
            env.key_vault
        ),
    }
}

/// The commands that restore a database of `engine` to a new instance at `$RESTORE_TIME`.
pub fn restore_database(
    project: &Project,
    env: &Environment,
    engine: Engine,
    resource: &str,
) -> Vec<String> {
    let region = &project.cloud.region;
    let rg = &env.names.resource_group;
    match project.cloud.provider {
        Provider::Aws => vec![
            format!(
                "aws rds describe-db-instances --region {region} --db-instance-identifier {resource} --query 'DBInstances[0].LatestRestorableTime'"
            ),
            format!(
                "aws rds restore-db-instance-to-point-in-time --region {region} --source-db-instance-identifier {resource} --target-db-instance-identifier {resource}-restore --restore-time \"$RESTORE_TIME\""
            ),
            format!(
                "aws rds wait db-instance-available --region {region} --db-instance-identifier {resource}-restore"
            ),
            format!(
                "aws rds describe-db-instances --region {region} --db-instance-identifier {resource}-restore --query 'DBInstances[0].Endpoint.Address' --output text"
            ),
        ],
        Provider::Gcp => vec![
            format!("gcloud sql backups list --instance {resource} --project \"$GCP_PROJECT_ID\""),
            format!(
                "gcloud sql instances clone {resource} {resource}-restore --point-in-time \"$RESTORE_TIME\" --project \"$GCP_PROJECT_ID\""
            ),
            format!(
                "gcloud sql instances describe {resource}-restore --project \"$GCP_PROJECT_ID\" --format='value(ipAddresses[0].ipAddress)'"
            ),
        ],
        Provider::Azure => {
            let kind = if engine == Engine::Mysql {
                "mysql"
            } else {
                "postgres"
            };
            vec![
                format!(
                    "az {kind} flexible-server backup list --resource-group {rg} --name {resource} --output table"
                ),
                format!(
                    "az {kind} flexible-server restore --resource-group {rg} --name {resource}-restore --source-server {resource} --restore-time \"$RESTORE_TIME\""
                ),
                format!(
                    "az {kind} flexible-server show --resource-group {rg} --name {resource}-restore --query fullyQualifiedDomainName --output tsv"
                ),
            ]
        }
    }
}

/// The commands that bring a database of `engine` back in `dr_region` from its cross-region backups.
pub fn failover_database(
    project: &Project,
    env: &Environment,
    engine: Engine,
    resource: &str,
    dr_region: &str,
) -> Vec<String> {
    let rg = &env.names.resource_group;
    match project.cloud.provider {
        Provider::Aws => vec![
            format!(
                "BACKUP_ARN=\"$(aws rds describe-db-instance-automated-backups --region {dr_region} --db-instance-identifier {resource} --query 'DBInstanceAutomatedBackups[0].DBInstanceAutomatedBackupsArn' --output text)\""
            ),
            format!(
                "aws rds restore-db-instance-to-point-in-time --region {dr_region} --source-db-instance-automated-backups-arn \"$BACKUP_ARN\" --target-db-instance-identifier {resource} --use-latest-restorable-time"
            ),
            format!(
                "aws rds wait db-instance-available --region {dr_region} --db-instance-identifier {resource}"
            ),
        ],
        Provider::Gcp => vec![
            format!(
                "BACKUP_ID=\"$(gcloud sql backups list --instance {resource} --project \"$GCP_PROJECT_ID\" --limit 1 --format='value(id)')\""
            ),
            format!(
                "gcloud sql instances create {resource}-dr --region {dr_region} --database-version \"$(gcloud sql instances describe {resource} --project \"$GCP_PROJECT_ID\" --format='value(databaseVersion)')\" --tier \"$(gcloud sql instances describe {resource} --project \"$GCP_PROJECT_ID\" --format='value(settings.tier)')\" --project \"$GCP_PROJECT_ID\""
            ),
            format!(
                "gcloud sql backups restore \"$BACKUP_ID\" --restore-instance {resource}-dr --backup-instance {resource} --project \"$GCP_PROJECT_ID\""
            ),
        ],
        Provider::Azure => {
            let kind = if engine == Engine::Mysql {
                "mysql"
            } else {
                "postgres"
            };
            vec![format!(
                "az {kind} flexible-server geo-restore --resource-group {rg} --name {resource}-dr --source-server {resource} --location {dr_region}"
            )]
        }
    }
}

/// The commands that show this month's spend against the budget of `env`.
pub fn budget_check(project: &Project, env: &Environment) -> String {
    match project.cloud.provider {
        Provider::Aws => format!(
            "aws budgets describe-budget --account-id \"$AWS_ACCOUNT_ID\" --budget-name {}",
            env.names.budget
        ),
        Provider::Gcp => {
            "gcloud billing budgets list --billing-account \"$GCP_BILLING_ACCOUNT\"".to_owned()
        }
        Provider::Azure => format!(
            "az consumption budget show --budget-name {} --resource-group {}",
            env.names.budget, env.names.resource_group
        ),
    }
}

/// The command that annotates `service_account` with its workload identity `identity` in `env`.
///
/// The deploy workflow adds the same annotation as a kustomize patch; this is
/// the by-hand equivalent for the break-glass runbook.
pub fn annotate_service_account(
    project: &Project,
    env: &Environment,
    service_account: &str,
    identity: &str,
) -> String {
    let ns = &env.names.namespace;
    let value = match project.cloud.provider {
        Provider::Aws => format!(
            "eks.amazonaws.com/role-arn=\"arn:aws:iam::${{AWS_ACCOUNT_ID}}:role/{identity}\""
        ),
        Provider::Gcp => format!(
            "iam.gke.io/gcp-service-account=\"{identity}@${{GCP_PROJECT_ID}}.iam.gserviceaccount.com\""
        ),
        Provider::Azure => format!(
            "azure.workload.identity/client-id=\"$(az identity show --resource-group {} --name {identity} --query clientId --output tsv)\"",
            env.names.resource_group
        ),
    };
    format!(
        "kubectl annotate serviceaccount {service_account} --namespace {ns} --overwrite {value}"
    )
}
