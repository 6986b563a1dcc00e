package io.keyhold.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Database URLs naming several hosts, as libpq and {@code pg_autoctl show uri} write them. */
class DatabaseLocationTest {
  @Test
  void readsEveryHostOfALibpqHostListInOrder() {
    DatabaseLocation location = DatabaseLocation.parse(
        "postgres://keyhold:s%40cret@db1.local:6001,db2.local,[::1]:6003/escrow?target_session_attrs=read-write");

    assertThat(location.hosts()).containsExactly(new DatabaseLocation.Host("db1.local", 6001),
        new DatabaseLocation.Host("db2.local", DatabaseLocation.DEFAULT_PORT), new DatabaseLocation.Host("::1", 6003));
    assertThat(location.several()).isTrue();
    assertThat(location.database()).isEqualTo("escrow");
    assertThat(location.user()).isEqualTo("keyhold");
    assertThat(location.password()).isEqualTo("s@cret");
    assertThat(location.toString()).isEqualTo("postgres://keyhold@db1.local:6001,db2.local:5432,[::1]:6003/escrow");
  }

  @Test
  void sendsMigrationsToThePrimaryAndWritesTheListBackTheSameWay() {
    DatabaseLocation location = DatabaseLocation.parse("postgresql://keyhold@10.0.0.1:5432,10.0.0.2:5433/keyhold"
        + "?target_session_attrs=primary&sslmode=prefer");

    assertThat(location.jdbcUrl())
        .isEqualTo("jdbc:postgresql://10.0.0.1:5432,10.0.0.2:5433/keyhold?targetServerType=primary");
    assertThat(DatabaseLocation.parse(location.url()).hosts()).isEqualTo(location.hosts());
    assertThat(DatabaseLocation.parse("jdbc:postgresql://h1:1,h2:2/db?user=u&password=p").hosts())
        .extracting(DatabaseLocation.Host::port).containsExactly(1, 2);
  }

  @Test
  void keepsOneHostAsItWas() {
    DatabaseLocation location = DatabaseLocation.parse("postgres://keyhold:pw@db.local:5433/escrow");

    assertThat(location.several()).isFalse();
    assertThat(location.hosts()).containsExactly(new DatabaseLocation.Host("db.local", 5433));
    assertThat(location.jdbcUrl()).isEqualTo("jdbc:postgresql://db.local:5433/escrow");
    assertThat(location.url()).isEqualTo("postgres://keyhold:pw@db.local:5433/escrow");
  }

  @Test
  void refusesATargetThatCouldBeAStandbyAndBadHostLists() {
    assertThatThrownBy(() -> DatabaseLocation.parse("postgres://u:secret@h1,h2/db?target_session_attrs=any"))
        .hasMessageContaining("target_session_attrs must be read-write or primary").hasMessageNotContaining("secret");
    assertThatThrownBy(() -> DatabaseLocation.parse("postgres://u@h1,,h2/db")).hasMessageContaining("empty host");
    assertThatThrownBy(() -> DatabaseLocation.parse("postgres://u@h1:x,h2/db")).hasMessageContaining("not a number");
    assertThatThrownBy(() -> DatabaseLocation.parse("postgres://u@h1:70000,h2/db")).hasMessageContaining("port");
    assertThatThrownBy(() -> new DatabaseLocation(List.of(), "db", "u", null)).hasMessageContaining("1 to");
  }
}
