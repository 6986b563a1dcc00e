package io.keyhold.adapters.http;

import io.keyhold.adapters.outbound.OutboundRules;
import io.keyhold.adapters.outbound.UrlNotAllowedException;
import io.keyhold.adapters.signature.SignatureCheck;
import io.keyhold.adapters.signature.Signatures;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.MerchantRefusedException;
import io.keyhold.adapters.spi.OutcomeUnknownException;
import io.keyhold.adapters.spi.Refusal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * One signed JSON exchange of the merchant protocol: adds a fresh {@code request_id}, signs the raw
 * body, posts it, reads at most {@link MerchantProtocol#BODY_BYTES_MAX} of the answer, verifies the
 * answer's signature and {@code request_id}, and sorts the outcome into an answer, a refusal
 * ({@link MerchantRefusedException}) or an unknown outcome ({@link OutcomeUnknownException}).
 * Nothing is thrown: every problem is a failed {@code Future} of one of those two types.
 */
final class SignedJsonClient {

  private static final Pattern PROBLEM_CODE = Pattern.compile("[a-z0-9_]{1,64}");

  private final Vertx vertx;
  private final WebClient client;
  private final OutboundRules rules;
  private final String baseUrl;
  private final Signatures signatures;
  private final int timeoutMs;

  private SignedJsonClient(Vertx vertx, WebClient client, OutboundRules rules, String baseUrl, Signatures signatures,
      int timeoutMs) {
    this.vertx = vertx;
    this.client = client;
    this.rules = rules;
    this.baseUrl = baseUrl;
    this.signatures = signatures;
    this.timeoutMs = timeoutMs;
  }

  /**
   * A client for the endpoint in the context's configuration, with its own connection pool sized to
   * the policy's concurrent calls, so one shop's slow connections never hold another shop's.
   */
  static SignedJsonClient create(AdapterContext context) {
    HttpEndpoint endpoint = HttpEndpoint.fromConfig(context.config(), context.outboundRules());
    Signatures signatures = endpoint.signatures(context);
    int poolSize = context.policy().maxConcurrentCalls();
    WebClientOptions options = new WebClientOptions()
        .setConnectTimeout(context.policy().timeoutMs())
        .setFollowRedirects(false)
        .setUserAgent("keyhold-merchant-adapter/1");
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(poolSize).setMaxWaitQueueSize(poolSize);
    WebClient client = WebClient.create(context.vertx(), options, pool);
    return new SignedJsonClient(context.vertx(), client, context.outboundRules(), endpoint.baseUrl(), signatures,
        context.policy().timeoutMs());
  }

  /** Posts {@code fields} plus a new {@code request_id} to {@code path}; the answer's JSON on 2xx. */
  Future<JsonObject> post(String path, JsonObject fields) {
    String requestId = UUID.randomUUID().toString();
    JsonObject body = new JsonObject().put("request_id", requestId).mergeIn(fields);
    Buffer raw = body.toBuffer();
    try {
      // The address is checked again for every request, on the address actually connected to.
      return rules.request(vertx, client, HttpMethod.POST, baseUrl + path)
          .compose(request -> request
              .timeout(timeoutMs)
              .putHeader(HttpHeaders.CONTENT_TYPE.toString(), MerchantProtocol.CONTENT_TYPE_JSON)
              .putHeader(Signatures.HEADER, signatures.sign(raw))
              .as(new LimitedBodyCodec(MerchantProtocol.BODY_BYTES_MAX))
              .sendBuffer(raw))
          .recover(failure -> Future.failedFuture(transportFailure(path, failure)))
          .map(response -> interpret(path, requestId, response));
    } catch (RuntimeException e) {
      return Future.failedFuture(new OutcomeUnknownException(OutcomeUnknownException.Cause.CONNECTION,
          path + " could not be sent: " + e.getClass().getSimpleName(), e));
    }
  }

  private static OutcomeUnknownException transportFailure(String path, Throwable failure) {
    if (failure instanceof UrlNotAllowedException refused) {
      return new OutcomeUnknownException(OutcomeUnknownException.Cause.CONNECTION,
          path + ": not sent, the URL " + refused.reason());
    }
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof LimitedBodyCodec.AnswerTooLargeException) {
        return new OutcomeUnknownException(OutcomeUnknownException.Cause.MALFORMED_ANSWER,
            path + ": answer larger than " + MerchantProtocol.BODY_BYTES_MAX + " bytes");
      }
      if (cause instanceof TimeoutException) {
        return new OutcomeUnknownException(OutcomeUnknownException.Cause.TIMEOUT, path + ": no answer in time", failure);
      }
    }
    return new OutcomeUnknownException(OutcomeUnknownException.Cause.CONNECTION,
        path + ": " + failure.getClass().getSimpleName(), failure);
  }

  private JsonObject interpret(String path, String requestId, HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status >= 500) {
      throw new OutcomeUnknownException(OutcomeUnknownException.Cause.SERVER_ERROR, path + ": status " + status);
    }
    Buffer body = response.body() != null ? response.body() : Buffer.buffer();
    SignatureCheck check = signatures.verify(response.getHeader(Signatures.HEADER), body);
    if (!check.isValid()) {
      throw new OutcomeUnknownException(OutcomeUnknownException.Cause.BAD_SIGNATURE,
          path + ": answer signature " + check.code());
    }
    JsonObject json = parse(path, body);
    if (!requestId.equals(json.getValue("request_id"))) {
      throw malformed(path, "answer request_id does not match the request");
    }
    if (status >= 200 && status < 300) {
      return json;
    }
    if (status >= 400 && status < 500) {
      Object code = json.getValue("code");
      if (!(code instanceof String text) || !PROBLEM_CODE.matcher(text).matches()) {
        throw malformed(path, "status " + status + " without a problem code");
      }
      throw new MerchantRefusedException(Refusal.fromCode(text), text, path + ": status " + status);
    }
    throw malformed(path, "unexpected status " + status);
  }

  private static JsonObject parse(String path, Buffer body) {
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw malformed(path, "answer is not JSON");
    }
    if (value instanceof JsonObject object) {
      return object;
    }
    throw malformed(path, "answer is not a JSON object");
  }

  static OutcomeUnknownException malformed(String path, String detail) {
    return new OutcomeUnknownException(OutcomeUnknownException.Cause.MALFORMED_ANSWER, path + ": " + detail);
  }

  void close() {
    client.close();
  }
}
