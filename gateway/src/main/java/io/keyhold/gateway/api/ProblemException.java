package io.keyhold.gateway.api;

/**
 * Carries a {@link Problem} out of a handler or a future chain to {@link Problems}. Expected
 * failures of a request, so it has no stack trace.
 */
public final class ProblemException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Problem problem;

  public ProblemException(Problem problem) {
    super(problem.code().code(), null, false, false);
    this.problem = problem;
  }

  public ProblemException(ProblemCode code, String detail) {
    this(Problem.of(code, detail));
  }

  public Problem problem() {
    return problem;
  }
}
