//! What the docs say about the chosen cloud: product names and exact commands.
//!
//! The handbook and the runbooks print commands a reader pastes into a shell,
//! so they must use this app's names (from [`scaffold_core::names`]) and the
//! right CLI for the cloud. Values scaffold cannot know (an account id, a
//! project id) are shell variables whose names match the GitHub variables the
//! workflows read, and the runbooks say where to find them. One function per
//! fact keeps each cloud's spelling in one place.

use scaffold_core::names::{self, gcp_project_id_variable};
use scaffold_core::vocabulary::{Engine, Provider, Registry, Runners};
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
    /// How to rotate a datastore credential, one sentence (the handbook links the restore runbook after it).
    pub rotate_credentials: String,
    /// Why Terraform must be brought back in line after a restore, one sentence.
    pub restore_terraform_note: String,
    /// Where backups go in the disaster-recovery region, as a phrase after "with" (empty without one).
    pub dr_backup_phrase: String,
    /// The same as a sentence (empty without a disaster-recovery region).
    pub dr_backup_sentence: String,
    /// What enforces NetworkPolicies in the cluster the Terraform creates, where the
    /// cloud's engineer has stated it (`None` prints nothing).
    pub network_policy_engine: Option<&'static str>,
}

/// Whether some datastore is a relational database.
fn has_sql(project: &Project) -> bool {
    project.datastores.iter().any(|d| d.engine.is_database())
}

/// How a credential is rotated where the secret holds a connection URL.
const URL_ROTATION: &str = "To rotate a credential, change it in the datastore, write the new URL into the entry and let the `ExternalSecret` refresh (or restart the service).";

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
    let dr = project.cloud.dr_region.as_deref();
    let (copied_phrase, copied_sentence) = dr.map_or_else(Default::default, |dr| {
        (
            format!("backups copied to `{dr}` for disaster recovery"),
            format!("Backups are also copied to `{dr}`, so a lost region is recovered there."),
        )
    });
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
            rotate_credentials: URL_ROTATION.to_owned(),
            restore_terraform_note: format!("Terraform still manages the original instance, and writes its address into the {} entry again whenever it rewrites the entry (a rotation of the credentials, a replaced instance), which would point the services back at the damaged data.", "AWS Secrets Manager"),
            dr_backup_phrase: copied_phrase.clone(),
            dr_backup_sentence: copied_sentence.clone(),
            network_policy_engine: None,
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
            shell_variables: gcp_shell_variables(project),
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
            rotate_credentials: "To rotate the credentials Terraform generates, raise `credentials_version` in the environment's root and apply: the Cloud SQL users get new passwords and the Secret Manager entries new versions in the same apply, and each `ExternalSecret` picks them up at its next refresh (or restart the services).".to_owned(),
            restore_terraform_note: "Terraform still manages the original instance, and rewrites the Google Secret Manager entries with its address whenever it rotates the credentials (`credentials_version`) or replaces the instance, which would point the services back at the damaged data.".to_owned(),
            // The datastores module sets each Cloud SQL instance's backup location to the
            // DR region: the backups are stored there, not copied.
            dr_backup_phrase: dr.filter(|_| has_sql(project)).map_or_else(String::new, |dr| format!("Cloud SQL backups stored in `{dr}` for disaster recovery")),
            dr_backup_sentence: dr.map_or_else(String::new, |dr| {
                if has_sql(project) {
                    format!("Cloud SQL stores the databases' backups in `{dr}`, away from the instances, so a lost region is recovered there.")
                } else {
                    format!("No database is declared, so no backup is kept in `{dr}`; the rest is rebuilt there from Git.")
                }
            }),
            network_policy_engine: Some("GKE Dataplane V2 (eBPF, `datapath_provider = \"ADVANCED_DATAPATH\"` in the cluster module)"),
        },
        Provider::Azure => CloudFacts {
            display: "Azure",
            kubernetes: "Azure Kubernetes Service (AKS)",
            secret_manager: "Azure Key Vault",
            workload_identity: "Microsoft Entra Workload ID",
            ci_login: format!(
                "`azure/login` signs in as a user-assigned managed identity through a federated credential, which matches the token's subject only: each job runs in the GitHub environment of its identity and reads that identity's client id from the environment's variables, `vars.{}` in `<env>` (deploy), `vars.{}` in `<env>-plan` (plan) and `vars.{}` in `<env>-infra` (apply){}",
                names::AZURE_DEPLOY_CLIENT_ID,
                names::AZURE_PLAN_CLIENT_ID,
                names::AZURE_APPLY_CLIENT_ID,
                if project.delivery.registry == Registry::Acr {
                    format!(", or the repository variable `vars.{}` (push to ACR)", names::AZURE_BUILD_CLIENT_ID)
                } else {
                    String::new()
                }
            ),
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
            rotate_credentials: URL_ROTATION.to_owned(),
            restore_terraform_note: format!("Terraform still manages the original instance, and writes its address into the {} entry again whenever it rewrites the entry (a rotation of the credentials, a replaced instance), which would point the services back at the damaged data.", "Azure Key Vault"),
            dr_backup_phrase: copied_phrase,
            dr_backup_sentence: copied_sentence,
            // The cluster module's `network_policy = "cilium"`.
            network_policy_engine: Some("Cilium (Azure CNI powered by Cilium, `network_policy = \"cilium\"` in the cluster module)"),
        },
    }
}

/// The shell variables GCP commands use: the shared project's id and number, and the
/// project of each environment that has its own (read from the GitHub variable the
/// workflows use, with `gh variable get`).
fn gcp_shell_variables(project: &Project) -> Vec<ShellVariable> {
    let mut variables = vec![
        ShellVariable {
            name: "GCP_PROJECT_ID".to_owned(),
            lookup: "gcloud config get-value project".to_owned(),
        },
        ShellVariable {
            name: "GCP_PROJECT_NUMBER".to_owned(),
            lookup: "gcloud projects describe \"$GCP_PROJECT_ID\" --format='value(projectNumber)'"
                .to_owned(),
        },
    ];
    for env in project.environments.iter().filter(|e| e.separate_account) {
        let name = gcp_project_id_variable(&env.name, true);
        variables.push(ShellVariable {
            lookup: format!("gh variable get {name}"),
            name,
        });
    }
    variables
}

/// `"$GCP_PROJECT_ID"` or the variable of `env`'s own project, quoted for a shell.
fn gcp_project(env: &Environment) -> String {
    format!(
        "\"${}\"",
        gcp_project_id_variable(&env.name, env.separate_account)
    )
}

/// The command that writes cluster credentials for `env` into the kubeconfig.
pub fn credentials(project: &Project, env: &Environment) -> String {
    let region = &project.cloud.region;
    let cluster = &env.names.cluster;
    match project.cloud.provider {
        Provider::Aws => format!("aws eks update-kubeconfig --region {region} --name {cluster}"),
        // A zonal (non-production) cluster is found only with its zone as the location.
        // The control plane's IP endpoint is private: from outside the network the
        // DNS-based endpoint, authorised by IAM; with self-hosted runners that endpoint
        // takes no outside traffic, so operators connect from inside the network.
        Provider::Gcp => {
            let endpoint = match project.delivery.runners {
                Runners::GithubHosted => "--dns-endpoint",
                Runners::SelfHosted => "--internal-ip",
            };
            format!(
                "gcloud container clusters get-credentials {cluster} --location {} {endpoint} --project {}",
                env.cluster_location,
                gcp_project(env)
            )
        }
        // AKS with Entra ID only: the kubeconfig runs kubelogin, switched to the Azure CLI's
        // login (github.com/Azure/kubelogin, `convert-kubeconfig --login azurecli`).
        Provider::Azure => format!(
            "az aks get-credentials --resource-group {} --name {cluster} --overwrite-existing && kubelogin convert-kubeconfig --login azurecli",
            env.names.resource_group
        ),
    }
}

/// Azure: how a cluster administrator gets in when the normal path fails, as commands.
///
/// Normal access is `credentials` as a member of the environment's admin group. When Entra
/// ID or that group is broken, an Owner of the subscription turns local accounts on for the
/// incident, takes the static admin kubeconfig, and turns them off again; the next Terraform
/// apply would turn them off too (`local_account_disabled = true`).
pub fn azure_break_glass(env: &Environment) -> Vec<String> {
    let rg = &env.names.resource_group;
    let cluster = &env.names.cluster;
    vec![
        format!("az aks update --resource-group {rg} --name {cluster} --enable-local-accounts"),
        format!(
            "az aks get-credentials --resource-group {rg} --name {cluster} --admin --overwrite-existing"
        ),
        format!("az aks update --resource-group {rg} --name {cluster} --disable-local-accounts"),
    ]
}

/// The command that writes a new value (read from `$NEW_URL`) into a secret-manager entry.
pub fn put_secret(project: &Project, env: &Environment, secret: &str) -> String {
    match project.cloud.provider {
        Provider::Aws => format!(
            "aws secretsmanager put-secret-value --region {} --secret-id {secret} --secret-string \"$NEW_URL\"",
            project.cloud.region
        ),
        Provider::Gcp => format!(
            "printf '%s' \"$NEW_URL\" | gcloud secrets versions add {secret} --data-file=- --project {}",
            gcp_project(env)
        ),
        // The secret is the JSON object of the datastore's connection forms: `NEW_URL` holds
        // the whole object (the restore runbook edits the host in every form).
        Provider::Azure => format!(
            "az keyvault secret set --vault-name {} --name {secret} --content-type application/json --value \"$NEW_URL\"",
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
            "gcloud secrets versions access latest --secret {secret} --project {}",
            gcp_project(env)
        ),
        Provider::Azure => format!(
            "az keyvault secret show --vault-name {} --name {secret} --query value --output tsv",
            env.key_vault
        ),
    }
}

/// How the restore runbook points a database's secrets at the restored instance, whose
/// address is in `$NEW_HOST`: a sentence, and the commands.
///
/// On GCP each secret holds a JSON object whose values embed the address (the URL, the
/// JDBC URL, the ADO.NET string, `host`), in the application's and the administrator's
/// secrets alike, so every value of both is rewritten.
pub fn repoint_secrets(
    project: &Project,
    env: &Environment,
    resource: &str,
    secret: &str,
    admin_secret: Option<&str>,
) -> (String, Vec<String>) {
    match project.cloud.provider {
        Provider::Gcp => {
            let p = gcp_project(env);
            let secrets = std::iter::once(secret)
                .chain(admin_secret)
                .collect::<Vec<_>>()
                .join(" ");
            (
                "replace the old instance's address with the new one in every value of its secrets (credentials are restored with the data)".to_owned(),
                vec![
                    format!(
                        "OLD_HOST=\"$(gcloud sql instances describe {resource} --project {p} --format='value(ipAddresses[0].ipAddress)')\""
                    ),
                    format!(
                        "for secret in {secrets}; do gcloud secrets versions access latest --secret \"$secret\" --project {p} | jq --arg old \"$OLD_HOST\" --arg new \"$NEW_HOST\" 'map_values(if type == \"string\" then split($old) | join($new) else . end)' | gcloud secrets versions add \"$secret\" --data-file=- --project {p}; done"
                    ),
                ],
            )
        }
        // AWS and Azure keep each datastore's connection settings as one JSON object.
        Provider::Aws | Provider::Azure => (
            "read the current connection settings (a JSON object), replace the old host with the new address in every value (credentials are restored with the data) and write them back".to_owned(),
            vec![
                format!("OLD=\"$({})\"", read_secret(project, env, secret)),
                "OLD_HOST=\"$(printf '%s' \"$OLD\" | jq -r .host)\"".to_owned(),
                "export NEW_URL=\"$(printf '%s' \"$OLD\" | jq -c --arg old \"$OLD_HOST\" --arg new \"$NEW_HOST\" 'map_values(if type == \"string\" then (split($old) | join($new)) else . end)')\"".to_owned(),
                put_secret(project, env, secret),
            ],
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
        Provider::Aws => {
            // The restored instance goes into the original's subnet group, security group and
            // parameter group (which requires TLS): without them RDS picks the default VPC or
            // none, and no pod can reach it. Names as the rds module gives them.
            let names = crate::terraform::aws::rds_names(resource);
            vec![
                format!(
                    "aws rds describe-db-instances --region {region} --db-instance-identifier {resource} --query 'DBInstances[0].LatestRestorableTime'"
                ),
                format!(
                    "SECURITY_GROUP=\"$(aws ec2 describe-security-groups --region {region} --filters Name=group-name,Values={} --query 'SecurityGroups[0].GroupId' --output text)\"",
                    names.security_group
                ),
                format!(
                    "aws rds restore-db-instance-to-point-in-time --region {region} --source-db-instance-identifier {resource} --target-db-instance-identifier {resource}-restore --restore-time \"$RESTORE_TIME\" --db-subnet-group-name {} --vpc-security-group-ids \"$SECURITY_GROUP\" --db-parameter-group-name {} --no-publicly-accessible",
                    names.subnet_group, names.parameter_group
                ),
                format!(
                    "aws rds wait db-instance-available --region {region} --db-instance-identifier {resource}-restore"
                ),
                format!(
                    "aws rds describe-db-instances --region {region} --db-instance-identifier {resource}-restore --query 'DBInstances[0].Endpoint.Address' --output text"
                ),
            ]
        }
        // A clone keeps the source's settings, its private network among them.
        Provider::Gcp => {
            let p = gcp_project(env);
            vec![
                format!("gcloud sql backups list --instance {resource} --project {p}"),
                format!(
                    "gcloud sql instances clone {resource} {resource}-restore --point-in-time \"$RESTORE_TIME\" --project {p}"
                ),
                format!(
                    "gcloud sql instances describe {resource}-restore --project {p} --format='value(ipAddresses[0].ipAddress)'"
                ),
            ]
        }
        Provider::Azure => match engine {
            // A database restores onto its own logical server (`az sql db restore`), next to
            // the damaged one; the runbook swaps the names so the connection secret stays valid.
            Engine::Sqlserver => {
                let database = azure_database_name(project);
                vec![
                    format!(
                        "az sql db show --resource-group {rg} --server {resource} --name {database} --query earliestRestoreDate --output tsv"
                    ),
                    format!(
                        "az sql db restore --resource-group {rg} --server {resource} --name {database} --dest-name {database}_restore --time \"$RESTORE_TIME\""
                    ),
                    format!(
                        "az sql server show --resource-group {rg} --name {resource} --query fullyQualifiedDomainName --output tsv"
                    ),
                ]
            }
            _ => {
                // A restored flexible server keeps its source's network (the delegated subnet
                // and private DNS zone), so the nodes reach it as they reach the source.
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
        },
    }
}

/// Azure: the database Terraform creates on every SQL server of the app (the app's name with
/// `_` for `-`).
pub fn azure_database_name(project: &Project) -> String {
    project.app.name.replace('-', "_")
}

/// The commands that point the services at a restored database without touching its
/// connection secret, where the cloud restores next to the original under another name
/// (Azure SQL Database): `None` where the runbook rewrites the secret instead.
pub fn swap_restored_database(
    project: &Project,
    env: &Environment,
    engine: Engine,
    resource: &str,
) -> Option<Vec<String>> {
    if project.cloud.provider != Provider::Azure || engine != Engine::Sqlserver {
        return None;
    }
    let rg = &env.names.resource_group;
    let database = azure_database_name(project);
    Some(vec![
        format!(
            "az sql db rename --resource-group {rg} --server {resource} --name {database} --new-name {database}_damaged"
        ),
        format!(
            "az sql db rename --resource-group {rg} --server {resource} --name {database}_restore --new-name {database}"
        ),
    ])
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
        Provider::Aws => {
            // The copy of the environment root in the disaster-recovery region has the VPC
            // and the cluster, not the database: these commands give the restored instance
            // the subnet group, security group and TLS-requiring parameter group the rds
            // module would, in that VPC, under the same names.
            let names = crate::terraform::aws::rds_names(resource);
            let cluster = &env.names.cluster;
            let ds = env
                .datastores
                .iter()
                .find(|d| d.resource == resource)
                .and_then(|d| project.datastore(&d.datastore));
            let family = ds.map_or("", |d| d.cloud_version.family);
            let port = ds.map_or(engine.port(), |d| d.cloud_port);
            let tls = crate::terraform::aws::tls_parameter(engine);
            vec![
                format!(
                    "BACKUP_ARN=\"$(aws rds describe-db-instance-automated-backups --region {dr_region} --db-instance-identifier {resource} --query 'DBInstanceAutomatedBackups[0].DBInstanceAutomatedBackupsArn' --output text)\""
                ),
                format!(
                    "VPC_ID=\"$(aws ec2 describe-vpcs --region {dr_region} --filters Name=tag:Name,Values={cluster} --query 'Vpcs[0].VpcId' --output text)\""
                ),
                format!(
                    "aws rds create-db-subnet-group --region {dr_region} --db-subnet-group-name {} --db-subnet-group-description \"{resource} restored in {dr_region}\" --subnet-ids $(aws ec2 describe-subnets --region {dr_region} --filters Name=vpc-id,Values=\"$VPC_ID\" Name=tag:Name,Values='{cluster}-data-*' --query 'Subnets[].SubnetId' --output text)",
                    names.subnet_group
                ),
                format!(
                    "SECURITY_GROUP=\"$(aws ec2 create-security-group --region {dr_region} --group-name {} --description \"{resource}: reachable from the cluster only\" --vpc-id \"$VPC_ID\" --query GroupId --output text)\"",
                    names.security_group
                ),
                format!(
                    "aws ec2 authorize-security-group-ingress --region {dr_region} --group-id \"$SECURITY_GROUP\" --protocol tcp --port {port} --source-group \"$(aws eks describe-cluster --region {dr_region} --name {cluster} --query 'cluster.resourcesVpcConfig.clusterSecurityGroupId' --output text)\""
                ),
                format!(
                    "aws rds create-db-parameter-group --region {dr_region} --db-parameter-group-name {} --db-parameter-group-family {family} --description \"{resource}: TLS required\"",
                    names.parameter_group
                ),
                format!(
                    "aws rds modify-db-parameter-group --region {dr_region} --db-parameter-group-name {} --parameters ParameterName={tls},ParameterValue=1,ApplyMethod=pending-reboot",
                    names.parameter_group
                ),
                format!(
                    "aws rds restore-db-instance-to-point-in-time --region {dr_region} --source-db-instance-automated-backups-arn \"$BACKUP_ARN\" --target-db-instance-identifier {resource} --use-latest-restorable-time --db-subnet-group-name {} --vpc-security-group-ids \"$SECURITY_GROUP\" --db-parameter-group-name {} --no-publicly-accessible",
                    names.subnet_group, names.parameter_group
                ),
                format!(
                    "aws rds wait db-instance-available --region {dr_region} --db-instance-identifier {resource}"
                ),
                format!(
                    "aws rds describe-db-instances --region {dr_region} --db-instance-identifier {resource} --query 'DBInstances[0].Endpoint.Address' --output text"
                ),
            ]
        }
        // The VPC and its private services range are global, so the new instance joins
        // them from the DR region; `--edition` keeps the tier valid (newer PostgreSQL
        // versions default to Enterprise Plus, whose tiers differ).
        Provider::Gcp => {
            let p = gcp_project(env);
            let network = &env.names.cluster;
            vec![
                format!(
                    "BACKUP_ID=\"$(gcloud sql backups list --instance {resource} --project {p} --limit 1 --format='value(id)')\""
                ),
                format!(
                    "gcloud sql instances create {resource}-dr --region {dr_region} --edition enterprise --database-version \"$(gcloud sql instances describe {resource} --project {p} --format='value(databaseVersion)')\" --tier \"$(gcloud sql instances describe {resource} --project {p} --format='value(settings.tier)')\" --network {network} --allocated-ip-range-name {network}-private-services --no-assign-ip --project {p}"
                ),
                format!(
                    "gcloud sql backups restore \"$BACKUP_ID\" --restore-instance {resource}-dr --backup-instance {resource} --project {p}"
                ),
            ]
        }
        Provider::Azure => match engine {
            // Geo-redundant backups of a database restore onto a server in the recovery region,
            // created first with the same administrator.
            Engine::Sqlserver => {
                let database = azure_database_name(project);
                // The administrator's password is in the datastore's admin secret (JSON).
                let admin_secret = env
                    .datastores
                    .iter()
                    .find(|d| d.resource == resource)
                    .map_or(String::new(), |d| d.admin_secret.clone());
                vec![
                    format!(
                        "az sql server create --resource-group {rg} --name {resource}-dr --location {dr_region} --admin-user \"$(az sql server show --resource-group {rg} --name {resource} --query administratorLogin --output tsv)\" --admin-password \"$(az keyvault secret show --vault-name {} --name {admin_secret} --query value --output tsv | jq -r .password)\"",
                        env.key_vault
                    ),
                    // azure-cli: `sql db geo-backup show` gives the recoverable database's id.
                    format!(
                        "az sql db geo-backup restore --resource-group {rg} --dest-server {resource}-dr --dest-database {database} --geo-backup-id \"$(az sql db geo-backup show --resource-group {rg} --server {resource} --database {database} --query id --output tsv)\""
                    ),
                    format!(
                        "az sql server show --resource-group {rg} --name {resource}-dr --query fullyQualifiedDomainName --output tsv"
                    ),
                ]
            }
            _ => {
                let kind = if engine == Engine::Mysql {
                    "mysql"
                } else {
                    "postgres"
                };
                vec![format!(
                    "az {kind} flexible-server geo-restore --resource-group {rg} --name {resource}-dr --source-server {resource} --location {dr_region}"
                )]
            }
        },
    }
}

/// The node pool cluster add-ons run on beside the workloads' pool, as "fewest to most"
/// nodes, where the cloud's Terraform creates one: AKS keeps a system pool of the same VM
/// size (`system_node_min_count` / `system_node_max_count` of the cluster module), tainted
/// with `only_critical_addons_enabled` so it hosts critical system pods such as CoreDNS and
/// metrics-server (learn.microsoft.com/azure/aks/use-system-pools). `None` where the
/// workloads' pool is the only one.
pub fn system_pool(project: &Project, env: &Environment) -> Option<String> {
    match project.cloud.provider {
        Provider::Azure => {
            let (min, max) = crate::terraform::azure::system_nodes(env);
            Some(format!("{min} to {max}"))
        }
        Provider::Aws | Provider::Gcp => None,
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
            "iam.gke.io/gcp-service-account=\"{identity}@${{{}}}.iam.gserviceaccount.com\"",
            gcp_project_id_variable(&env.name, env.separate_account)
        ),
        // The client id is the GitHub variable the environment root's output was recorded as.
        Provider::Azure => format!(
            "azure.workload.identity/client-id=\"$(gh variable get {} --env {})\"",
            names::azure_workload_client_id_variable(
                project
                    .services
                    .iter()
                    .zip(&env.services)
                    .find(|(_, s)| s.workload_identity == identity)
                    .map_or(identity, |(svc, _)| svc.name.as_str())
            ),
            env.names.github_environment
        ),
    };
    format!(
        "kubectl annotate serviceaccount {service_account} --namespace {ns} --overwrite {value}"
    )
}
