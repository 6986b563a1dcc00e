package io.keyhold.adapters.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;

/**
 * A body codec that buffers an answer up to a limit and fails with {@link AnswerTooLargeException}
 * beyond it, so a hostile or broken shop cannot make Keyhold buffer an unbounded answer
 * ({@code BodyCodec.buffer()} has no limit).
 */
final class LimitedBodyCodec implements BodyCodec<Buffer> {

  private final int maxBytes;

  LimitedBodyCodec(int maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 1, but was " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  @Override
  public BodyStream<Buffer> stream() {
    return new LimitedStream(maxBytes);
  }

  /** The answer exceeded the limit; carries the limit only. */
  static final class AnswerTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AnswerTooLargeException(int maxBytes) {
      super("answer larger than " + maxBytes + " bytes", null, false, false);
    }
  }

  private static final class LimitedStream implements BodyStream<Buffer> {
    private final int maxBytes;
    private final Buffer body = Buffer.buffer();
    private final Promise<Buffer> result = Promise.promise();

    LimitedStream(int maxBytes) {
      this.maxBytes = maxBytes;
    }

    @Override
    public Future<Buffer> result() {
      return result.future();
    }

    @Override
    public void handle(Throwable failure) {
      result.tryFail(failure);
    }

    @Override
    public Future<Void> write(Buffer data) {
      if (result.future().isComplete()) {
        return Future.failedFuture(new AnswerTooLargeException(maxBytes));
      }
      if (body.length() + data.length() > maxBytes) {
        AnswerTooLargeException tooLarge = new AnswerTooLargeException(maxBytes);
        result.tryFail(tooLarge);
        return Future.failedFuture(tooLarge);
      }
      body.appendBuffer(data);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      result.tryComplete(body);
      return Future.succeededFuture();
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      return this;
    }
  }
}
