package io.keyhold.adapters.reference;

import io.vertx.core.buffer.Buffer;

/** An answer as it leaves the reference merchant: its bytes and the signature header, or none. */
record SignedAnswer(int status, String contentType, Buffer body, String signature) {}
