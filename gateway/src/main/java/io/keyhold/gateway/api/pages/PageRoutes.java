package io.keyhold.gateway.api.pages;

import io.keyhold.gateway.api.ApiRequest;
import io.keyhold.gateway.api.Caller;
import io.keyhold.gateway.api.Endpoints;
import io.keyhold.gateway.api.ProblemCode;
import io.keyhold.gateway.api.ProblemException;
import io.keyhold.gateway.api.Reply;
import io.keyhold.gateway.store.ContextFutures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The buyer pages (issue 5): checkout, the live order page and the printable evidence page, with
 * their scripts and styles — static files from {@code classpath:webroot/}, read once at start and
 * served from memory by the gateway itself (no CDN, no third-party font, no build step).
 *
 * <p>The HTML carries no order data: the page's script reads the session id or the order id and token
 * from its own URL and calls the JSON API, so no card key is ever part of a page, a URL or a cache.
 * Every page answers {@code Cache-Control: no-store}, {@code Referrer-Policy: no-referrer} (the order
 * link holds the token) and a Content-Security-Policy that allows only the gateway's own scripts.
 *
 * <p>Language: {@code ?lang=zh-CN|en}, else the browser's {@code Accept-Language}
 * ({@link Languages}); the page's switch remembers a choice in the browser.
 */
public final class PageRoutes {
  public static final String WEBROOT = "webroot/";
  public static final List<String> PAGES = List.of("checkout.html", "order.html", "evidence.html", "console.html",
      "ops.html");
  public static final List<String> ASSETS = List.of("keyhold.css", "i18n.js", "checkout.js", "order.js",
      "evidence.js", "logo.svg", "console.css", "console-i18n.js", "console-common.js", "console.js", "ops.js");
  /** Our files are small; a bound keeps a broken build from loading something huge. */
  public static final int FILE_BYTES_MAX = 256 * 1024;
  /** Scripts and styles hold no data: short caching is harmless. */
  public static final String ASSET_CACHE = "public, max-age=300";
  public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
      + " img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  private final Future<Files> files;

  private PageRoutes(Future<Files> files) {
    this.files = files;
  }

  /**
   * Mounts the page routes. The files are read once, on a worker thread, starting now; a request that
   * comes before they are read waits for them. Every event loop reads the one future through
   * {@link ContextFutures#onCaller}, so a page is served on its own request's event loop.
   */
  public static void mount(Endpoints endpoints, Vertx vertx) {
    PageRoutes routes = new PageRoutes(vertx.executeBlocking(PageRoutes::load));
    endpoints.get("getCheckoutPage", Caller.Kind.PUBLIC, request -> routes.page(request, "checkout.html"));
    endpoints.get("getOrderPage", Caller.Kind.PUBLIC, request -> routes.page(request, "order.html"));
    endpoints.get("getEvidencePage", Caller.Kind.PUBLIC, request -> routes.page(request, "evidence.html"));
    endpoints.get("getPageAsset", Caller.Kind.PUBLIC, routes::asset);
    // The consoles of issue 17: the same kind of static page, whose scripts sign in and then call the API.
    endpoints.get("getShopConsolePage", Caller.Kind.PUBLIC, request -> routes.page(request, "console.html"));
    endpoints.get("getOpsConsolePage", Caller.Kind.PUBLIC, request -> routes.page(request, "ops.html"));
  }

  private record Files(Map<String, String> pages, Map<String, Buffer> assets) {}

  private static Files load() throws IOException {
    Map<String, String> pages = new HashMap<>();
    for (String page : PAGES) {
      pages.put(page, new String(read(page), StandardCharsets.UTF_8));
    }
    Map<String, Buffer> assets = new HashMap<>();
    for (String asset : ASSETS) {
      assets.put(asset, Buffer.buffer(read("assets/" + asset)));
    }
    return new Files(Map.copyOf(pages), Map.copyOf(assets));
  }

  private static byte[] read(String name) throws IOException {
    try (InputStream in = PageRoutes.class.getClassLoader().getResourceAsStream(WEBROOT + name)) {
      if (in == null) {
        throw new IOException(WEBROOT + name + " is missing from the classpath");
      }
      byte[] bytes = in.readNBytes(FILE_BYTES_MAX + 1);
      if (bytes.length > FILE_BYTES_MAX) {
        throw new IOException(WEBROOT + name + " is larger than " + FILE_BYTES_MAX + " bytes");
      }
      return bytes;
    }
  }

  private Future<Reply> page(ApiRequest request, String page) {
    Languages.Choice language = Languages.choose(request.queryParam("lang"),
        request.routingContext().request().getHeader(HttpHeaders.ACCEPT_LANGUAGE));
    Map<String, String> headers = Map.of(
        "Cache-Control", "no-store",
        "Referrer-Policy", "no-referrer",
        "X-Content-Type-Options", "nosniff",
        "Content-Security-Policy", CONTENT_SECURITY_POLICY,
        "Vary", "Accept-Language");
    return ContextFutures.onCaller(files).map(read -> {
      String html = read.pages().get(page)
          .replace("{{lang}}", language.tag())
          .replace("{{lang_source}}", language.source());
      return new Reply(200, "text/html; charset=utf-8", Buffer.buffer(html, StandardCharsets.UTF_8.name()), headers);
    });
  }

  private Future<Reply> asset(ApiRequest request) {
    String name = request.pathParam("name");
    return ContextFutures.onCaller(files).map(read -> {
      Buffer body = read.assets().get(name);
      if (body == null) {
        throw new ProblemException(ProblemCode.NOT_FOUND, "No asset " + name);
      }
      return new Reply(200, contentType(name), body, Map.of(
          "Cache-Control", ASSET_CACHE,
          "X-Content-Type-Options", "nosniff"));
    });
  }

  static String contentType(String name) {
    if (name.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    }
    if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return "image/svg+xml";
  }
}
