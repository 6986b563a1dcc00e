package io.keyhold.simulator.load;

import io.keyhold.simulator.client.ApiProblem;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The simulator's operator: decides the disputes its buyers open, through the operator API, as each
 * buyer's plan says. When the answer to opening a dispute names it, it is decided at once; otherwise
 * the open disputes are listed every {@value #SWEEP_INTERVAL_MS} ms (at most
 * {@value #PAGES_PER_SWEEP_MAX} pages) and matched by order. Disputes of other orders are left alone.
 * Stops with the run.
 */
public final class Arbiter {
  public static final long SWEEP_INTERVAL_MS = 1_000;
  public static final int PAGES_PER_SWEEP_MAX = 20;
  /** Decisions sent per sweep, so one sweep never floods the gateway. */
  public static final int DECISIONS_PER_SWEEP_MAX = 200;

  private final RunContext run;
  private final Map<String, Award> pendingByOrder = new LinkedHashMap<>();
  private long sweepTimer = -1;
  private boolean sweeping;
  private boolean stopped;

  Arbiter(RunContext run) {
    this.run = run;
  }

  /** A buyer opened a dispute; {@code answer} is what the gateway answered to it. */
  public Future<Void> disputed(String orderId, JsonObject answer, Award award) {
    String disputeId = disputeId(answer);
    if (disputeId != null) {
      return decide(disputeId, award);
    }
    pendingByOrder.put(orderId, award);
    scheduleSweep();
    return Future.succeededFuture();
  }

  /** The dispute's id when the answer is a dispute (or holds one); null for an order answer. */
  static String disputeId(JsonObject answer) {
    if (answer == null) {
      return null;
    }
    if (answer.getValue("id") instanceof String id && id.startsWith("dsp_")) {
      return id;
    }
    if (answer.getValue("dispute") instanceof JsonObject dispute && dispute.getValue("id") instanceof String id
        && id.startsWith("dsp_")) {
      return id;
    }
    return null;
  }

  private Future<Void> decide(String disputeId, Award award) {
    return run.client().operator().decideDispute(disputeId, award.code()).<Void>mapEmpty().recover(failure -> {
      run.error("decideDispute " + describe(failure));
      return Future.succeededFuture();
    });
  }

  private void scheduleSweep() {
    if (sweepTimer >= 0 || sweeping || stopped) {
      return;
    }
    sweepTimer = run.vertx().setTimer(SWEEP_INTERVAL_MS, id -> {
      sweepTimer = -1;
      sweeping = true;
      sweep(null, 0, 0).onComplete(done -> {
        sweeping = false;
        if (!pendingByOrder.isEmpty()) {
          scheduleSweep();
        }
      });
    });
  }

  private Future<Void> sweep(String cursor, int page, int decided) {
    if (stopped || pendingByOrder.isEmpty() || page >= PAGES_PER_SWEEP_MAX || decided >= DECISIONS_PER_SWEEP_MAX) {
      return Future.succeededFuture();
    }
    return run.client().operator().openDisputes(cursor).transform(result -> {
      if (result.failed()) {
        run.error("listDisputes " + describe(result.cause()));
        return Future.succeededFuture();
      }
      JsonObject answer = result.result();
      int sent = decideListed(answer.getValue("items") instanceof JsonArray items ? items : new JsonArray(),
          DECISIONS_PER_SWEEP_MAX - decided);
      String next = answer.getValue("next_cursor") instanceof String text ? text : null;
      return next == null ? Future.succeededFuture() : sweep(next, page + 1, decided + sent);
    });
  }

  private int decideListed(JsonArray items, int budget) {
    int sent = 0;
    for (Object item : items) {
      if (sent >= budget) {
        break;
      }
      if (item instanceof JsonObject dispute && dispute.getValue("order_id") instanceof String orderId
          && dispute.getValue("id") instanceof String disputeId) {
        Award award = pendingByOrder.remove(orderId);
        if (award != null) {
          decide(disputeId, award);
          sent++;
        }
      }
    }
    return sent;
  }

  public void stop() {
    stopped = true;
    if (sweepTimer >= 0) {
      run.vertx().cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
    pendingByOrder.clear();
  }

  private static String describe(Throwable failure) {
    return failure instanceof ApiProblem problem ? problem.status() + " " + problem.code()
        : failure.getClass().getSimpleName();
  }
}
