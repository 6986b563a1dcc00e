package io.keyhold.adapters.validators;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.Identifiers;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code format} validator: checks a key against its SKU's {@link FormatRule} (pattern and
 * checksum), locally and at once. It answers {@link KeyVerdict#VALID} when the format is right (the
 * key may still be used up: other validators say so), {@link KeyVerdict#INVALID} when it is not, and
 * {@link KeyVerdict#UNKNOWN} for a SKU it has no rule for — fail closed, never a guess.
 *
 * <p>Configuration: {@code {"skus": {"<sku id>": <rule>, ...}, "default": <rule>}}, both optional;
 * a SKU without its own rule uses {@code default}.
 */
public final class FormatKeyValidator implements KeyValidator {

  private static final Logger LOG = LoggerFactory.getLogger(FormatKeyValidator.class);

  /** Most SKU rules one validator holds. */
  public static final int RULES_MAX = 10_000;

  private final Map<String, FormatRule> rulesBySku;
  private final FormatRule defaultRule;
  private final Set<String> skusWarnedAbout = ConcurrentHashMap.newKeySet();

  /** A validator with these rules; {@code defaultRule} may be null. */
  public FormatKeyValidator(Map<String, FormatRule> rulesBySku, FormatRule defaultRule) {
    if (rulesBySku.size() > RULES_MAX) {
      throw new IllegalArgumentException("at most " + RULES_MAX + " SKU rules, but got " + rulesBySku.size());
    }
    rulesBySku.keySet().forEach(sku -> Identifiers.require("sku id", sku));
    this.rulesBySku = Map.copyOf(rulesBySku);
    this.defaultRule = defaultRule;
  }

  /** Reads the validator's configuration; a bad field is an {@link IllegalArgumentException} naming it. */
  public static FormatKeyValidator fromConfig(JsonObject config) {
    Map<String, FormatRule> rules = new TreeMap<>();
    Object skus = config.getValue("skus", new JsonObject());
    if (!(skus instanceof JsonObject skuRules)) {
      throw new IllegalArgumentException("skus must be an object of SKU id to rule, but was " + skus);
    }
    for (Map.Entry<String, Object> entry : skuRules) {
      if (!(entry.getValue() instanceof JsonObject rule)) {
        throw new IllegalArgumentException("skus." + entry.getKey() + " must be an object");
      }
      rules.put(entry.getKey(), FormatRule.fromJson("skus." + entry.getKey(), rule));
    }
    Object fallback = config.getValue("default");
    if (fallback != null && !(fallback instanceof JsonObject)) {
      throw new IllegalArgumentException("default must be an object, but was " + fallback);
    }
    return new FormatKeyValidator(rules, fallback == null ? null : FormatRule.fromJson("default", (JsonObject) fallback));
  }

  /** The rule applied to {@code skuId}, if any. */
  public Optional<FormatRule> ruleFor(String skuId) {
    return Optional.ofNullable(rulesBySku.getOrDefault(skuId, defaultRule));
  }

  @Override
  public Future<KeyVerdict> check(String skuId, CardKey key) {
    try {
      Identifiers.require("skuId", skuId);
      Objects.requireNonNull(key, "key");
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Optional<FormatRule> rule = ruleFor(skuId);
    if (rule.isEmpty()) {
      // Once per SKU: a flash sale must not turn one configuration gap into a flood of log lines.
      if (skusWarnedAbout.size() < RULES_MAX && skusWarnedAbout.add(skuId)) {
        LOG.warn("no format rule for sku {}: its keys get verdict unknown", skuId);
      }
      return Future.succeededFuture(KeyVerdict.UNKNOWN);
    }
    return Future.succeededFuture(rule.get().check(key));
  }

  /** A pattern and a checksum: decided from the key alone. */
  @Override
  public boolean local() {
    return true;
  }

  @Override
  public String toString() {
    return "FormatKeyValidator[skus=" + rulesBySku.keySet() + ", default=" + (defaultRule != null) + "]";
  }
}
