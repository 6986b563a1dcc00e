package io.keyhold.gateway.api;

import io.keyhold.adapters.outbound.OutboundRules;
import io.keyhold.adapters.outbound.UrlNotAllowedException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks the URLs a request gives Keyhold to send to (webhook, shop, issuer) against the gateway's
 * {@link OutboundRules}, after {@link JsonInput} read them: resolving a name is a lookup, so this is
 * the asynchronous second step of reading a body. Each refused URL is a {@code url_not_allowed}
 * field error; the same rules are applied again on every connection.
 */
public final class OutboundUrls {
  private final Vertx vertx;
  private final OutboundRules rules;

  public OutboundUrls(Vertx vertx, OutboundRules rules) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.rules = Objects.requireNonNull(rules, "rules");
  }

  public OutboundRules rules() {
    return rules;
  }

  /**
   * Succeeds when every URL passes; else fails with a {@code validation_failed} problem naming each
   * refused one. {@code urlsByField} maps a JSON pointer ({@code /webhook_url}) to the URL there.
   */
  public Future<Void> check(Map<String, String> urlsByField) {
    List<Future<FieldError>> checks = new ArrayList<>(urlsByField.size());
    urlsByField.forEach((field, url) -> checks.add(check(field, url)));
    return Future.all(checks).compose(all -> {
      List<FieldError> errors = checks.stream().map(Future::result).filter(Objects::nonNull).toList();
      return errors.isEmpty()
          ? Future.<Void>succeededFuture()
          : Future.failedFuture(new ProblemException(Problem.invalid(errors)));
    });
  }

  private Future<FieldError> check(String field, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Future.succeededFuture(new FieldError(field, FieldError.Code.INVALID_FORMAT, "must be a URL"));
    }
    return rules.destination(vertx, uri)
        .<FieldError>map(address -> null)
        .recover(failure -> failure instanceof UrlNotAllowedException refused
            ? Future.succeededFuture(new FieldError(field, FieldError.Code.URL_NOT_ALLOWED, refused.reason()))
            : Future.failedFuture(failure));
  }
}
