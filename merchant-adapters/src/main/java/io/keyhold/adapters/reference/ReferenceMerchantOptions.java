package io.keyhold.adapters.reference;

import io.keyhold.adapters.signature.Signatures;
import io.keyhold.adapters.spi.Identifiers;
import io.keyhold.adapters.spi.Range;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a {@link ReferenceMerchant} starts: where it listens, its stock (SKUs and how many keys each),
 * its secrets, the seed of its random generator, and the faults it starts with. Immutable; built with
 * {@link #builder()}, which rejects bad values and says what it got.
 */
public final class ReferenceMerchantOptions {

  /** A secret for local runs and tests only: anybody can read it here. */
  public static final String DEV_SECRET = "reference-merchant-dev-secret";
  /** The default stock: a SKU named {@value #DEFAULT_SKU} with this many keys. */
  public static final int DEFAULT_STOCK = 1_000;
  /** The default SKU's name. */
  public static final String DEFAULT_SKU = "demo";
  /** Most keys all SKUs together may hold, to bound memory. */
  public static final int TOTAL_KEYS_MAX = 200_000;
  /** Most SKUs. */
  public static final int SKUS_MAX = 1_000;
  /** Longest a held request waits before its connection is closed: an hour outlasts any client's timeout. */
  public static final int HOLD_MS_MAX = 3_600_000;
  /** How long a request the timeout fault never answers is held before its connection is closed. */
  public static final int DEFAULT_HOLD_MS = 120_000;

  private final String host;
  private final int port;
  private final Map<String, Integer> stock;
  private final List<String> secrets;
  private final List<String> issuerSecrets;
  private final int replayWindowSeconds;
  private final long seed;
  private final Faults faults;
  private final Clock clock;
  private final int holdMs;

  private ReferenceMerchantOptions(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.stock = Collections.unmodifiableMap(new LinkedHashMap<>(b.stock.isEmpty() ? Map.of(DEFAULT_SKU, DEFAULT_STOCK) : b.stock));
    this.secrets = List.copyOf(b.secrets.isEmpty() ? List.of(DEV_SECRET) : b.secrets);
    this.issuerSecrets = List.copyOf(b.issuerSecrets.isEmpty() ? this.secrets : b.issuerSecrets);
    this.replayWindowSeconds = b.replayWindowSeconds;
    this.seed = b.seed;
    this.faults = b.faults;
    this.clock = b.clock;
    this.holdMs = b.holdMs;
    long total = stock.values().stream().mapToLong(Integer::longValue).sum();
    if (total > TOTAL_KEYS_MAX) {
      throw new IllegalArgumentException("stock must hold at most " + TOTAL_KEYS_MAX + " keys in all, but held " + total);
    }
    // Fail here, not at start, when a secret is too short or there are too many.
    Signatures.builder().secrets(secrets).build();
    Signatures.builder().secrets(issuerSecrets).build();
  }

  /** A builder: 127.0.0.1, port 0 (any free port), SKU {@value #DEFAULT_SKU} with 1000 keys, the dev secret, no faults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The address to listen on. */
  public String host() {
    return host;
  }

  /** The port to listen on; 0 picks a free one. */
  public int port() {
    return port;
  }

  /** SKU id to number of keys, in the order given. */
  public Map<String, Integer> stock() {
    return stock;
  }

  /** The merchant protocol's active secrets (1 or 2). */
  public List<String> secrets() {
    return secrets;
  }

  /** The issuer endpoint's active secrets (the merchant's unless set). */
  public List<String> issuerSecrets() {
    return issuerSecrets;
  }

  /** The replay window, in seconds. */
  public int replayWindowSeconds() {
    return replayWindowSeconds;
  }

  /** The seed of the random generator (keys and fault draws). */
  public long seed() {
    return seed;
  }

  /** The faults at start. */
  public Faults faults() {
    return faults;
  }

  /** The clock for signatures and reservation expiry. */
  public Clock clock() {
    return clock;
  }

  /** How long a never-answered request is held. */
  public int holdMs() {
    return holdMs;
  }

  /** Builds {@link ReferenceMerchantOptions}. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private final Map<String, Integer> stock = new LinkedHashMap<>();
    private final List<String> secrets = new ArrayList<>();
    private final List<String> issuerSecrets = new ArrayList<>();
    private int replayWindowSeconds = Signatures.DEFAULT_REPLAY_WINDOW_SECONDS;
    private long seed = 1;
    private Faults faults = Faults.none();
    private Clock clock = Clock.systemUTC();
    private int holdMs = DEFAULT_HOLD_MS;

    private Builder() {}

    /** The address to listen on. */
    public Builder host(String host) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host must be set, but was " + host);
      }
      this.host = host;
      return this;
    }

    /** 0 (any free port) to 65535. */
    public Builder port(int port) {
      this.port = Range.check("port", port, 0, 65_535);
      return this;
    }

    /** Adds a SKU with {@code keys} generated keys (0 for a SKU that is always out of stock). */
    public Builder sku(String skuId, int keys) {
      Identifiers.require("sku id", skuId);
      Range.check("keys of sku " + skuId, keys, 0, TOTAL_KEYS_MAX);
      if (!stock.containsKey(skuId) && stock.size() == SKUS_MAX) {
        throw new IllegalArgumentException("at most " + SKUS_MAX + " skus, but " + skuId + " would be one more");
      }
      stock.put(skuId, keys);
      return this;
    }

    /** Adds an active merchant-protocol secret (at most two). */
    public Builder secret(String secret) {
      secrets.add(Objects.requireNonNull(secret, "secret"));
      return this;
    }

    /** Adds an active issuer secret (at most two). */
    public Builder issuerSecret(String secret) {
      issuerSecrets.add(Objects.requireNonNull(secret, "issuer secret"));
      return this;
    }

    /** 1 to 3600 seconds. */
    public Builder replayWindowSeconds(int seconds) {
      Signatures.builder().replayWindowSeconds(seconds);
      this.replayWindowSeconds = seconds;
      return this;
    }

    /** The seed of keys and fault draws. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The faults at start. */
    public Builder faults(Faults faults) {
      this.faults = Objects.requireNonNull(faults, "faults");
      return this;
    }

    /** The clock for signatures and reservation expiry. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** 1 to {@value ReferenceMerchantOptions#HOLD_MS_MAX} ms. */
    public Builder holdMs(int holdMs) {
      this.holdMs = Range.check("holdMs", holdMs, 1, HOLD_MS_MAX);
      return this;
    }

    /** The options; rejects too many keys, too many or too short secrets. */
    public ReferenceMerchantOptions build() {
      return new ReferenceMerchantOptions(this);
    }
  }
}
