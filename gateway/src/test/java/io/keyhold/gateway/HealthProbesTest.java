package io.keyhold.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.gateway.testing.RestartablePostgres;
import io.keyhold.gateway.testing.TestGateway;
import org.junit.jupiter.api.Test;

/**
 * The two probes a container platform asks (deploy/k8s): liveness must not depend on the database, or an outage
 * of PostgreSQL would have every gateway restarted at once for nothing; readiness must, so traffic goes only to
 * a gateway that can serve it.
 */
class HealthProbesTest {

  @Test
  void livenessAnswersUpWhileTheDatabaseIsDownAndReadinessDoesNot() throws Exception {
    try (RestartablePostgres postgres = RestartablePostgres.start();
         TestGateway gw = TestGateway.startOn(postgres.location(), config -> { })) {
      assertThat(gw.get("/health/live", null).status()).isEqualTo(200);
      assertThat(gw.get("/health/ready", null).status()).isEqualTo(200);

      postgres.stop();
      TestGateway.Response live = gw.get("/health/live", null);
      TestGateway.Response ready = gw.get("/health/ready", null);

      assertThat(live.status()).as("%s", live).isEqualTo(200);
      assertThat(live.json().getString("status")).isEqualTo("up");
      assertThat(ready.status()).as("%s", ready).isEqualTo(503);
      assertThat(ready.json().getString("code")).isEqualTo("database_unavailable");
      assertThat(ready.headers()).containsKey("retry-after");
      postgres.startAgain();
    }
  }
}
