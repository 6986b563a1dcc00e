package io.keyhold.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Promise;
import io.keyhold.gateway.store.DatabaseOutage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cap on requests served at once, over real HTTP on 127.0.0.1. */
class InFlightLimitTest {
  private static final int MAX = 2;
  private static final int WAITING_MAX = 2;
  private static final long WAIT_MS_MAX = 1_500;
  /** The wait of the limit whose newcomers are refused quickly, one after another. */
  private static final long BRIEF_WAIT_MS = 50;
  private static final int BRIEFLY_REFUSED = 20;
  private Vertx vertx;
  private HttpServer server;
  private InFlightLimit limit;
  private InFlightLimit waitingLimit;
  private InFlightLimit briefLimit;
  /** Requests let through and held open until the test answers them. */
  private final List<Promise<Void>> held = new CopyOnWriteArrayList<>();
  /** The bodies of the requests let through, in the order they reached the handler. */
  private final List<String> heldBodies = new CopyOnWriteArrayList<>();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    limit = new InFlightLimit("test", MAX);
    Router router = Router.router(vertx);
    Problems.install(router, new DatabaseOutage(vertx, null, new SimpleMeterRegistry()), new SimpleMeterRegistry());
    router.post("/work").handler(limit.handler()).handler(ctx -> {
      Promise<Void> release = Promise.promise();
      held.add(release);
      release.future().onComplete(done -> ctx.response().end("done"));
    });
    waitingLimit = new InFlightLimit("test", MAX, WAITING_MAX, WAIT_MS_MAX, WAIT_MS_MAX);
    // The body handler after the limit, as in the gateway: a request let in late must still read its body.
    router.post("/queue").handler(waitingLimit.handler());
    router.post("/queue").handler(BodyHandler.create()).handler(this::holdWithBody);
    // New demand on the same places, as a checkout is in the gateway; one marked sold out is answered at once there.
    router.post("/checkout").handler(waitingLimit.newDemandHandler(
        ctx -> "yes".equals(ctx.request().getHeader("Sold-Out"))));
    router.post("/checkout").handler(BodyHandler.create()).handler(this::holdWithBody);
    briefLimit = new InFlightLimit("test", MAX, WAITING_MAX, BRIEF_WAIT_MS, BRIEF_WAIT_MS);
    router.post("/brief").handler(briefLimit.newDemandHandler(ctx -> false));
    router.post("/brief").handler(BodyHandler.create()).handler(this::holdWithBody);
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Holds a request let through until the test answers it, which then echoes its body. */
  private void holdWithBody(RoutingContext ctx) {
    Promise<Void> release = Promise.promise();
    held.add(release);
    String body = ctx.body().asString();
    heldBodies.add(body);
    release.future().onComplete(done -> ctx.response().end("done " + body));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private CompletableFuture<HttpResponse<String>> post() {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + "/work"))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> queued(String body) {
    return posted("/queue", body);
  }

  private CompletableFuture<HttpResponse<String>> posted(String path, String body) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> checkout(String body, String ticket) {
    return checkout(body, ticket, false);
  }

  private CompletableFuture<HttpResponse<String>> checkout(String body, String ticket, boolean soldOut) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.actualPort() + "/checkout"))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (ticket != null) {
      request.header(InFlightLimit.TICKET_HEADER, ticket);
    }
    if (soldOut) {
      request.header("Sold-Out", "yes");
    }
    return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String ticketOf(HttpResponse<String> answer) {
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
    String ticket = answer.headers().firstValue(InFlightLimit.TICKET_HEADER).orElseThrow();
    assertThat(new JsonObject(answer.body()).getString("ticket")).isEqualTo(ticket);
    return ticket;
  }

  private static int placeOf(HttpResponse<String> answer) {
    return new JsonObject(answer.body()).getInteger("place");
  }

  private void fillPlaces() throws InterruptedException {
    for (int i = 0; i < MAX; i++) {
      queued("holding-" + i);
    }
    awaitHeld(MAX);
  }

  @Test
  void givesACheckoutItsPlaceInLineAndLetsItsTicketInAheadOfNewcomers() throws Exception {
    fillPlaces();
    HttpResponse<String> first = checkout("first", null).get(10, TimeUnit.SECONDS);
    String ticket = ticketOf(first);
    assertThat(placeOf(first)).as("nobody ahead").isEqualTo(1);
    assertThat(Integer.parseInt(first.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(1, InFlightLimit.TICKET_RETRY_AFTER_SECONDS_MAX);
    assertThat(new JsonObject(first.body()).getString("code")).isEqualTo("overloaded");

    CompletableFuture<HttpResponse<String>> newcomer = checkout("newcomer", null);
    awaitWaiting(1);
    CompletableFuture<HttpResponse<String>> holder = checkout("holder", ticket);
    awaitWaiting(2);
    held.get(0).complete();
    awaitHeld(MAX + 1);
    held.get(1).complete();
    awaitHeld(MAX + 2);

    assertThat(heldBodies.subList(MAX, MAX + 2)).as("the ticket first, though it came second")
        .containsExactly("holder", "newcomer");
    held.forEach(Promise::tryComplete);
    assertThat(holder.get(10, TimeUnit.SECONDS).body()).isEqualTo("done holder");
    assertThat(newcomer.get(10, TimeUnit.SECONDS).body()).isEqualTo("done newcomer");
  }

  @Test
  void tellsATicketBackBeforeItsTurnToComeBackLaterAndKeepsItsPlaceAndTurn() throws Exception {
    fillPlaces();
    long dueAt = System.currentTimeMillis() / 1000 + 20;
    long sent = System.nanoTime();

    HttpResponse<String> early = checkout("early", waitingLimit.ticket(5, dueAt)).get(10, TimeUnit.SECONDS);

    assertThat((System.nanoTime() - sent) / 1_000_000).as("told at once, not held").isLessThan(WAIT_MS_MAX);
    ticketOf(early);
    assertThat(placeOf(early)).as("the place it was given").isEqualTo(5);
    assertThat(Integer.parseInt(early.headers().firstValue("Retry-After").orElseThrow()))
        .as("until its turn").isBetween(18, 20);
    assertThat(held).as("it never reached the handler").hasSize(MAX);
    held.forEach(Promise::tryComplete);
  }

  @Test
  void aTicketWhoseTurnHasComeGoesAheadHoweverFarBackItsPlace() throws Exception {
    fillPlaces();
    CompletableFuture<HttpResponse<String>> newcomer = checkout("newcomer", null);
    awaitWaiting(1);
    // Thousands of places ahead of it were handed out to buyers who never came back.
    CompletableFuture<HttpResponse<String>> holder = checkout("holder",
        waitingLimit.ticket(5_000, System.currentTimeMillis() / 1000));
    awaitWaiting(2);

    held.get(0).complete();
    awaitHeld(MAX + 1);

    assertThat(heldBodies.get(MAX)).isEqualTo("holder");
    held.forEach(Promise::tryComplete);
    awaitHeld(MAX + 2);
    held.forEach(Promise::tryComplete);
    assertThat(holder.get(10, TimeUnit.SECONDS).body()).isEqualTo("done holder");
    assertThat(newcomer.get(10, TimeUnit.SECONDS).body()).isEqualTo("done newcomer");
  }

  @Test
  void letsWorkUnderWayInBeforeACheckoutThatWaitedLonger() throws Exception {
    fillPlaces();
    CompletableFuture<HttpResponse<String>> checkout = checkout("checkout", null);
    awaitWaiting(1);
    CompletableFuture<HttpResponse<String>> payment = queued("payment");
    awaitWaiting(2);

    held.get(0).complete();
    awaitHeld(MAX + 1);

    assertThat(heldBodies.get(MAX)).isEqualTo("payment");
    held.forEach(Promise::tryComplete);
    awaitHeld(MAX + 2);
    held.forEach(Promise::tryComplete);
    assertThat(payment.get(10, TimeUnit.SECONDS).body()).isEqualTo("done payment");
    assertThat(checkout.get(10, TimeUnit.SECONDS).body()).isEqualTo("done checkout");
  }

  @Test
  void aCheckoutAnsweredAtOnceWaitsAsWorkUnderWayAndIsNeverGivenAPlaceInLine() throws Exception {
    fillPlaces();
    CompletableFuture<HttpResponse<String>> newcomer = checkout("newcomer", null);
    awaitWaiting(1);
    CompletableFuture<HttpResponse<String>> soldOut = checkout("sold out", null, true);
    awaitWaiting(2);

    held.get(0).complete();
    awaitHeld(MAX + 1);

    assertThat(heldBodies.get(MAX)).as("ahead of the newcomer, which came first").isEqualTo("sold out");
    HttpResponse<String> told = newcomer.get(10, TimeUnit.SECONDS);
    ticketOf(told);
    held.forEach(Promise::tryComplete);
    assertThat(soldOut.get(10, TimeUnit.SECONDS).body()).isEqualTo("done sold out");
  }

  @Test
  void aTicketWithAnotherPlaceWrittenInIsNoPlace() throws Exception {
    fillPlaces();
    ticketOf(checkout("ahead", null).get(10, TimeUnit.SECONDS));
    String ticket = ticketOf(checkout("forger", null).get(10, TimeUnit.SECONDS));
    String forged = "1" + ticket.substring(ticket.indexOf('.'));

    HttpResponse<String> answer = checkout("forger", forged).get(10, TimeUnit.SECONDS);

    ticketOf(answer);
    assertThat(placeOf(answer)).as("queued again as a newcomer, behind both").isEqualTo(3);
    held.forEach(Promise::tryComplete);
  }

  private void awaitWaiting(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (waitingLimit.waiting() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(waitingLimit.waiting()).isEqualTo(count);
  }

  @Test
  void letsWaitingRequestsInFirstComeFirstServedWithTheirBodies() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> first = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      first.add(queued("first-" + i));
    }
    awaitHeld(MAX);
    CompletableFuture<HttpResponse<String>> early = queued("early");
    awaitWaiting(1);
    CompletableFuture<HttpResponse<String>> late = queued("late");
    awaitWaiting(2);

    HttpResponse<String> full = queued("no room").get(10, TimeUnit.SECONDS);
    assertThat(full.statusCode()).as("past the waiting room").isEqualTo(503);
    assertThat(Integer.parseInt(full.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(1, InFlightLimit.RETRY_AFTER_SECONDS_MAX);

    held.get(0).complete();
    awaitHeld(MAX + 1);
    held.get(1).complete();
    awaitHeld(MAX + 2);
    held.forEach(Promise::tryComplete);
    assertThat(early.get(10, TimeUnit.SECONDS).body()).isEqualTo("done early");
    assertThat(late.get(10, TimeUnit.SECONDS).body()).isEqualTo("done late");
    for (CompletableFuture<HttpResponse<String>> answer : first) {
      assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    assertThat(waitingLimit.waiting()).isZero();
  }

  @Test
  void refusesARequestThatWaitedTooLongWithRetryAfterAndGivesEveryPlaceBack() throws Exception {
    for (int i = 0; i < MAX; i++) {
      queued("holding-" + i);
    }
    awaitHeld(MAX);
    long sent = System.nanoTime();

    HttpResponse<String> refused = queued("patient").get(10, TimeUnit.SECONDS);

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(refused.body()).getString("code")).isEqualTo("overloaded");
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat((System.nanoTime() - sent) / 1_000_000).as("waited its time first").isGreaterThanOrEqualTo(WAIT_MS_MAX);
    assertThat(held).as("the refused request never reached the handler").hasSize(MAX);
    assertThat(waitingLimit.waiting()).isZero();
    held.forEach(Promise::tryComplete);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (waitingLimit.inFlight() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(waitingLimit.inFlight()).as("every place given back").isZero();
  }

  @Test
  void keepsNoHoldOnTheRequestsItRefusedSoASpikeCannotFillTheMemory() throws Exception {
    for (int i = 0; i < MAX; i++) {
      posted("/brief", "holding-" + i);
    }
    awaitHeld(MAX);

    // A spike's newcomers, each told its place after its brief wait, while no place comes free to sweep the queue.
    for (int i = 0; i < BRIEFLY_REFUSED; i++) {
      assertThat(posted("/brief", "newcomer-" + i).get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
    }

    assertThat(briefLimit.waiting()).isZero();
    assertThat(briefLimit.queued()).as("refused requests the waiting room still refers to").isZero();
    assertThat(held).as("no newcomer reached the handler").hasSize(MAX);
  }

  private void awaitHeld(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (held.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(held).hasSize(count);
  }

  @Test
  void refusesRequestsPastTheCapAtOnceWithRetryAfterAndLetsThemInOncePlacesFree() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> first = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      first.add(post());
    }
    awaitHeld(MAX);
    assertThat(limit.inFlight()).isEqualTo(MAX);

    HttpResponse<String> refused = post().get(10, TimeUnit.SECONDS);

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue(Problem.CONTENT_TYPE);
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(new JsonObject(refused.body()).getString("code")).isEqualTo("overloaded");
    assertThat(held).as("the refused request never reached the handler").hasSize(MAX);

    held.get(0).complete();
    // Whichever of the first requests was held first is the one answered now.
    assertThat(CompletableFuture.anyOf(first.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS))
        .extracting(answered -> ((HttpResponse<?>) answered).body()).isEqualTo("done");
    CompletableFuture<HttpResponse<String>> next = post();
    awaitHeld(MAX + 1);
    held.forEach(Promise::tryComplete);
    assertThat(next.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    for (CompletableFuture<HttpResponse<String>> answer : first) {
      assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (limit.inFlight() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(limit.inFlight()).as("every place given back").isZero();
  }

  @Test
  void refusesACapBelowOne() {
    assertThatThrownBy(() -> new InFlightLimit("checkout", 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checkout").hasMessageContaining("0");
  }
}
