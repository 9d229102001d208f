//! Java services: detection from `pom.xml` or `build.gradle(.kts)`, and the recipe.
//!
//! The artifact decides the recipe: a Spring Boot fat jar (`spring-boot:repackage`
//! or `bootJar`), the Gradle `application` plugin's distribution (`installDist`,
//! run with its classpath and main class, since distroless has no shell for the
//! start script), a shaded jar, or Quarkus's `quarkus-app`. The Java version comes
//! from the build file (`java.version`, `maven.compiler.release`, a Gradle
//! toolchain), the build tool from the wrapper the repository commits.

use serde::Serialize;

use super::text::{self, xml_values};
use super::{
    Ci, Detail as AnyDetail, Detected, Finding, Folder, Found, Recipe, RecipeFacts, RecipeInput,
    Setup, Stack, join, literal_paths, warning,
};
use crate::connection::ConventionalNames;
use crate::datastore::{ConnectionForm, Engine};
use crate::vocabulary::{Language, PackageManager, ServiceKind};

/// The Java version used when the build file pins none.
pub const DEFAULT_VERSION: &str = "21";

/// The Java row of the stack table.
pub static STACK: Stack = Stack {
    language: Language::Java,
    manifests: &["pom.xml", "build.gradle", "build.gradle.kts"],
    package_managers: &[PackageManager::Maven, PackageManager::Gradle],
    default_port: 8080,
    health: ("/health", "/ready"),
    metrics: true,
    uid: 65532,
    shell: false,
    http_healthcheck: false,
    codeql: Some(("java-kotlin", "none")),
    // Spring Boot binds SPRING_DATASOURCE_URL/_USERNAME/_PASSWORD and SPRING_DATA_REDIS_URL.
    connection_form: |engine| {
        if engine.facts().relational {
            ConnectionForm::Jdbc
        } else {
            ConnectionForm::Url
        }
    },
    connection_names: ConventionalNames {
        database_url: "DATABASE_URL",
        cache_url: "SPRING_DATA_REDIS_URL",
        jdbc_prefix: "SPRING_DATASOURCE",
    },
    detect,
    recipe,
    ci,
    dependabot: |manager| match manager {
        PackageManager::Gradle => "gradle",
        _ => "maven",
    },
};

/// What the build produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Artifact {
    /// A Spring Boot executable jar.
    BootJar,
    /// The Gradle `application` plugin's distribution (`lib/*.jar`).
    Distribution,
    /// A shaded (fat) jar.
    Shaded,
    /// Quarkus's `target/quarkus-app`.
    Quarkus,
    /// A plain jar without its dependencies: it cannot start on its own.
    Plain,
}

/// What the Java recipe needs, as detection found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The artifact, with why.
    pub artifact: Found<Artifact>,
    /// The wrapper (`mvnw`, `gradlew`) is committed.
    pub wrapper: bool,
    /// The main class (`application { mainClass }`), for distributions.
    pub main_class: Option<String>,
    /// Spotless is configured (its check is the linter).
    pub spotless: bool,
}

const DATASTORES: &[(&str, Engine)] = &[
    ("postgresql", Engine::Postgres),
    ("r2dbc-postgresql", Engine::Postgres),
    ("mysql-connector-j", Engine::Mysql),
    ("mysql-connector-java", Engine::Mysql),
    ("jedis", Engine::Redis),
    ("lettuce-core", Engine::Redis),
    ("spring-boot-starter-data-redis", Engine::Redis),
    ("mssql-jdbc", Engine::Sqlserver),
];

fn detect(folder: &Folder<'_>) -> Option<Finding> {
    let (manager, name) = if folder.has("pom.xml") {
        (PackageManager::Maven, "pom.xml")
    } else if folder.has("build.gradle.kts") {
        (PackageManager::Gradle, "build.gradle.kts")
    } else {
        (PackageManager::Gradle, "build.gradle")
    };
    let text = folder.read(name).unwrap_or_default();
    let manifest = folder.shown(name);
    let deps: Vec<String> = if manager == PackageManager::Maven {
        xml_values(&text, "artifactId")
    } else {
        text.split(['"', '\''])
            .filter_map(|s| {
                let mut parts = s.split(':');
                let (_group, artifact) = (parts.next()?, parts.next()?);
                (!artifact.is_empty() && !s.contains(' ')).then(|| artifact.to_owned())
            })
            .collect()
    };
    let has = |dep: &str| deps.iter().any(|d| d == dep);
    let contains = |marker: &str| text.contains(marker);
    let artifact = if contains("spring-boot") || contains("org.springframework.boot") {
        Found::new(
            Artifact::BootJar,
            format!("{manifest} applies Spring Boot: an executable jar"),
        )
    } else if contains("quarkus") {
        Found::new(
            Artifact::Quarkus,
            format!("{manifest} builds a Quarkus app"),
        )
    } else if contains("id 'application'")
        || contains("id(\"application\")")
        || contains("plugin: 'application'")
        || contains("\napplication {")
    {
        Found::new(
            Artifact::Distribution,
            format!("{manifest} applies the `application` plugin"),
        )
    } else if contains("maven-shade-plugin")
        || contains("com.gradleup.shadow")
        || contains("com.github.johnrengelman.shadow")
    {
        Found::new(
            Artifact::Shaded,
            format!("{manifest} shades its dependencies into one jar"),
        )
    } else {
        Found::new(
            Artifact::Plain,
            format!("{manifest} builds a plain jar without its dependencies"),
        )
    };
    if folder.root.java_multi_module && artifact.value == Artifact::Plain {
        return Some(Finding::Library(format!(
            "{manifest} applies no application plugin (Spring Boot, Quarkus, `application`, shading): a library module"
        )));
    }
    let main_class = text
        .split("mainClass")
        .nth(1)
        .and_then(|rest| rest.split(['"', '\'']).nth(1))
        .map(str::to_owned);
    let facts = Facts {
        artifact: artifact.clone(),
        wrapper: folder.has(if manager == PackageManager::Maven {
            "mvnw"
        } else {
            "gradlew"
        }),
        main_class,
        spotless: contains("spotless"),
    };
    let mut found = Detected::new(Language::Java, manager, RecipeFacts::Java(facts));
    found.read_dockerfile(folder);
    found.evidence.push(format!("{manifest} → {manager}"));
    found.evidence.push(artifact.why.clone());
    if artifact.value == Artifact::Plain {
        found.unsure.push(format!(
            "{manifest} builds a jar without its dependencies, which `java -jar` cannot start; add Spring Boot's plugin, the `application` plugin or shading"
        ));
    }
    // The Java version the build file asks for.
    let version = [
        "java.version",
        "maven.compiler.release",
        "maven.compiler.target",
        "maven.compiler.source",
    ]
    .iter()
    .find_map(|tag| Some((*tag, xml_values(&text, tag).into_iter().next()?)))
    .map(|(tag, v)| (format!("{manifest} sets `{tag}` {v}"), v))
    .or_else(|| {
        let at = text.find("JavaLanguageVersion.of(")? + "JavaLanguageVersion.of(".len();
        let v: String = text[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!v.is_empty()).then(|| (format!("{manifest} sets the Java toolchain to {v}"), v))
    })
    .or_else(|| {
        let line = text.lines().find(|l| l.contains("sourceCompatibility"))?;
        let v = text::major(line.split_once('=')?.1)?;
        Some((format!("{manifest} sets `sourceCompatibility` {v}"), v))
    });
    if let Some((why, v)) = version
        && let Some(major) = text::major(v.trim_start_matches("1."))
    {
        found.runtime_version = Some(Found::new(major, why));
    }
    let props = [
        "src/main/resources/application.properties",
        "src/main/resources/application.yml",
        "src/main/resources/application.yaml",
    ]
    .iter()
    .find_map(|p| folder.read(p).map(|t| (*p, t)));
    let web = has("spring-boot-starter-web")
        || has("spring-boot-starter-webflux")
        || contains("quarkus-rest")
        || contains("micronaut-http-server")
        || has("javalin")
        || contains("io.ktor");
    let grpc = deps.iter().any(|d| {
        d.contains("grpc-netty")
            || d.contains("grpc-server-spring-boot")
            || d == "spring-grpc-spring-boot-starter"
    });
    if grpc && !web {
        found.kind = Found::new(
            ServiceKind::Grpc,
            format!("{manifest} depends on a gRPC server"),
        );
    } else if !web
        && artifact.value == Artifact::BootJar
        && !contains("spring-boot-starter-actuator")
    {
        found.kind = Found::new(
            ServiceKind::Worker,
            format!("{manifest} runs Spring Boot without a web starter: a worker"),
        );
    }
    if found.kind.value.listens() {
        let yaml_port = props.as_ref().and_then(|(p, t)| {
            let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(t).ok()?;
            let port = doc.get("server")?.get("port")?.as_u64()?;
            Some(Found::new(
                port as u16,
                format!("{} sets `server.port: {port}`", folder.shown(p)),
            ))
        });
        let props_file = props
            .as_ref()
            .map_or("src/main/resources/application.properties", |(p, _)| p);
        found.port_from(
            folder,
            &[props_file, ".env.example"],
            Some(Found::new(
                8080,
                "Java web servers listen on 8080 by default",
            )),
        );
        if let Some(port) = yaml_port
            && found
                .dockerfile
                .as_ref()
                .is_none_or(|d| d.expose.is_empty())
        {
            found.port = Some(port);
        }
    }
    if contains("spring-boot-starter-actuator") && found.kind.value == ServiceKind::Web {
        let probes = props
            .as_ref()
            .is_some_and(|(_, t)| t.contains("probes.enabled") || t.contains("probes:"));
        let at = folder.shown(name);
        if probes {
            found.health_path = Some(Found::new(
                "/actuator/health/liveness".to_owned(),
                format!("{at} includes Spring Boot Actuator with health probes enabled"),
            ));
            found.readiness_path = Some(Found::new(
                "/actuator/health/readiness".to_owned(),
                format!("{at} includes Spring Boot Actuator with health probes enabled"),
            ));
        } else {
            found.health_path = Some(Found::new(
                "/actuator/health".to_owned(),
                format!(
                    "{at} includes Spring Boot Actuator (its liveness and readiness groups need `management.endpoint.health.probes.enabled=true` outside Kubernetes)"
                ),
            ));
            found.readiness_path = found.health_path.clone();
        }
        if deps.iter().any(|d| d == "micrometer-registry-prometheus") {
            found.metrics_path = Some(Found::new(
                "/actuator/prometheus".to_owned(),
                format!("{at} includes micrometer-registry-prometheus"),
            ));
        }
    } else if found.kind.value == ServiceKind::Web {
        let sources = folder.sources(&[".java", ".kt"], 60);
        found.health_from(&literal_paths(&sources, folder));
    }
    found.engines_from(&deps, &manifest, DATASTORES);
    if deps.iter().any(|d| d == "sqlite-jdbc") {
        found.sqlite = Some(format!("{manifest} depends on `sqlite-jdbc`"));
    }
    found.variables_from_env(folder);
    Some(Finding::Service(Box::new(found)))
}

/// The Java template's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// `maven` or `gradle`.
    pub tool: String,
    /// The build tool command (`./mvnw`, `mvn`, `./gradlew`, `gradle`).
    pub command: String,
    /// What the build produces.
    pub artifact: Artifact,
    /// Where the build leaves it, relative to the service folder (`target`, `build/libs`...).
    pub artifact_dir: String,
}

fn recipe(input: &RecipeInput<'_>) -> Recipe {
    let facts = match input.facts() {
        Some(RecipeFacts::Java(facts)) => Some(facts),
        _ => None,
    };
    let version = input.version(DEFAULT_VERSION, "Java");
    let pinned = input.version_pinned();
    let v = &version.value;
    let gradle = input.package_manager == PackageManager::Gradle;
    let wrapper = facts.is_some_and(|f| f.wrapper);
    // The starter builds with Maven from the build image, like a repository without a wrapper.
    let command = match (gradle, wrapper) {
        (true, true) => "./gradlew --no-daemon",
        (true, false) => "gradle --no-daemon",
        (false, true) => "./mvnw --batch-mode",
        (false, false) => "mvn --batch-mode",
    };
    let build_image = match (gradle, wrapper) {
        (true, true) => format!("eclipse-temurin:{v}-jdk"),
        (true, false) => format!("gradle:8.14.3-jdk{v}"),
        (false, _) => format!("maven:3.9.11-eclipse-temurin-{v}"),
    };
    let runtime_image = if matches!(v.as_str(), "17" | "21") {
        format!("gcr.io/distroless/java{v}-debian12:nonroot")
    } else {
        format!("eclipse-temurin:{v}-jre")
    };
    let artifact = facts.map_or(Artifact::Shaded, |f| f.artifact.value);
    let mut evidence = vec![version.why.clone()];
    let mut assumptions = Vec::new();
    if let Some(f) = facts {
        evidence.push(f.artifact.why.clone());
    }
    let (task, artifact_dir) = match (gradle, artifact) {
        (true, Artifact::BootJar) => ("bootJar -x test", "build/libs"),
        (true, Artifact::Distribution) => ("installDist -x test", "build/install"),
        (true, Artifact::Shaded) => ("shadowJar -x test", "build/libs"),
        (true, _) => ("build -x test", "build/libs"),
        (false, Artifact::Quarkus) => ("package -DskipTests", "target/quarkus-app"),
        (false, _) => ("package -DskipTests", "target"),
    };
    let build = input.build(Some(format!("{command} {task}")));
    let start_default: Vec<String> = match artifact {
        Artifact::Distribution => {
            let main = facts.and_then(|f| f.main_class.clone()).unwrap_or_else(|| {
                assumptions.push(format!(
                    "the main class of {} is not named in its build file; set `start` in scaffold.toml",
                    input.name
                ));
                "Main".to_owned()
            });
            vec![
                "java".into(),
                "-XX:MaxRAMPercentage=75".into(),
                "-cp".into(),
                "/app/lib/*".into(),
                main,
            ]
        }
        Artifact::Quarkus => vec![
            "java".into(),
            "-XX:MaxRAMPercentage=75".into(),
            "-jar".into(),
            "/app/quarkus-run.jar".into(),
        ],
        _ => vec![
            "java".into(),
            "-XX:MaxRAMPercentage=75".into(),
            "-jar".into(),
            "/app/app.jar".into(),
        ],
    };
    let start_text = input
        .answers
        .start
        .map_or_else(|| start_default.join(" "), str::to_owned);
    let start = input.start(start_default);
    Recipe {
        template: "docker/java.Dockerfile.tera",
        build_image,
        runtime_image,
        version_pinned: pinned,
        runtime_version: version,
        context: input.path.to_owned(),
        dir_in_context: String::new(),
        build,
        start,
        start_text,
        init: false,
        detail: AnyDetail::Java(Detail {
            tool: input.package_manager.as_str().to_owned(),
            command: command.to_owned(),
            artifact,
            artifact_dir: artifact_dir.to_owned(),
        }),
        evidence,
        assumptions,
    }
}

fn ci(input: &RecipeInput<'_>, recipe: &Recipe) -> Ci {
    let facts = match input.facts() {
        Some(RecipeFacts::Java(facts)) => Some(facts),
        _ => None,
    };
    let command = match &recipe.detail {
        AnyDetail::Java(d) => d.command.clone(),
        _ => "mvn --batch-mode".to_owned(),
    };
    let gradle = input.package_manager == PackageManager::Gradle;
    let lint = match (facts.is_some_and(|f| f.spotless), gradle) {
        (true, true) => vec![format!("{command} spotlessCheck")],
        (true, false) => vec![format!("{command} spotless:check")],
        (false, _) => vec![warning(&format!(
            "{}: no formatter or linter is configured (Spotless, Checkstyle run inside the test task), so nothing lints this service beyond the compiler",
            input.name
        ))],
    };
    let test = if gradle {
        vec![format!("{command} check")]
    } else {
        vec![format!("{command} --no-transfer-progress verify")]
    };
    Ci {
        setup: Setup::Java {
            version: recipe.runtime_version.value.clone(),
            manager: input.package_manager.as_str().to_owned(),
        },
        working_directory: input.path.to_owned(),
        cache_key: join(input.path, if gradle { "build.gradle*" } else { "pom.xml" }),
        install: Vec::new(),
        lint,
        test,
    }
}
