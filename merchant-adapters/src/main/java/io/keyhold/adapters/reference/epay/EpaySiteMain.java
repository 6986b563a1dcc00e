package io.keyhold.adapters.reference.epay;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * Runs the stand-in 易支付 site on its own, for the README's tour:
 * {@code java -cp keyhold-reference-merchant.jar io.keyhold.adapters.reference.epay.EpaySiteMain <port> <pid>}
 * with the merchant key in {@code EPAY_KEY}. The buyer's pay page is {@code /pay/<trade_no>}; notices go to the
 * gateway's notify URL. MD5 signing only; faults off.
 */
public final class EpaySiteMain {
  private EpaySiteMain() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      // The reference merchant's quiet logging: without it logback logs every library's DEBUG lines into the
      // terminal the README's tour starts this site in, beside the gateway's own output.
      System.setProperty("logback.configurationFile", "keyhold-reference-merchant-logback.xml");
    }
    if (args.length != 2 || System.getenv("EPAY_KEY") == null) {
      System.err.println("usage: EPAY_KEY=<merchant key> EpaySiteMain <port> <pid>");
      System.exit(2);
    }
    EpaySite.Options md5 = EpaySite.Options.md5(args[1], System.getenv("EPAY_KEY"));
    EpaySite.Options options = new EpaySite.Options(md5.host(), Integer.parseInt(args[0]), md5.pid(), md5.key(),
        null, null, md5.clock(), md5.seed());
    EpaySite site = EpaySite.start(Vertx.vertx(), options).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    System.out.println("stand-in 易支付 site on " + site.baseUrl() + " (pid " + args[1] + ")");
  }
}
