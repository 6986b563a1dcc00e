package io.keyhold.adapters.http;

import io.keyhold.adapters.resilience.Idempotency;
import io.keyhold.adapters.resilience.ResilientCalls;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterException;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.Identifiers;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Refusal;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code http} validator: asks an issuer's check-only endpoint (PROTOCOL.md, section 6) whether a
 * key is valid, signed like the merchant protocol with the issuer's secret, within the context's
 * resilience policy (the check is read-only, so it is retried when its outcome is unknown).
 *
 * <p>Whatever goes wrong — timeout, connection, a {@code 4xx} or {@code 5xx}, a bad signature, an
 * unreadable answer, an unknown verdict, an open breaker — the verdict is {@link KeyVerdict#UNKNOWN}. A
 * signature that does not verify is logged as a warning that says so: it is a setup mistake, not a slow
 * issuer, and lasts until someone fixes the secret.
 * Configuration and secrets as for the {@code http} adapter ({@link HttpSettings}: {@code base_url},
 * the issuer's base URL; {@code signing_secret}, the issuer's own secret), and the same outbound rules.
 */
public final class HttpKeyValidator implements KeyValidator {

  private static final Logger LOG = LoggerFactory.getLogger(HttpKeyValidator.class);

  private final String name;
  private final SignedJsonClient client;
  private final ResilientCalls calls;

  private HttpKeyValidator(String name, SignedJsonClient client, ResilientCalls calls) {
    this.name = name;
    this.client = client;
    this.calls = calls;
  }

  /** The validator for the issuer in the context's configuration; throws naming a bad field. */
  public static HttpKeyValidator create(AdapterContext context) {
    SignedJsonClient client = SignedJsonClient.create(context);
    ResilientCalls calls = ResilientCalls.create(context, "http-validator");
    return new HttpKeyValidator(calls.name(), client, calls);
  }

  /** The resilience policy around the issuer calls. */
  public ResilientCalls calls() {
    return calls;
  }

  @Override
  public Future<KeyVerdict> check(String skuId, CardKey key) {
    try {
      Identifiers.require("skuId", skuId);
      Objects.requireNonNull(key, "key");
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    JsonObject request = new JsonObject().put("sku_id", skuId).put("key", key.reveal());
    return calls.call("check", Idempotency.IDEMPOTENT,
            () -> client.post(MerchantProtocol.PATH_CHECKS, request).map(answer -> {
              AnswerReader reader = new AnswerReader(MerchantProtocol.PATH_CHECKS, answer);
              String verdict = reader.string("verdict");
              try {
                return KeyVerdict.fromCode(verdict);
              } catch (IllegalArgumentException e) {
                throw reader.malformed("verdict is not one of valid, invalid, redeemed, unknown");
              }
            }))
        .recover(failure -> {
          if (isBadSignature(failure)) {
            // Not a slow issuer: the issuer and Keyhold do not sign with the same secret, and every key stays
            // unknown until someone fixes that. The message names the path and the check, never the key.
            LOG.warn("issuer check by {} for sku {} gave no verdict: the issuer answered with a signature that"
                + " does not verify ({}); do the issuer and Keyhold share its signing secret?", name, skuId,
                failure.getMessage());
          } else {
            String code = failure instanceof AdapterException adapterException
                ? adapterException.code()
                : failure.getClass().getSimpleName();
            LOG.debug("issuer check by {} for sku {} gave no verdict: {}", name, skuId, code);
          }
          return Future.succeededFuture(KeyVerdict.UNKNOWN);
        });
  }

  /** The issuer's answer did not verify, or the issuer said ours did not: either way, not the same secret. */
  private static boolean isBadSignature(Throwable failure) {
    return failure instanceof OutcomeUnknownException unknown
        && unknown.reason() == OutcomeUnknownException.Cause.BAD_SIGNATURE
        || failure instanceof MerchantRefusedException refused && refused.refusal() == Refusal.BAD_SIGNATURE;
  }

  @Override
  public Future<Void> close() {
    client.close();
    calls.close();
    return Future.succeededFuture();
  }

  @Override
  public String toString() {
    return "HttpKeyValidator[" + name + "]";
  }
}
