package io.keyhold.gateway.crypto;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's secret material: the {@link KeyVault} master keys, the {@link Fingerprints} key,
 * the {@link EvidenceSigner} seed and the operator's admin token.
 *
 * <p>Each comes from {@link SecretOverrides} when given, else from {@code <data-dir>/secrets.properties},
 * else it is generated once and written there (file mode 0600, folder 0700). Only generated values
 * are written; given ones never touch the disk. Properties of the file:
 *
 * <pre>
 * vault.active=k1
 * vault.key.k1=&lt;base64 of 32 bytes&gt;
 * fingerprint.key=&lt;base64 of 32 bytes&gt;
 * evidence.seed=&lt;base64 of 32 bytes&gt;
 * admin.token=&lt;token&gt;
 * </pre>
 *
 * To rotate the vault, add {@code vault.key.k2}, set {@code vault.active=k2} and restart: values
 * sealed with {@code k1} still open. Never change {@code fingerprint.key}. No value is ever logged.
 */
public final class GatewaySecrets {
  public static final String FILE_NAME = "secrets.properties";
  public static final int ADMIN_TOKEN_LENGTH_MIN = 16;
  public static final String ADMIN_TOKEN_PREFIX = "kha_";

  private static final Logger LOG = LoggerFactory.getLogger(GatewaySecrets.class);
  private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

  private final KeyVault vault;
  private final Fingerprints fingerprints;
  private final EvidenceSigner evidenceSigner;
  private final String adminToken;
  private final boolean adminTokenGenerated;

  private GatewaySecrets(
      KeyVault vault, Fingerprints fingerprints, EvidenceSigner evidenceSigner, String adminToken,
      boolean adminTokenGenerated) {
    this.vault = vault;
    this.fingerprints = fingerprints;
    this.evidenceSigner = evidenceSigner;
    this.adminToken = adminToken;
    this.adminTokenGenerated = adminTokenGenerated;
  }

  /** Secrets built from values in memory alone (no file); every override must be given. */
  public static GatewaySecrets of(SecretOverrides given) {
    if (given.vaultKeys() == null || given.fingerprintKey() == null || given.evidenceSeed() == null
        || given.adminToken() == null) {
      throw new IllegalArgumentException("every secret must be given, but got " + given);
    }
    return build(given, new Properties());
  }

  /**
   * Loads the secrets, generating and storing the missing ones under {@code dataDir}. Blocking
   * (file I/O): call before Vert.x serves or inside executeBlocking.
   */
  public static GatewaySecrets loadOrCreate(Path dataDir, SecretOverrides given) throws IOException {
    Path file = dataDir.resolve(FILE_NAME);
    Properties stored = read(file);
    Properties generated = new Properties();
    if (given.vaultKeys() == null && stored.getProperty("vault.active") == null) {
      generated.setProperty("vault.active", "k1");
      generated.setProperty("vault.key.k1", b64(KeyVault.newKey()));
    }
    if (given.fingerprintKey() == null && stored.getProperty("fingerprint.key") == null) {
      generated.setProperty("fingerprint.key", b64(KeyVault.newKey()));
    }
    if (given.evidenceSeed() == null && stored.getProperty("evidence.seed") == null) {
      generated.setProperty("evidence.seed", b64(EvidenceSigner.newSeed()));
    }
    boolean adminGenerated = given.adminToken() == null && stored.getProperty("admin.token") == null;
    if (adminGenerated) {
      generated.setProperty("admin.token", SecretHasher.newToken(ADMIN_TOKEN_PREFIX));
    }
    if (!generated.isEmpty()) {
      stored.putAll(generated);
      write(dataDir, file, stored);
      LOG.info("generated secrets {} and stored them in {}", generated.stringPropertyNames(), file);
    }
    GatewaySecrets secrets = build(given, stored);
    return new GatewaySecrets(
        secrets.vault, secrets.fingerprints, secrets.evidenceSigner, secrets.adminToken, adminGenerated);
  }

  private static GatewaySecrets build(SecretOverrides given, Properties stored) {
    KeyVault vault = given.vaultKeys() != null ? parseVaultKeys(given.vaultKeys()) : vaultFrom(stored);
    byte[] fingerprintKey = decode("fingerprint key",
        given.fingerprintKey() != null ? given.fingerprintKey() : stored.getProperty("fingerprint.key"));
    byte[] seed = decode("evidence seed",
        given.evidenceSeed() != null ? given.evidenceSeed() : stored.getProperty("evidence.seed"));
    String adminToken = given.adminToken() != null ? given.adminToken() : stored.getProperty("admin.token");
    if (adminToken == null || adminToken.length() < ADMIN_TOKEN_LENGTH_MIN) {
      throw new IllegalArgumentException("admin token must be at least " + ADMIN_TOKEN_LENGTH_MIN
          + " characters, but was " + (adminToken == null ? "missing" : adminToken.length() + " characters"));
    }
    return new GatewaySecrets(vault, new Fingerprints(fingerprintKey), EvidenceSigner.fromSeed(seed), adminToken, false);
  }

  /** Parses {@code id:base64,id:base64}; the first id is the active one. */
  public static KeyVault parseVaultKeys(String spec) {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    String active = null;
    for (String part : spec.split(",")) {
      int colon = part.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("vault keys must be 'id:base64,id:base64', but an entry had no id");
      }
      String id = part.substring(0, colon).trim();
      keys.put(id, decode("vault key '" + id + "'", part.substring(colon + 1).trim()));
      if (active == null) {
        active = id;
      }
    }
    return KeyVault.of(active, keys);
  }

  private static KeyVault vaultFrom(Properties stored) {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    for (String name : stored.stringPropertyNames()) {
      if (name.startsWith("vault.key.")) {
        keys.put(name.substring("vault.key.".length()), decode(name, stored.getProperty(name)));
      }
    }
    return KeyVault.of(stored.getProperty("vault.active"), keys);
  }

  private static byte[] decode(String what, String base64) {
    if (base64 == null) {
      throw new IllegalArgumentException(what + " is missing");
    }
    try {
      return Base64.getDecoder().decode(base64.trim());
    } catch (IllegalArgumentException e) {
      // The message must not echo the value: it is a secret.
      throw new IllegalArgumentException(what + " must be base64");
    }
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static Properties read(Path file) throws IOException {
    Properties properties = new Properties();
    if (Files.exists(file)) {
      if (!Files.getPosixFilePermissions(file).equals(FILE_MODE)) {
        LOG.warn("{} is readable by others; setting its mode to 0600", file);
        Files.setPosixFilePermissions(file, FILE_MODE);
      }
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        properties.load(reader);
      }
    }
    return properties;
  }

  private static void write(Path dataDir, Path file, Properties properties) throws IOException {
    if (!Files.exists(dataDir)) {
      Files.createDirectories(dataDir);
      Files.setPosixFilePermissions(dataDir, DIR_MODE);
    }
    Path temp = dataDir.resolve(FILE_NAME + ".tmp");
    Files.deleteIfExists(temp);
    try {
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(FILE_MODE));
    } catch (FileAlreadyExistsException e) {
      throw new IOException("another process is writing " + temp, e);
    }
    StringWriter text = new StringWriter();
    properties.store(text, "Keyhold gateway secrets: keep private, back up, never change fingerprint.key");
    try (Writer writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
      writer.write(text.toString());
    }
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  public KeyVault vault() {
    return vault;
  }

  public Fingerprints fingerprints() {
    return fingerprints;
  }

  public EvidenceSigner evidenceSigner() {
    return evidenceSigner;
  }

  /** The operator's bearer token; for the CLI banner and the admin authenticator only. */
  public String adminToken() {
    return adminToken;
  }

  /** True when the admin token was generated by this start (so the CLI shows it). */
  public boolean adminTokenGenerated() {
    return adminTokenGenerated;
  }

  @Override
  public String toString() {
    return "GatewaySecrets[" + vault + ", " + fingerprints + ", " + evidenceSigner + ", adminToken=redacted]";
  }
}
