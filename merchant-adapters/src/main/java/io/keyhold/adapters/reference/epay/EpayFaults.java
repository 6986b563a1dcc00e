package io.keyhold.adapters.reference.epay;

import java.util.Objects;

/**
 * The faults the stand-in 易支付 site injects, switchable at run time ({@link EpaySite#faults(EpayFaults)}).
 * Immutable.
 *
 * @param repeatNotices every notice is sent two or three times, as real sites do until they read {@code success}
 * @param reorderNotices the copies are spread over a random delay, so they arrive out of order and late
 * @param dropNotices no notice is ever sent: only the query API tells the payment happened
 * @param wrongSignature every notice carries a signature that does not verify
 * @param refundApi whether the site has a refund API and whether it works
 */
public record EpayFaults(boolean repeatNotices, boolean reorderNotices, boolean dropNotices, boolean wrongSignature,
    RefundApi refundApi) {

  /** No fault: one notice per payment, a working refund API. */
  public static final EpayFaults NONE = new EpayFaults(false, false, false, false, RefundApi.WORKING);

  public EpayFaults {
    Objects.requireNonNull(refundApi, "refundApi");
  }

  /** The site's refund API. */
  public enum RefundApi {
    /** Refunds and answers {@code code=1}. */
    WORKING,
    /** The site has none: {@code act=refund} answers 404. */
    ABSENT,
    /** Refuses every refund with {@code code=-1}, as a site whose refunds are switched off does. */
    FAILING
  }

  public EpayFaults withRepeatNotices(boolean value) {
    return new EpayFaults(value, reorderNotices, dropNotices, wrongSignature, refundApi);
  }

  public EpayFaults withReorderNotices(boolean value) {
    return new EpayFaults(repeatNotices, value, dropNotices, wrongSignature, refundApi);
  }

  public EpayFaults withDropNotices(boolean value) {
    return new EpayFaults(repeatNotices, reorderNotices, value, wrongSignature, refundApi);
  }

  public EpayFaults withWrongSignature(boolean value) {
    return new EpayFaults(repeatNotices, reorderNotices, dropNotices, value, refundApi);
  }

  public EpayFaults withRefundApi(RefundApi value) {
    return new EpayFaults(repeatNotices, reorderNotices, dropNotices, wrongSignature, value);
  }
}
