package io.keyhold.adapters.image;

import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assumptions;

/**
 * A container image as Jib's {@code buildTar} writes it (the {@code docker save} layout: {@code manifest.json}, the
 * image config, one tarball per layer), read without a container engine: its config, every file of its layers with
 * owner and mode, and — where this machine allows it — the image unpacked and its entrypoint run, as a container
 * runtime would, under {@code chroot} as the image's user, with {@code /proc}, {@code /dev}, {@code /etc/hosts} and
 * {@code /etc/resolv.conf} mounted in a mount namespace of its own ({@code unshare}). That needs root; elsewhere
 * {@link #requireRunnable} skips the test, except under {@code CI=true}, where CI runs as root and a skip would hide
 * a broken image.
 */
public final class ContainerImage {
  /** How long an image's server may take to answer its readiness probe (a JVM start, migrations). */
  public static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  public static final long POLL_MS = 100;

  private static final String UNSHARE = "/usr/bin/unshare";
  private static final String CHROOT = "/usr/sbin/chroot";
  private static final String MOUNT = "/usr/bin/mount";
  /** What a container runtime mounts from the host into every container: name resolution. */
  private static final List<String> RUNTIME_FILES = List.of("/etc/hosts", "/etc/resolv.conf");

  private final List<String> repoTags;
  private final JsonObject config;
  private final Map<String, FileEntry> files;
  private final List<Path> layers;

  /** One file of the image, as the last layer that has it leaves it. */
  public record FileEntry(String path, int mode, long uid, long gid, boolean directory, boolean symbolicLink) {
    public boolean executable() {
      return (mode & 0111) != 0;
    }
  }

  private ContainerImage(List<String> repoTags, JsonObject config, Map<String, FileEntry> files, List<Path> layers) {
    this.repoTags = repoTags;
    this.config = config;
    this.files = files;
    this.layers = layers;
  }

  /** Reads the image tarball at {@code tarball}; its layers are copied under {@code workDir}. */
  public static ContainerImage read(Path tarball, Path workDir) throws IOException {
    if (!Files.isRegularFile(tarball)) {
      fail("no image tarball at " + tarball + ": the package phase builds it (mvn -B verify)");
    }
    Path blobs = Files.createDirectories(workDir.resolve("blobs"));
    try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(tarball))) {
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        if (entry.isFile()) {
          Path target = blobs.resolve(entry.getName()).normalize();
          if (!target.startsWith(blobs)) {
            throw new IOException("an entry of " + tarball + " points outside it: " + entry.getName());
          }
          Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    JsonObject manifest = new JsonArray(Files.readString(blobs.resolve("manifest.json"))).getJsonObject(0);
    JsonObject imageConfig = new JsonObject(Files.readString(blobs.resolve(manifest.getString("Config"))));
    List<Path> layers = new ArrayList<>();
    Map<String, FileEntry> files = new LinkedHashMap<>();
    for (Object name : manifest.getJsonArray("Layers")) {
      Path layer = blobs.resolve((String) name);
      layers.add(layer);
      try (TarArchiveInputStream tar = layerStream(layer)) {
        for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
          String path = absolute(entry.getName());
          files.put(path, new FileEntry(path, entry.getMode() & 07777, entry.getLongUserId(), entry.getLongGroupId(),
              entry.isDirectory(), entry.isSymbolicLink()));
        }
      }
    }
    List<String> tags = manifest.getJsonArray("RepoTags", new JsonArray()).stream().map(String.class::cast).toList();
    return new ContainerImage(tags, imageConfig, files, layers);
  }

  private static TarArchiveInputStream layerStream(Path layer) throws IOException {
    InputStream in = Files.newInputStream(layer);
    byte[] magic = new byte[2];
    try (InputStream peek = Files.newInputStream(layer)) {
      peek.readNBytes(magic, 0, 2);
    }
    boolean gzip = (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
    return new TarArchiveInputStream(gzip ? new GZIPInputStream(in) : in);
  }

  private static String absolute(String name) {
    String path = name.startsWith("./") ? name.substring(1) : name.startsWith("/") ? name : "/" + name;
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** The names the tarball loads as ({@code docker load}), e.g. {@code keyhold/gateway:0.1.0-SNAPSHOT}. */
  public List<String> repoTags() {
    return repoTags;
  }

  /** The image config's {@code config} object: User, Entrypoint, Cmd, Env, ExposedPorts, WorkingDir, Labels. */
  public JsonObject runConfig() {
    return config.getJsonObject("config");
  }

  public String architecture() {
    return config.getString("architecture");
  }

  public String user() {
    return runConfig().getString("User");
  }

  public List<String> entrypoint() {
    return strings(runConfig().getJsonArray("Entrypoint"));
  }

  public List<String> cmd() {
    return strings(runConfig().getJsonArray("Cmd"));
  }

  public List<String> env() {
    return strings(runConfig().getJsonArray("Env"));
  }

  /** Exposed ports as Docker writes them: {@code 8080/tcp}. */
  public Set<String> exposedPorts() {
    return new TreeSet<>(runConfig().getJsonObject("ExposedPorts", new JsonObject()).fieldNames());
  }

  /** Every path in the image ({@code /opt/java/bin/java}), as its last layer leaves it. */
  public Map<String, FileEntry> files() {
    return files;
  }

  private static List<String> strings(JsonArray array) {
    return array == null ? List.of() : array.stream().map(String.class::cast).toList();
  }

  /**
   * Skips the calling test unless this machine can run an image the way {@link #start} does (Linux, root,
   * {@code unshare} and {@code chroot}); under {@code CI=true} it fails instead, since CI runs as root.
   */
  public static void requireRunnable() {
    String why = whyNotRunnable();
    if (why == null) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      fail("cannot run the image here, and CI must: " + why);
    }
    Assumptions.abort("image not run: " + why + " (the image's config and files were still checked)");
  }

  private static String whyNotRunnable() {
    if (!System.getProperty("os.name").startsWith("Linux")) {
      return "not Linux";
    }
    if (!Files.isExecutable(Path.of(UNSHARE)) || !Files.isExecutable(Path.of(CHROOT))
        || !Files.isExecutable(Path.of(MOUNT))) {
      return "needs " + UNSHARE + ", " + CHROOT + " and " + MOUNT + " (Debian: util-linux, coreutils, mount)";
    }
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      id.waitFor();
      if (!uid.equals("0")) {
        return "chroot and mounts need root, and this runs as uid " + uid;
      }
      Process probe = new ProcessBuilder(UNSHARE, "--mount", "true").redirectErrorStream(true).start();
      String said = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (probe.waitFor() != 0) {
        return "unshare --mount is refused here: " + said;
      }
    } catch (IOException e) {
      return "cannot start a process: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
    return null;
  }

  /**
   * Unpacks every layer, in order, into {@code root} with owners, modes and links as the tarballs say (a runtime's
   * root file system), plus empty files for the host's {@code /etc/hosts} and {@code /etc/resolv.conf} to be mounted
   * on. Needs root.
   */
  public Path unpack(Path root) throws IOException {
    Files.createDirectories(root);
    for (Path layer : layers) {
      try (TarArchiveInputStream tar = layerStream(layer)) {
        for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
          Path target = root.resolve(absolute(entry.getName()).substring(1)).normalize();
          if (!target.startsWith(root)) {
            throw new IOException("a layer entry points outside the image: " + entry.getName());
          }
          if (entry.isDirectory()) {
            Files.createDirectories(target);
          } else if (entry.isSymbolicLink()) {
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(target);
            Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
            continue;
          } else if (entry.isLink()) {
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(target);
            Files.createLink(target, root.resolve(absolute(entry.getLinkName()).substring(1)));
            continue;
          } else if (entry.isFile()) {
            Files.createDirectories(target.getParent());
            Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
          } else {
            continue;
          }
          Files.setAttribute(target, "unix:uid", (int) entry.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(target, "unix:gid", (int) entry.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
          // setuid, setgid and sticky bits are not in PosixFilePermission: chmod keeps all of them.
          chmod(target, entry.getMode() & 07777);
        }
      }
    }
    for (String file : RUNTIME_FILES) {
      Path mountPoint = root.resolve(file.substring(1));
      if (!Files.exists(mountPoint)) {
        Files.createDirectories(mountPoint.getParent());
        Files.createFile(mountPoint);
      }
    }
    return root;
  }

  private static void chmod(Path target, int mode) throws IOException {
    if ((mode & 07000) == 0) {
      Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
      PosixFilePermission[] bits = PosixFilePermission.values();
      for (int i = 0; i < 9; i++) {
        if ((mode & (0400 >> i)) != 0) {
          permissions.add(bits[i]);
        }
      }
      Files.setPosixFilePermissions(target, permissions);
      return;
    }
    try {
      Process chmod = new ProcessBuilder("chmod", Integer.toOctalString(mode), target.toString()).inheritIO().start();
      if (chmod.waitFor() != 0) {
        throw new IOException("chmod " + Integer.toOctalString(mode) + " " + target + " failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /**
   * Runs the image's entrypoint with {@code args} (its Cmd when the test does not replace it) in the unpacked
   * {@code root}, as the image's user, with the image's environment plus {@code env}; output to {@code log}. The
   * process is the JVM itself (sh and chroot exec it), so destroying it sends SIGTERM to the server.
   */
  public Process start(Path root, List<String> args, Map<String, String> env, Path log) throws IOException {
    List<String> command = new ArrayList<>(List.of(UNSHARE, "--mount", "/bin/sh", "-c",
        "set -e; root=$0; " + MOUNT + " -t proc proc \"$root/proc\"; " + MOUNT + " --rbind /dev \"$root/dev\"; "
            + "for file in " + String.join(" ", RUNTIME_FILES) + "; do if [ -e \"$file\" ]; then " + MOUNT
            + " --bind \"$file\" \"$root$file\"; fi; done; "
            + "exec " + CHROOT + " --userspec=\"$USERSPEC\" \"$root\" \"$@\"",
        root.toString()));
    command.addAll(entrypoint());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Files.createDirectories(log.getParent()).resolve(
            log.getFileName()).toFile()));
    Map<String, String> environment = builder.environment();
    environment.clear();
    for (String variable : env()) {
      int equals = variable.indexOf('=');
      environment.put(variable.substring(0, equals), variable.substring(equals + 1));
    }
    environment.putAll(env);
    environment.put("USERSPEC", user());
    return builder.start();
  }

  /** Polls {@code url} until it answers 200; fails naming the log when the process ends or time runs out. */
  public static void awaitOk(String url, Process process, Path log) throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long giveUp = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < giveUp) {
      if (!process.isAlive()) {
        fail("the image's process ended with " + process.exitValue() + " before " + url + " answered; see " + log);
      }
      try {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build();
        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      }
      Thread.sleep(POLL_MS);
    }
    fail(url + " did not answer 200 within " + READY_TIMEOUT + "; see " + log);
  }

  /** SIGTERM, then waits for the process to end; answers its exit code. */
  public static int stop(Process process, Duration limit) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor();
      fail("the image's process did not stop within " + limit + " of SIGTERM");
    }
    return process.exitValue();
  }

  /** A port free on 127.0.0.1 now. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes {@code dir} and everything in it (an unpacked image holds files of other owners: root may). */
  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
