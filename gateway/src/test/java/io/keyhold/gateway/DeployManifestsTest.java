package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.store.Database;
import io.keyhold.gateway.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;

/**
 * The deployment files under {@code deploy/} (compose, Prometheus, Grafana provisioning, Kubernetes) against the
 * gateway itself: their command lines and config files are parsed by the gateway's own parsers, their ports are
 * the ones that config listens on, their probe and metrics paths are asked of a running gateway, and the
 * environment they set holds only variables the gateway reads. The YAML parser is SnakeYAML, which vertx-openapi
 * already brings. The image they name is checked against the built tarball by {@link GatewayImageIT}.
 */
class DeployManifestsTest {
  static final Path DEPLOY = Path.of("..", "deploy");
  static final Path K8S = DEPLOY.resolve("k8s");
  static final String GATEWAY_IMAGE = "keyhold/gateway:";
  private static final String METRICS_TOKEN = "metrics-reader-" + UUID.randomUUID();

  private static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(config -> config.metricsToken(METRICS_TOKEN));
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
  }

  @Test
  void everyYamlFileUnderDeployParses() throws IOException {
    List<Path> files = yamlFiles();

    assertThat(files).extracting(path -> DEPLOY.relativize(path).toString()).contains("compose.yaml",
        "prometheus.yml", "k8s/deployment.yaml", "k8s/pdb.yaml", "k8s/secret.yaml",
        "grafana/provisioning/datasources/prometheus.yaml", "grafana/provisioning/dashboards/keyhold.yaml");
    for (Path file : files) {
      List<Object> documents = documents(file);
      assertThat(documents).as(file.toString()).isNotEmpty().allMatch(Map.class::isInstance);
    }
  }

  @Test
  void theKubernetesDeploymentRunsTwoGatewaysProbedWhereTheGatewayAnswers() throws Exception {
    Map<String, Object> deployment = k8s("Deployment");
    Map<String, Object> container = container(deployment);
    GatewayConfig config = kubernetesConfig(container);
    Map<String, Integer> ports = containerPorts(container);

    assertThat(path(deployment, "spec.replicas")).isEqualTo(2);
    assertThat(config.host()).as("a pod's port is reached from outside it").isEqualTo("0.0.0.0");
    assertThat(ports.values()).containsExactly(config.port());
    assertThat(path(container, "readinessProbe.httpGet.path")).isEqualTo("/health/ready");
    assertThat(path(container, "livenessProbe.httpGet.path")).isEqualTo("/health/live");
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      Object port = path(container, probe + ".httpGet.port");
      String probePath = (String) path(container, probe + ".httpGet.path");
      assertThat(port instanceof String name ? ports.get(name) : port).as(probe).isEqualTo(config.port());
      assertThat(gw.get(probePath, null).status()).as("%s %s on a running gateway", probe, probePath).isEqualTo(200);
    }
    long startupSeconds = ((Number) path(container, "startupProbe.periodSeconds")).longValue()
        * ((Number) path(container, "startupProbe.failureThreshold")).longValue();
    assertThat(startupSeconds).as("a start may migrate, or wait for another instance's migration")
        .isGreaterThanOrEqualTo(Database.MIGRATION_WAIT_MAX.toSeconds());
    assertThat(path(container, "resources.limits.memory")).isNotNull();
    assertThat(path(deployment, "spec.template.spec.securityContext.runAsNonRoot")).isEqualTo(true);
  }

  @Test
  void theSecretHoldsPlaceholdersOfVariablesTheGatewayReads() throws Exception {
    Map<String, Object> secret = k8s("Secret");
    Map<String, Object> container = container(k8s("Deployment"));
    Map<String, Object> values = map(path(secret, "stringData"));
    List<Object> envFrom = list(container.get("envFrom"));

    assertThat(values.keySet()).isNotEmpty().isSubsetOf(gatewayEnvironment()).contains(
        GatewayConfig.ENV_PG_URL, GatewayConfig.ENV_VAULT_KEYS, GatewayConfig.ENV_FINGERPRINT_KEY,
        GatewayConfig.ENV_EVIDENCE_SEED, GatewayConfig.ENV_ADMIN_TOKEN);
    assertThat(values.values()).as("never a real secret in git")
        .allMatch(value -> value.toString().contains("REPLACE-ME"));
    assertThat(envFrom).extracting(from -> path(from, "secretRef.name")).containsExactly(path(secret, "metadata.name"));
    for (Object variable : list(container.getOrDefault("env", List.of()))) {
      assertThat(gatewayEnvironment()).contains((String) path(variable, "name"));
    }
  }

  @Test
  void aDisruptionBudgetAndTheServiceSelectTheGatewayPods() throws Exception {
    Map<String, Object> deployment = k8s("Deployment");
    Map<String, Object> podLabels = map(path(deployment, "spec.template.metadata.labels"));
    Map<String, Object> budget = k8s("PodDisruptionBudget");
    Map<String, Object> service = k8s("Service");
    Map<String, Integer> ports = containerPorts(container(deployment));

    assertThat(podLabels).containsAllEntriesOf(map(path(budget, "spec.selector.matchLabels")));
    assertThat((Integer) path(budget, "spec.minAvailable"))
        .isBetween(1, (Integer) path(deployment, "spec.replicas") - 1);
    assertThat(podLabels).containsAllEntriesOf(map(path(service, "spec.selector")));
    Object target = path(list(path(service, "spec.ports")).get(0), "targetPort");
    assertThat(target instanceof String name ? ports.get(name) : target).isEqualTo(ports.values().iterator().next());
    try (Stream<Path> files = Files.list(K8S)) {
      assertThat(files.map(file -> file.getFileName().toString()).filter(name -> !name.equals("kustomization.yaml")))
          .containsExactlyInAnyOrderElementsOf(strings(path(only(K8S.resolve("kustomization.yaml")), "resources")));
    }
  }

  @Test
  void theComposeFileRunsTwoGatewaysOnOnePostgres() throws Exception {
    Map<String, Object> services = map(compose().get("services"));
    Map<String, Map<String, Object>> gateways = gatewayServices();

    assertThat(gateways).hasSize(2);
    assertThat(path(services, "postgres.image").toString()).matches("postgres:(15|17)(\\..*)?");
    for (var gateway : gateways.entrySet()) {
      GatewayConfig config = commandLineConfig(strings(gateway.getValue().get("command")), Map.of());
      Map<String, Object> environment = map(gateway.getValue().get("environment"));
      assertThat(config.host()).as(gateway.getKey()).isEqualTo("0.0.0.0");
      assertThat(strings(gateway.getValue().get("ports"))).as(gateway.getKey())
          .singleElement().satisfies(mapping -> assertThat(mapping).endsWith(":" + config.port()));
      assertThat(environment.keySet()).as(gateway.getKey()).isSubsetOf(gatewayEnvironment())
          .contains(GatewayConfig.ENV_VAULT_KEYS, GatewayConfig.ENV_FINGERPRINT_KEY, GatewayConfig.ENV_EVIDENCE_SEED,
              GatewayConfig.ENV_METRICS_TOKEN);
      String url = environment.get(GatewayConfig.ENV_PG_URL).toString();
      URI database = URI.create(url.replace("${", "").replace("}", ""));
      assertThat(services).as("the database host of %s is a service", gateway.getKey()).containsKey(database.getHost());
    }
  }

  @Test
  void prometheusScrapesBothGatewaysWithTheMetricsToken() throws Exception {
    Map<String, Object> compose = compose();
    Map<String, Object> prometheus = map(path(compose, "services.prometheus"));
    Map<String, Object> scrape = map(list(only(DEPLOY.resolve("prometheus.yml")).get("scrape_configs")).get(0));
    String metricsPath = (String) scrape.get("metrics_path");
    String credentials = (String) path(scrape, "authorization.credentials_file");
    Set<String> expectedTargets = new TreeSet<>();
    for (var gateway : gatewayServices().entrySet()) {
      int port = commandLineConfig(strings(gateway.getValue().get("command")), Map.of()).port();
      expectedTargets.add(gateway.getKey() + ":" + port);
    }

    assertThat(gw.get(metricsPath, METRICS_TOKEN).status()).isEqualTo(200);
    assertThat(gw.get(metricsPath, null).status()).as("the scrape needs the token").isEqualTo(401);
    assertThat(strings(path(list(scrape.get("static_configs")).get(0), "targets"))).containsExactlyInAnyOrderElementsOf(
        expectedTargets);
    assertThat(strings(prometheus.get("volumes"))).contains("./prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    assertThat(credentials).startsWith("/run/secrets/");
    String secret = credentials.substring("/run/secrets/".length());
    assertThat(strings(prometheus.get("secrets"))).contains(secret);
    assertThat(path(compose, "secrets." + secret + ".environment")).isEqualTo(GatewayConfig.ENV_METRICS_TOKEN);
  }

  @Test
  void grafanaIsProvisionedWithPrometheusAndTheDashboard() throws Exception {
    Map<String, Object> services = map(compose().get("services"));
    List<String> volumes = strings(path(services, "grafana.volumes"));
    Map<String, Object> datasource = map(list(only(
        DEPLOY.resolve("grafana/provisioning/datasources/prometheus.yaml")).get("datasources")).get(0));
    Map<String, Object> dashboards = map(list(only(
        DEPLOY.resolve("grafana/provisioning/dashboards/keyhold.yaml")).get("providers")).get(0));
    URI prometheus = URI.create((String) datasource.get("url"));
    Map<String, String> mounts = volumes.stream().map(volume -> volume.split(":"))
        .collect(Collectors.toMap(parts -> parts[0], parts -> parts[1]));

    assertThat(datasource.get("type")).isEqualTo("prometheus");
    assertThat(strings(path(services, prometheus.getHost() + ".ports")))
        .anyMatch(mapping -> mapping.endsWith(":" + prometheus.getPort()));
    assertThat(mounts.get("./grafana/provisioning")).isEqualTo("/etc/grafana/provisioning");
    assertThat(Path.of(mounts.get("./grafana/keyhold-gateway.json")).getParent().toString())
        .isEqualTo(path(dashboards, "options.path"));
    for (String source : mounts.keySet()) {
      assertThat(DEPLOY.resolve(source)).as("mounted into Grafana").exists();
    }
  }

  // ---- the gateway's side

  /** Every environment variable the gateway reads: {@link GatewayConfig}'s {@code ENV_} names. */
  static Set<String> gatewayEnvironment() throws IllegalAccessException {
    Set<String> names = new TreeSet<>();
    for (Field field : GatewayConfig.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getName().startsWith("ENV_")) {
        names.add((String) field.get(null));
      }
    }
    return names;
  }

  /** The config {@code args} give the gateway, through its own command line; {@code files} stand in for paths. */
  static GatewayConfig commandLineConfig(List<String> args, Map<String, Path> files) throws IOException {
    GatewayMain main = new GatewayMain(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    String[] given = args.stream().map(arg -> files.containsKey(arg) ? files.get(arg).toString() : arg)
        .toArray(String[]::new);
    new CommandLine(main).parseArgs(given);
    return main.config();
  }

  /** The Deployment container's config: its args, with the config file it names taken from the mounted ConfigMap. */
  private static GatewayConfig kubernetesConfig(Map<String, Object> container) throws IOException {
    List<String> args = strings(container.get("args"));
    String configPath = args.get(args.indexOf("--config") + 1);
    Map<String, Object> deployment = k8s("Deployment");
    Object mount = list(container.get("volumeMounts")).stream()
        .filter(m -> configPath.startsWith(path(m, "mountPath") + "/")).findFirst().orElseThrow();
    Object volume = list(path(deployment, "spec.template.spec.volumes")).stream()
        .filter(v -> path(v, "name").equals(path(mount, "name"))).findFirst().orElseThrow();
    Map<String, Object> configMap = k8s("ConfigMap");
    assertThat(path(configMap, "metadata.name")).isEqualTo(path(volume, "configMap.name"));
    String key = configPath.substring(((String) path(mount, "mountPath")).length() + 1);
    Path file = Files.createTempFile("keyhold-deploy-", ".json");
    try {
      Files.writeString(file, (String) map(configMap.get("data")).get(key));
      return commandLineConfig(args, Map.of(configPath, file));
    } finally {
      Files.delete(file);
    }
  }

  // ---- reading the files

  static List<Path> yamlFiles() throws IOException {
    try (Stream<Path> files = Files.walk(DEPLOY)) {
      return files.filter(file -> file.toString().endsWith(".yaml") || file.toString().endsWith(".yml")).sorted()
          .toList();
    }
  }

  static List<Object> documents(Path file) throws IOException {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    List<Object> documents = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      yaml.loadAll(reader).forEach(documents::add);
    }
    return documents;
  }

  static Map<String, Object> only(Path file) throws IOException {
    List<Object> documents = documents(file);
    assertThat(documents).as(file.toString()).hasSize(1);
    return map(documents.get(0));
  }

  static Map<String, Object> compose() throws IOException {
    return only(DEPLOY.resolve("compose.yaml"));
  }

  /** The compose services running the gateway's image, by name. */
  static Map<String, Map<String, Object>> gatewayServices() throws IOException {
    Map<String, Map<String, Object>> gateways = new LinkedHashMap<>();
    map(compose().get("services")).forEach((name, service) -> {
      if (String.valueOf(map(service).get("image")).startsWith(GATEWAY_IMAGE)) {
        gateways.put(name, map(service));
      }
    });
    return gateways;
  }

  /** The one Kubernetes object of {@code kind} under deploy/k8s. */
  static Map<String, Object> k8s(String kind) throws IOException {
    List<Map<String, Object>> found = new ArrayList<>();
    for (Path file : yamlFiles()) {
      if (file.startsWith(K8S)) {
        for (Object document : documents(file)) {
          if (kind.equals(map(document).get("kind"))) {
            found.add(map(document));
          }
        }
      }
    }
    assertThat(found).as("objects of kind %s in %s", kind, K8S).hasSize(1);
    return found.get(0);
  }

  static Map<String, Object> container(Map<String, Object> deployment) {
    List<Object> containers = list(path(deployment, "spec.template.spec.containers"));
    assertThat(containers).hasSize(1);
    return map(containers.get(0));
  }

  /** Container port numbers by name. */
  static Map<String, Integer> containerPorts(Map<String, Object> container) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (Object port : list(container.get("ports"))) {
      ports.put((String) path(port, "name"), (Integer) path(port, "containerPort"));
    }
    return ports;
  }

  /** The value at a dotted path of nested maps ({@code spec.template.spec}), or null. */
  static Object path(Object root, String dotted) {
    Object value = root;
    for (String key : dotted.split("\\.")) {
      if (!(value instanceof Map<?, ?> map)) {
        return null;
      }
      value = map.get(key);
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    assertThat(value).isInstanceOf(Map.class);
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object value) {
    assertThat(value).isInstanceOf(List.class);
    return (List<Object>) value;
  }

  static List<String> strings(Object value) {
    return list(value).stream().map(String::valueOf).toList();
  }
}
